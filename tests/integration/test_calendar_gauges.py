"""The SLA calendar gauges on the service's /metrics: service hours in the SLA's time zone (DST
included), catalogue maintenance windows and windows from an extra provider (approved changes)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from sms_metrics.calendar_gauges import CalendarCollector
from sms_metrics.catalogue import parse_catalogue
from sms_metrics.config import Settings

pytestmark = pytest.mark.integration

CATALOGUE = parse_catalogue("""
apiVersion: sms-metrics/v1
services:
  - name: office
    sla:
      availability_target: 99.5
      timezone: Europe/Berlin
      service_hours: "Mon-Fri 08:00-18:00"
      maintenance: [{start: "2026-10-06T09:00:00Z", end: "2026-10-06T10:00:00Z"}]
  - name: shop
    sla: {availability_target: 99.9}
  - name: bare
""")


def _gauges(at: datetime, extra=None) -> dict[tuple[str, str], float]:
    registry = CollectorRegistry()
    registry.register(CalendarCollector(CATALOGUE, clock=lambda: at, extra_windows=extra))
    out = {}
    for family in registry.collect():
        for s in family.samples:
            out[(s.name, s.labels["service"])] = s.value
    return out


@pytest.mark.parametrize(
    "at, office_in_hours",
    [
        (datetime(2026, 10, 5, 6, 0, tzinfo=UTC), 1.0),  # Monday 08:00 in Berlin (summer time, UTC+2)
        (datetime(2026, 10, 5, 5, 59, tzinfo=UTC), 0.0),  # 07:59 in Berlin
        (datetime(2026, 10, 5, 16, 0, tzinfo=UTC), 0.0),  # 18:00 in Berlin: the hours end
        (datetime(2026, 11, 2, 7, 0, tzinfo=UTC), 1.0),  # Monday 08:00 in Berlin in winter (UTC+1)
        (datetime(2026, 10, 4, 12, 0, tzinfo=UTC), 0.0),  # Sunday
    ],
)
def test_service_hours_are_read_in_the_slas_time_zone(at, office_in_hours):
    g = _gauges(at)
    assert g[("sms_service_in_hours", "office")] == office_in_hours
    assert g[("sms_service_in_hours", "shop")] == g[("sms_service_in_hours", "bare")] == 1.0  # 24x7, no SLA


def test_maintenance_comes_from_the_catalogue_and_from_extra_windows():
    inside = datetime(2026, 10, 6, 9, 30, tzinfo=UTC)
    assert _gauges(inside)[("sms_maintenance_active", "office")] == 1.0
    assert _gauges(datetime(2026, 10, 6, 10, 0, tzinfo=UTC))[("sms_maintenance_active", "office")] == 0.0  # end excl.
    change = {"shop": [(datetime(2026, 10, 6, 9, 0, tzinfo=UTC), datetime(2026, 10, 6, 11, 0, tzinfo=UTC))]}
    g = _gauges(inside, extra=lambda now: change)
    assert g[("sms_maintenance_active", "shop")] == 1.0 and g[("sms_maintenance_active", "bare")] == 0.0


def test_a_failing_window_provider_leaves_the_catalogue_windows():
    def broken(now):
        raise RuntimeError("register unavailable")

    g = _gauges(datetime(2026, 10, 6, 9, 30, tzinfo=UTC), extra=broken)
    assert g[("sms_maintenance_active", "office")] == 1.0 and g[("sms_maintenance_active", "shop")] == 0.0


def test_serve_exports_the_gauges_on_metrics(tmp_path):
    from sms_metrics.app import create_app

    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'r.db'}"), catalogue=CATALOGUE)
    text = TestClient(app).get("/metrics").text
    assert 'sms_service_in_hours{service="office"}' in text and 'sms_maintenance_active{service="shop"} 0.0' in text
