"""Synthetic probes (http, tcp, dns, tls expiry) with blackbox_exporter-compatible metrics."""
