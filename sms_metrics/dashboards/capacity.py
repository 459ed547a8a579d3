"""Capacity: per catalogue resource its history (the catalogue query), the limit, the forecast at the
horizon with its 80% and 95% bands, the time to exhaustion (forecast and earliest 95%) and the lead
time, all from the gauges the service exports for the newest forecast."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard
from grafana_foundation_sdk.models.dashboard import DynamicConfigValue

from sms_metrics.catalogue.model import Catalogue, Service
from sms_metrics.core.durations import parse_duration
from sms_metrics.dashboards.common import new_dashboard, query, stat_panel, thresholds, timeseries_panel
from sms_metrics.dashboards.overview import capacity_status

UID = "sms-capacity"
BANDS = ("lower_95", "lower_80", "value", "upper_80", "upper_95")


def _history_panel(service: Service, res) -> object:
    key = f'service="{service.name}", resource="{res.name}"'
    worst = "min" if res.direction == "down" else "max"
    panel = timeseries_panel(
        f"{service.name} / {res.name}: history, limit and forecast at the horizon",
        f"History: {worst}({res.query.strip()}). Limit: {res.limit:g} ({res.direction}). Forecast: the newest "
        "forecast's value at the end of its horizon with its 80% and 95% bands (sms_capacity_forecast_horizon_value).",
        [
            query(f"{worst}({res.query.strip()})", "history", ref="A"),
            query(f"sms_capacity_limit{{{key}}}", "limit", ref="B"),
            query(f"sms_capacity_forecast_horizon_value{{{key}}}", "forecast {{band}}", ref="C"),
        ],
        w=16,
    )
    for outer, inner in (("upper_95", "lower_95"), ("upper_80", "lower_80")):
        panel = panel.override_by_name(
            f"forecast {outer}", [DynamicConfigValue(id_val="custom.fillBelowTo", value=f"forecast {inner}")]
        )
    return panel.override_by_name(
        "limit", [DynamicConfigValue(id_val="color", value={"mode": "fixed", "fixedColor": "red"})]
    )


def _figures_panel(service: Service, res) -> object:
    key = f'service="{service.name}", resource="{res.name}"'
    lead = int(parse_duration(res.lead_time))
    steps: list[tuple[float | None, str]] = [(None, "red"), (lead, "orange"), (2 * lead, "green")]
    return stat_panel(
        f"{service.name} / {res.name}: time left",
        "Time until the forecast (and, earliest, its 95% band) reaches the limit, and the upgrade lead time; "
        "+Inf: not within the forecast's horizon.",
        [
            query(f"sms_capacity_exhaustion_timestamp_seconds{{{key}}} - time()", "forecast", instant=True, ref="A"),
            query(
                f"sms_capacity_exhaustion_earliest_timestamp_seconds{{{key}}} - time()",
                "earliest (95%)",
                instant=True,
                ref="B",
            ),
            query(f"sms_capacity_lead_time_seconds{{{key}}}", "lead time", instant=True, ref="C"),
        ],
        unit="s",
        w=8,
        h=8,
    ).thresholds(thresholds(steps))


def build(catalogue: Catalogue):
    board = new_dashboard(
        "Capacity",
        UID,
        "Capacity resources of the catalogue: history, forecast bands, limit, time to exhaustion and lead time",
        slo=False,
        multi=True,
        time_from="now-14d",
    ).with_panel(capacity_status())
    for service in catalogue.services:
        for res in service.capacity:
            board = board.with_row(dashboard.Row(f"{service.name} / {res.name}"))
            board = board.with_panel(_history_panel(service, res)).with_panel(_figures_panel(service, res))
    return board
