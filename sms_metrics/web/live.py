"""What the pages measure live: each service's state now (its probes in Prometheus, its firing alerts
in Alertmanager or Prometheus, maintenance), this month's availability and the last 90 days (the
availability report's own code), and the capacity forecasts; each cached (``cache.Cache``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sms_metrics.adapters.alertmanager import AlertmanagerHTTP, FiringAlert
from sms_metrics.adapters.prometheus import PrometheusHTTP
from sms_metrics.catalogue.model import Catalogue, Service
from sms_metrics.errors import AlertmanagerError, PrometheusError
from sms_metrics.register.measures import active_windows, change_windows, overlapping_incidents
from sms_metrics.reports.availability import measure_catalogue
from sms_metrics.reports.sla_document import report_dict
from sms_metrics.web.cache import Cache

CHUNK = 40  # services per probe query
PAGING = ("page", "critical")
STATES = {
    "up": "Operational",
    "degraded": "Degraded",
    "down": "Outage",
    "maintenance": "Maintenance",
    "unknown": "Unknown",
}


@dataclass
class ServiceState:
    service: str
    state: str  # up, degraded, down, maintenance, unknown
    probes: int = 0  # probe series with a value now
    probes_down: int = 0
    alerts: list[FiringAlert] = field(default_factory=list)
    maintenance: bool = False

    @property
    def label(self) -> str:
        return STATES[self.state]


@dataclass
class Snapshot:
    states: dict[str, ServiceState]
    problems: list[str]  # why some figures are missing (Prometheus or Alertmanager unreachable)
    at: datetime


def probe_query(services: list[Service]) -> str | None:
    """One query giving, per service and probe SLO, the number of probe series and of those down."""
    parts = []
    for svc in services:
        for slo in svc.slos:
            if slo.sli.kind != "probe":
                continue
            for what, expr in (("total", f"count({slo.sli.probe})"), ("down", f"count(({slo.sli.probe}) == 0)")):
                labelled = f'label_replace({expr}, "sms_service", "{svc.name}", "", "")'
                labelled = f'label_replace({labelled}, "sms_slo", "{slo.name}", "", "")'
                parts.append(f'label_replace({labelled}, "sms_what", "{what}", "", "")')
    return " or ".join(parts) or None


def state_of(st: ServiceState, has_probes: bool, measured: bool) -> str:
    if st.maintenance:
        return "maintenance"
    if st.probes and st.probes_down == st.probes:
        return "down"
    if st.probes_down or any(a.labels.get("severity") in PAGING for a in st.alerts):
        return "degraded"
    if not measured or (has_probes and not st.probes):
        return "unknown"
    return "up"


class Live:
    def __init__(self, system):
        settings = system.settings
        self.system = system
        self.fast = system._prometheus or PrometheusHTTP(
            settings.prometheus_url, timeout=settings.pages_prometheus_timeout_seconds, retries=0
        )
        url = settings.alertmanager_url
        self.alertmanager = AlertmanagerHTTP(url, timeout=settings.pages_prometheus_timeout_seconds) if url else None
        self.cache = Cache(settings.pages_cache_seconds)
        self.slow = Cache(settings.pages_cache_seconds * 60)  # forecasts: an hour by default

    @property
    def catalogue(self) -> Catalogue | None:
        return self.system.catalogue

    def snapshot(self) -> Snapshot:
        return self.cache.get("states", self._snapshot)

    def _snapshot(self) -> Snapshot:
        now, services = self.system.now(), list(self.catalogue.services) if self.catalogue else []
        problems: list[str] = []
        states = {s.name: ServiceState(s.name, "unknown") for s in services}
        measured = True
        try:
            self._read_probes(services, states, now)
        except PrometheusError as exc:
            problems.append(f"probes unknown: {exc}")
            measured = False
        try:
            for alert in self._firing(now):
                if alert.service in states:
                    states[alert.service].alerts.append(alert)
        except (PrometheusError, AlertmanagerError) as exc:
            problems.append(f"alerts unknown: {exc}")
        for name in self._in_maintenance(services, now):
            states[name].maintenance = True
        for svc in services:
            has_probes = any(slo.sli.kind == "probe" for slo in svc.slos)
            states[svc.name].state = state_of(states[svc.name], has_probes, measured)
        return Snapshot(states, problems, now)

    def _read_probes(self, services: list[Service], states: dict[str, ServiceState], now: datetime) -> None:
        for i in range(0, len(services), CHUNK):
            query = probe_query(services[i : i + CHUNK])
            for labels, value in self.fast.query(query, now) if query else []:
                st = states[labels["sms_service"]]
                if labels.get("sms_what") == "total":
                    st.probes += int(value)
                else:
                    st.probes_down += int(value)

    def _firing(self, now: datetime) -> list[FiringAlert]:
        if self.alertmanager is not None:
            return self.alertmanager.firing()
        return [FiringAlert(labels) for labels, _ in self.fast.query('ALERTS{alertstate="firing"}', now)]

    def _in_maintenance(self, services: list[Service], now: datetime) -> set[str]:
        names = {s.name for s in services for w in (s.sla.maintenance if s.sla else []) if w.start <= now < w.end}
        agreed = active_windows(self.system, [s.name for s in services])(now)
        return names | {n for n, found in agreed.items() if any(a <= now < b for a, b in found)}

    def reports(self, period: str, service: str | None = None) -> list[dict]:
        """The availability report of every service (or one) over ``period``, as the files have it."""
        return self.cache.get(("report", period, service), lambda: self._reports(self.catalogue, period, service))

    def _reports(self, catalogue: Catalogue, period: str, service: str | None, *, internal: bool = True) -> list[dict]:
        found = measure_catalogue(
            self.system.prometheus,
            catalogue,
            period,
            service=service,
            now=self.system.now(),
            concurrency=self.system.settings.prometheus_concurrency,
            extra_windows=change_windows(self.system),
            incidents=overlapping_incidents(self.system) if internal else None,
        )
        return [report_dict(r) for r in found]

    def this_month(self) -> dict[str, dict]:
        if not self.catalogue or not self.catalogue.services:
            return {}
        return {r["service"]: r for r in self.reports(f"{self.system.now():%Y-%m}")}

    def last_90_days(self, public: list[Service]) -> dict[str, dict]:
        """Daily availability of the ``public`` services over the 90 days up to today (UTC dates)."""
        if not public:
            return {}
        today = self.system.now().date()
        period = f"{today - timedelta(days=89)}..{today + timedelta(days=1)}"
        sub = self.catalogue.model_copy(update={"services": public})
        key = ("days", period, tuple(s.name for s in public))
        return {r["service"]: r for r in self.cache.get(key, lambda: self._reports(sub, period, None, internal=False))}
