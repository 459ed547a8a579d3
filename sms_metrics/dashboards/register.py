"""SMS register: open incidents, SLA clock warnings and breaches, time to resolve, webhook
deliveries, job failures, open changes, releases and records by kind, from the gauges and counters the
service exports on /metrics.

A register figure is one entry of ``PANELS``: when the register exports a new gauge, adding its entry
adds its panel."""

from __future__ import annotations

from dataclasses import dataclass

from sms_metrics.catalogue.model import Catalogue
from sms_metrics.dashboards.common import new_dashboard, query, stat_panel, timeseries_panel

UID = "sms-register"
SVC = 'service=~"$service"'


@dataclass(frozen=True)
class RegisterPanel:
    title: str
    expr: str
    legend: str = ""
    kind: str = "timeseries"  # or "stat" (the latest value)
    unit: str = ""
    description: str = ""


PANELS = (
    RegisterPanel(
        "Open incidents by priority", f"sum by (priority) (sms_incidents_open{{{SVC}}})", "{{priority}}", "stat"
    ),
    RegisterPanel(
        "Open incidents by service and priority",
        f"sum by (service, priority) (sms_incidents_open{{{SVC}}})",
        "{{service}} {{priority}}",
    ),
    RegisterPanel(
        "SLA clock warnings and breaches",
        "sum by (clock, event) (increase(sms_sla_clock_events_total[$__rate_interval]))",
        "{{clock}} {{event}}",
        description="Warnings at 75% and breaches at 100% of the response and resolution clocks.",
    ),
    RegisterPanel(
        "Incidents that breached an SLA clock",
        "sum by (clock) (sms_incident_sla_breaches_total)",
        "{{clock}}",
        "stat",
    ),
    RegisterPanel(
        "Mean time to resolve",
        "sum(sms_incident_time_to_resolve_seconds_sum) / sum(sms_incident_time_to_resolve_seconds_count)",
        "mean",
        "stat",
        "s",
        "From opening (the alert's start) to resolution, over every resolved incident; NaN until one is resolved.",
    ),
    RegisterPanel(
        "Webhook deliveries by result",
        "sum by (result) (rate(sms_webhook_deliveries_total[$__rate_interval]))",
        "{{result}}",
        unit="reqps",
        description="Alertmanager deliveries: ok, unauthorized, malformed, invalid, overloaded.",
    ),
    RegisterPanel(
        "Job failures",
        "sum by (job) (increase(sms_job_failures_total[$__rate_interval]))",
        "{{job}}",
        description="Scheduled jobs (SLA clocks, capacity forecasts) that failed; the scheduler goes on.",
    ),
    RegisterPanel(
        "Open changes by service and type",
        f"sum by (service, type) (sms_changes_open{{{SVC}}})",
        "{{service}} {{type}}",
        description="Changes neither completed nor closed (sms_changes_open).",
    ),
    RegisterPanel(
        "Releases by service and state", f"sum by (service, status) (sms_releases{{{SVC}}})", "{{service}} {{status}}"
    ),
    RegisterPanel(
        "Records by kind and state",
        "sum by (kind, status) (sms_register_records)",
        "{{kind}} {{status}}",
        description="Every record kind of the register (sms_register_records).",
    ),
)


def panel(p: RegisterPanel):
    description = p.description or p.expr
    if p.kind == "stat":
        return stat_panel(p.title, description, [query(p.expr, p.legend, instant=True)], unit=p.unit, w=8)
    return timeseries_panel(p.title, description, [query(p.expr, p.legend)], unit=p.unit)


def build(catalogue: Catalogue, panels: tuple[RegisterPanel, ...] = PANELS):
    board = new_dashboard(
        "SMS register",
        UID,
        "Incidents, SLA clocks, time to resolve, webhook deliveries and job failures of the register",
        slo=False,
        multi=True,
        time_from="now-24h",
    )
    for p in panels:
        board = board.with_panel(panel(p))
    return board
