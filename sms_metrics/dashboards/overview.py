"""The SLA overview: every service's availability this calendar month against its SLA target, the
error budget left over each SLO window, burn rates per window, firing alerts, open incidents and
capacity status."""

from __future__ import annotations

from sms_metrics.catalogue.model import Catalogue
from sms_metrics.core.durations import format_duration
from sms_metrics.dashboards.common import (
    bar_panel,
    new_dashboard,
    query,
    stat_panel,
    table_panel,
    thresholds,
    unit_override,
    yes_no,
)
from sms_metrics.rules.generator import SLI_WINDOWS, slo_id

UID = "sms-sla-overview"
SEL = 'service=~"$service", slo=~"$slo"'


def sla_ids(catalogue: Catalogue) -> str:
    """A regex of the sloth_id of each service's SLA SLO (the SLO named availability, else its first)."""
    return "|".join(slo_id(s, slo) for s in catalogue.services if (slo := s.availability_slo()))


def burn_rate(window: str, sel: str) -> str:
    """The burn rate over ``window``: the recorded error ratio over the SLO's error budget."""
    return (
        f"sum without (sloth_window) (slo:sli_error:ratio_rate{window}{{{sel}}})\n"
        f"/ on (sloth_id) group_left\nslo:error_budget:ratio{{{sel}}}"
    )


def availability_table(catalogue: Catalogue):
    sel = f'sloth_id=~"{sla_ids(catalogue)}", service=~"$service"'
    # every 5 minutes over the range, so the mean does not depend on how often the rules ran
    month = f"100 * (1 - avg_over_time(slo:sli_error:ratio_rate5m{{{sel}}}[$__range:5m]))"
    target = f"100 * slo:objective:ratio{{{sel}}}"
    return table_panel(
        "Availability this calendar month against the SLA target",
        "The SLA SLO of each service: the mean of its 5-minute SLI every 5 minutes over the dashboard's range (this"
        " month so far by default), its target and whether it is met. Availability reports give the exact, step-by-step figure"
        " with service hours and maintenance excluded.",
        [
            query(month, instant=True, table_format=True, ref="A"),
            query(target, instant=True, table_format=True, ref="B"),
            query(f"({month})\n>= bool on (sloth_id)\n({target})", instant=True, table_format=True, ref="C"),
        ],
        rename={"Value #A": "availability %", "Value #B": "target %", "Value #C": "met"},
        w=14,
    ).override_by_name(*yes_no("met"))


def budget_bars():
    return bar_panel(
        "Error budget remaining over the SLO window",
        "slo:period_error_budget_remaining:ratio: the share of each SLO's error budget left over its window "
        "(30 days for most); negative when overspent.",
        [query(f"100 * slo:period_error_budget_remaining:ratio{{{SEL}}}", "{{service}} / {{slo}}", instant=True)],
        unit="percent",
        w=10,
    ).thresholds(thresholds([(None, "red"), (0, "orange"), (25, "green")]))


def burn_rate_table():
    windows = [format_duration(w) for w in SLI_WINDOWS]
    refs = [chr(ord("A") + i) for i in range(len(windows))]
    return table_panel(
        "Burn rate per alert window",
        "How fast each SLO spends its budget over each window (1 = exactly the budget over the SLO window). "
        "Pages fire at 14.4 (1h and 5m) and 6 (6h and 30m), tickets at 3 (1d and 2h) and 1 (3d and 6h).",
        [query(burn_rate(w, SEL), instant=True, table_format=True, ref=r) for w, r in zip(windows, refs)],
        rename={f"Value #{r}": w for w, r in zip(windows, refs)},
        w=24,
    ).thresholds(thresholds([(None, "green"), (1, "yellow"), (6, "orange"), (14.4, "red")]))


def firing_alerts(sel: str = 'service=~"$service"'):
    return table_panel(
        "Firing alerts",
        "Alerts Prometheus holds as firing (ErrorBudgetBurn, SLONoData, certificate and capacity alerts).",
        [
            query(
                f'sum by (alertname, service, slo, severity) (ALERTS{{alertstate="firing", {sel}}})',
                instant=True,
                table_format=True,
            )
        ],
        rename={"Value": "alerts"},
    )


def open_incidents(sel: str = 'service=~"$service"'):
    return stat_panel(
        "Open incidents by priority",
        "sms_incidents_open from the register: incidents neither resolved nor closed.",
        [query(f"sum by (priority) (sms_incidents_open{{{sel}}})", "{{priority}}", instant=True)],
        w=6,
        h=8,
    ).thresholds(thresholds([(None, "green"), (1, "red")]))


def capacity_status():
    sel = 'service=~"$service"'
    return table_panel(
        "Capacity status",
        "The newest forecast of each capacity resource: ok, plan (exhaustion within twice the lead time) or "
        "urgent (within the lead time), and the time left until the forecast reaches the limit.",
        [
            query(
                f"max by (service, resource, status) (sms_capacity_forecast_status{{{sel}}} == 1)",
                instant=True,
                table_format=True,
                ref="A",
            ),
            query(
                f"max by (service, resource) (sms_capacity_exhaustion_timestamp_seconds{{{sel}}}) - time()",
                instant=True,
                table_format=True,
                ref="B",
            ),
        ],
        rename={"Value #B": "time to exhaustion"},
        hide=("Value #A",),
        w=18,
    ).override_by_name(*unit_override("time to exhaustion", "s"))


def build(catalogue: Catalogue):
    return (
        new_dashboard(
            "SLA overview",
            UID,
            "Every service against its SLA this month, error budgets, burn rates, alerts, incidents and capacity",
            slo=True,
            multi=True,
            time_from="now/M",
        )
        .with_panel(availability_table(catalogue))
        .with_panel(budget_bars())
        .with_panel(burn_rate_table())
        .with_panel(firing_alerts())
        .with_panel(open_incidents())
        .with_panel(capacity_status())
    )
