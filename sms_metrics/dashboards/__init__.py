"""Grafana dashboards generated from the catalogue with grafana-foundation-sdk (pure: takes the
catalogue, returns JSON text), and Grafana's provisioning files for them."""

from __future__ import annotations

from sms_metrics.catalogue.model import Catalogue
from sms_metrics.dashboards import capacity, overview, register, service
from sms_metrics.dashboards.common import to_json
from sms_metrics.rules.windows import BurnWindow


def catalogue_dashboards(
    catalogue: Catalogue, windows: dict[str, tuple[BurnWindow, ...]] | None = None
) -> dict[str, str]:
    """``{file name: dashboard JSON}`` of the four dashboards."""
    return {
        "sla-overview.json": to_json(overview.build(catalogue)),
        "service-detail.json": to_json(service.build(catalogue, windows or {})),
        "capacity.json": to_json(capacity.build(catalogue)),
        "sms-register.json": to_json(register.build(catalogue)),
    }
