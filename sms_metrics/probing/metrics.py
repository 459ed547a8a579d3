"""Probe results as Prometheus metrics, named and shaped like blackbox_exporter's.

Each series carries ``service`` and ``probe`` (and ``supplier`` and the target's extra labels
where set); a label a target lacks is exported empty, which Prometheus treats as absent.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.core import CollectorRegistry, GaugeMetricFamily
from prometheus_client.registry import Collector

from sms_metrics.probing.result import ProbeResult

PHASES = ("resolve", "connect", "tls", "processing", "transfer")


def _label_names(results: list[ProbeResult]) -> list[str]:
    extra = sorted({k for r in results for k in r.labels})
    return ["service", "probe", "supplier", *extra]


def _values(r: ProbeResult, names: list[str]) -> list[str]:
    base = {"service": r.service, "probe": r.name, "supplier": r.supplier or "", **r.labels}
    return [base.get(n, "") for n in names]


def families(results: list[ProbeResult]) -> Iterable[GaugeMetricFamily]:
    names = _label_names(results)
    success = GaugeMetricFamily("probe_success", "Whether the probe succeeded", labels=names)
    duration = GaugeMetricFamily("probe_duration_seconds", "How long the probe took", labels=names)
    status = GaugeMetricFamily("probe_http_status_code", "Response HTTP status code", labels=names)
    phases = GaugeMetricFamily(
        "probe_http_duration_seconds",
        "Duration of the HTTP request by phase, summed over all redirects",
        labels=[*names, "phase"],
    )
    redirects = GaugeMetricFamily("probe_http_redirects", "The number of redirects", labels=names)
    cert = GaugeMetricFamily(
        "probe_ssl_earliest_cert_expiry", "Expiry of the peer certificate, Unix seconds", labels=names
    )
    dns = GaugeMetricFamily("probe_dns_lookup_time_seconds", "How long the DNS query took", labels=names)
    for r in results:
        v = _values(r, names)
        success.add_metric(v, 1.0 if r.success else 0.0)
        duration.add_metric(v, r.duration_seconds)
        if r.status_code is not None or r.phases:
            status.add_metric(v, float(r.status_code or 0))
            redirects.add_metric(v, float(r.redirects))
            for phase in PHASES:
                phases.add_metric([*v, phase], r.phases.get(phase, 0.0))
        if r.ssl_earliest_cert_expiry is not None:
            cert.add_metric(v, r.ssl_earliest_cert_expiry)
        if r.dns_lookup_seconds is not None:
            dns.add_metric(v, r.dns_lookup_seconds)
    return [success, duration, status, phases, redirects, cert, dns]


class LatestResults(Collector):
    """Exposes the latest result of every target (updated by the scheduler)."""

    def __init__(self) -> None:
        self.latest: dict[str, ProbeResult] = {}

    def update(self, result: ProbeResult) -> None:
        self.latest[result.name] = result

    def collect(self):
        results = list(self.latest.values())
        return families(results) if results else []


def registry_for(results: list[ProbeResult]) -> CollectorRegistry:
    """A one-off registry with ``results`` (the blackbox-style ``/probe`` answer)."""
    reg = CollectorRegistry()
    latest = LatestResults()
    for r in results:
        latest.update(r)
    reg.register(latest)
    return reg
