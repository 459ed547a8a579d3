"""Render capacity forecasts: JSON (the DESIGN.md contract), CSV (one row per resource) and an HTML
capacity report with a chart per resource (history, forecast, bands, limit, exhaustion), most
urgent first."""

from __future__ import annotations

import base64
import csv
import io
from datetime import UTC, datetime

import numpy as np

from sms_metrics.forecasting.prepare import Series
from sms_metrics.reports.render import _env, _now, to_json

CAPACITY_FORMATS = ("json", "csv", "html")
CSV_FIELDS = [
    "service",
    "resource",
    "status",
    "model",
    "mase",
    "smape",
    "limit",
    "direction",
    "lead_time_seconds",
    "last_value",
    "exhaustion_at",
    "exhaustion_earliest_95",
    "horizon_end",
    "value_at_horizon",
    "lower_95_at_horizon",
    "upper_95_at_horizon",
]
_RANK = {"urgent": 0, "plan": 1, "ok": 2}


def by_urgency(docs: list[dict]) -> list[dict]:
    """Urgent first, then plan, then ok; sooner exhaustion first within a status."""
    return sorted(
        docs, key=lambda d: (_RANK.get(d["status"], 3), d["exhaustion"]["at"] or "~", d["service"], d["resource"])
    )


def to_csv(docs: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    w.writeheader()
    for d in docs:
        last = d["forecast"][-1] if d["forecast"] else {}
        row = {
            "service": d["service"],
            "resource": d["resource"],
            "status": d["status"],
            "model": d["model"],
            "mase": d["backtest"]["mase"],
            "smape": d["backtest"]["smape"],
            "limit": d["limit"],
            "direction": d["direction"],
            "lead_time_seconds": d["lead_time_seconds"],
            "last_value": d["history"]["last_value"],
            "exhaustion_at": d["exhaustion"]["at"],
            "exhaustion_earliest_95": d["exhaustion"]["earliest_95"],
            "horizon_end": last.get("t"),
            "value_at_horizon": last.get("value"),
            "lower_95_at_horizon": last.get("lower_95"),
            "upper_95_at_horizon": last.get("upper_95"),
        }
        w.writerow({k: "" if v is None else v for k, v in row.items()})
    return buf.getvalue()


def _dt(values) -> list[datetime]:
    return [datetime.fromtimestamp(float(v), UTC) for v in values]


def _parse(t: str) -> datetime:
    return datetime.fromisoformat(t.replace("Z", "+00:00"))


def forecast_chart_png(doc: dict, history: Series | None) -> str:
    """Base64 PNG: history, forecast with 80% and 95% bands, the limit and the exhaustion marker."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 3.0), dpi=90)
    if history is not None:
        ax.plot(_dt(history.times()), history.values, color="#37474f", linewidth=0.8, label="history")
    t = [_parse(p["t"]) for p in doc["forecast"]]
    col = lambda k: np.array([np.nan if p[k] is None else p[k] for p in doc["forecast"]], dtype=float)  # noqa: E731
    ax.fill_between(t, col("lower_95"), col("upper_95"), color="#90caf9", alpha=0.45, label="95%")
    ax.fill_between(t, col("lower_80"), col("upper_80"), color="#42a5f5", alpha=0.45, label="80%")
    ax.plot(t, col("value"), color="#0d47a1", linewidth=1.2, label=f"forecast ({doc['model']})")
    ax.axhline(doc["limit"], color="#c62828", linestyle="--", linewidth=1, label=f"limit {doc['limit']:g}")
    if doc["exhaustion"]["at"]:
        at = _parse(doc["exhaustion"]["at"])
        ax.axvline(at, color="#c62828", linewidth=1.2)
        ax.annotate(
            "exhausted", (at, doc["limit"]), textcoords="offset points", xytext=(4, 6), color="#c62828", fontsize=8
        )
    if doc["exhaustion"]["earliest_95"]:
        ax.axvline(
            _parse(doc["exhaustion"]["earliest_95"]),
            color="#ef6c00",
            linewidth=1,
            linestyle=":",
            label="earliest (95%)",
        )
    ax.legend(loc="best", fontsize=7, ncol=3)
    ax.tick_params(labelsize=7)
    fig.autofmt_xdate()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def to_html(
    docs: list[dict], histories: dict[tuple[str, str], Series] | None = None, problems: list[str] | None = None
) -> str:
    histories = histories or {}
    items = [
        {"d": d, "chart": forecast_chart_png(d, histories.get((d["service"], d["resource"])))} for d in by_urgency(docs)
    ]
    return _env().get_template("capacity.html.j2").render(items=items, generated=_now(), problems=problems or [])


def render_capacity(docs: list[dict], fmt: str, *, single: bool, histories=None, problems=None) -> str:
    if fmt == "json":
        return to_json(docs, single)
    if fmt == "csv":
        return to_csv(docs)
    return to_html(docs, histories, problems)
