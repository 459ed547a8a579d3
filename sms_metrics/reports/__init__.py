"""Service reports: availability/SLA reports built from the catalogue and Prometheus."""
