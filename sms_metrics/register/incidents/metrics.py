"""Incident figures for /metrics, read from the register at scrape time."""

from __future__ import annotations

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, SummaryMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from sms_metrics.register import lifecycle
from sms_metrics.register.incidents.models import Incident


class IncidentCollector(Collector):
    def __init__(self, sessions):
        self.sessions = sessions

    def collect(self):
        open_ = GaugeMetricFamily("sms_incidents_open", "Open incidents", labels=["service", "priority"])
        breaches = CounterMetricFamily(
            "sms_incident_sla_breaches", "Incidents whose SLA clock ran out", labels=["clock"]
        )
        ttr = SummaryMetricFamily("sms_incident_time_to_resolve_seconds", "Time from opening to resolution")
        with self.sessions() as s:
            for service, prio, n in s.execute(
                select(Incident.service, Incident.priority, func.count())
                .where(Incident.status.in_(lifecycle.OPEN_STATES["incident"]))
                .group_by(Incident.service, Incident.priority)
            ):
                open_.add_metric([service, prio], n)
            for clock in ("response", "resolution"):
                col = getattr(Incident, f"{clock}_breached_at")
                breaches.add_metric([clock], s.scalar(select(func.count()).where(col.is_not(None))) or 0)
            resolved = s.execute(
                select(Incident.opened_at, Incident.resolved_at).where(Incident.resolved_at.is_not(None))
            ).all()
        ttr.add_metric(
            [], count_value=len(resolved), sum_value=sum(max(0.0, (b - a).total_seconds()) for a, b in resolved)
        )
        return [open_, breaches, ttr]
