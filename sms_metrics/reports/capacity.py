"""Render capacity forecasts: JSON (the DESIGN.md contract), CSV (one row per resource), Markdown and
an HTML capacity report with a chart per resource. Every listing runs by "order by" date (exhaustion
minus lead time: when the upgrade must be ordered), soonest first."""

from __future__ import annotations

import csv
import io

from sms_metrics.forecasting.prepare import Series
from sms_metrics.reports import human
from sms_metrics.reports.capacity_chart import forecast_chart_png
from sms_metrics.reports.render import _env, _now, to_json

CAPACITY_FORMATS = ("json", "csv", "html", "md")
CSV_FIELDS = [
    "service",
    "resource",
    "status",
    "order_by",
    "model",
    "mase",
    "smape",
    "unit",
    "limit",
    "direction",
    "lead_time_seconds",
    "last_value",
    "utilisation",
    "exhaustion_at",
    "exhaustion_earliest_95",
    "horizon_end",
    "value_at_horizon",
    "lower_95_at_horizon",
    "upper_95_at_horizon",
]
_RANK = {"urgent": 0, "plan": 1, "ok": 2}


def by_urgency(docs: list[dict]) -> list[dict]:
    """Soonest order-by date first (resources that do not run out within the horizon last), then
    urgent before plan before ok."""
    return sorted(
        docs,
        key=lambda d: (d.get("order_by") or "~", _RANK.get(d["status"], 3), d["service"], d["resource"]),
    )


def to_csv(docs: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    w.writeheader()
    for d in by_urgency(docs):
        last = d["forecast"][-1] if d["forecast"] else {}
        row = {k: d.get(k) for k in CSV_FIELDS}
        row.update(
            mase=d["backtest"]["mase"],
            smape=d["backtest"]["smape"],
            last_value=d["history"]["last_value"],
            exhaustion_at=d["exhaustion"]["at"],
            exhaustion_earliest_95=d["exhaustion"]["earliest_95"],
            horizon_end=last.get("t"),
            value_at_horizon=last.get("value"),
            lower_95_at_horizon=last.get("lower_95"),
            upper_95_at_horizon=last.get("upper_95"),
        )
        w.writerow({k: "" if v is None else v for k, v in row.items()})
    return buf.getvalue()


def summary_row(d: dict) -> dict:
    """What a planner reads first about one resource, in words and units."""
    unit, tz = d.get("unit", "other"), d.get("timezone", "UTC")
    at, earliest = d["exhaustion"]["at"], d["exhaustion"]["earliest_95"]
    return {
        "last": human.value(d["history"]["last_value"], unit),
        "limit": human.value(d["limit"], unit),
        "utilisation": "-" if d.get("utilisation") is None else human.percent(100 * d["utilisation"]),
        "exhaustion": human.both(at, tz) if at else "not within the horizon",
        "earliest": human.both(earliest, tz) if earliest else "-",
        "order_by": human.both(d.get("order_by"), tz) if d.get("order_by") else "-",
        "lead_time": human.days(d["lead_time_seconds"]),
        "horizon_end": human.both(d["forecast"][-1]["t"], tz) if d["forecast"] else "-",
        "value_at_horizon": human.value(d["forecast"][-1]["value"], unit) if d["forecast"] else "-",
        "band_at_horizon": (
            f"{human.value(d['forecast'][-1]['lower_95'], unit)} – {human.value(d['forecast'][-1]['upper_95'], unit)}"
            if d["forecast"]
            else "-"
        ),
        "history": f"{human.minute(d['history']['start'])} – {human.minute(d['history']['end'])}",
    }


def _items(docs: list[dict], histories=None, charts: bool = False) -> list[dict]:
    histories = histories or {}
    return [
        {
            "d": d,
            "h": summary_row(d),
            "chart": forecast_chart_png(d, histories.get((d["service"], d["resource"]))) if charts else None,
        }
        for d in by_urgency(docs)
    ]


def to_html(
    docs: list[dict], histories: dict[tuple[str, str], Series] | None = None, problems: list[str] | None = None
) -> str:
    items = _items(docs, histories, charts=True)
    return _env().get_template("capacity.html.j2").render(items=items, generated=_now(), problems=problems or [])


def to_markdown(docs: list[dict], problems: list[str] | None = None) -> str:
    return _env().get_template("capacity.md.j2").render(items=_items(docs), generated=_now(), problems=problems or [])


def render_capacity(docs: list[dict], fmt: str, *, single: bool, histories=None, problems=None) -> str:
    if fmt == "json":
        return to_json(docs, single)
    if fmt == "csv":
        return to_csv(docs)
    if fmt == "md":
        return to_markdown(docs, problems)
    return to_html(docs, histories, problems)
