"""SLA calendar gauges for /metrics, worked out at scrape time from the catalogue:

- ``sms_service_in_hours{service}``: 1 inside the SLA's service hours (in its time zone), else 0;
- ``sms_maintenance_active{service}``: 1 inside a maintenance window (the catalogue's, and those an
  ``extra_windows(now) -> {service: [(start, end), ...]}`` callable adds, e.g. approved changes), else 0.

The burn-rate alerts of services that are not 24x7 or have maintenance are silenced by them
(``unless on(service) (sms_service_in_hours == 0 or sms_maintenance_active == 1)``); when the gauges
are absent (sms-metrics down), nothing is silenced.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from sms_metrics.catalogue.model import Catalogue
from sms_metrics.core.calendar import in_service_hours, in_windows, parse_service_hours

log = logging.getLogger(__name__)
ExtraWindows = Callable[[datetime], dict[str, list[tuple[datetime, datetime]]]]


class CalendarCollector(Collector):
    def __init__(
        self,
        catalogue: Catalogue,
        *,
        extra_windows: ExtraWindows | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self.catalogue = catalogue
        self.extra_windows = extra_windows
        self.clock = clock
        self.hours = {s.name: parse_service_hours(s.sla.service_hours) for s in catalogue.services if s.sla}

    def _extra(self, now: datetime) -> dict[str, list[tuple[datetime, datetime]]]:
        if self.extra_windows is None:
            return {}
        try:
            return self.extra_windows(now)
        except Exception as exc:  # the register being down must not take /metrics with it
            log.warning("maintenance windows beyond the catalogue are unavailable: %s", exc)
            return {}

    def collect(self):
        now = self.clock()
        extra = self._extra(now)
        in_hours = GaugeMetricFamily(
            "sms_service_in_hours", "1 inside the SLA's service hours (in its time zone), else 0", labels=["service"]
        )
        maintenance = GaugeMetricFamily(
            "sms_maintenance_active", "1 inside a maintenance window of the service, else 0", labels=["service"]
        )
        for svc in self.catalogue.services:
            sla = svc.sla
            inside = True if sla is None else in_service_hours(self.hours[svc.name], sla.timezone, now)
            windows = [(w.start, w.end) for w in (sla.maintenance if sla else [])] + list(extra.get(svc.name, []))
            in_hours.add_metric([svc.name], 1.0 if inside else 0.0)
            maintenance.add_metric([svc.name], 1.0 if in_windows(windows, now) else 0.0)
        return [in_hours, maintenance]
