"""Incident figures for /metrics, read from the register at scrape time (aggregates in SQL)."""

from __future__ import annotations

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, SummaryMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import case, extract, func, select

from sms_metrics.register.kinds.incidents import OPEN, Incident


def _seconds_between(dialect: str, a, b):
    if dialect == "sqlite":
        return (func.julianday(b) - func.julianday(a)) * 86400.0
    return extract("epoch", b - a)


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
            rows = s.execute(
                select(Incident.service, Incident.priority, func.count())
                .where(Incident.status.in_(sorted(OPEN)))
                .group_by(Incident.service, Incident.priority)
            )
            for service, prio, n in rows:
                open_.add_metric([service, prio], n)
            for clock in ("response", "resolution"):
                col = getattr(Incident, f"{clock}_breached_at")
                breaches.add_metric([clock], s.scalar(select(func.count()).where(col.is_not(None))) or 0)
            span = _seconds_between(s.get_bind().dialect.name, Incident.opened_at, Incident.resolved_at)
            n, total = s.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(case((Incident.resolved_at >= Incident.opened_at, span), else_=0.0)), 0.0),
                ).where(Incident.resolved_at.is_not(None))
            ).one()
        ttr.add_metric([], count_value=n, sum_value=float(total or 0.0))
        return [open_, breaches, ttr]
