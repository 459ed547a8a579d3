"""The chart of one capacity forecast: recent history, the forecast with its 80% and 95% bands, the
limit and the exhaustion markers; values in the resource's unit, the legend under the plot."""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime

import numpy as np

from sms_metrics.core.units import axis_scale, human
from sms_metrics.forecasting.prepare import Series
from sms_metrics.reports.human import parse_time

HISTORY_HORIZONS = 2  # history shown: twice the horizon, so the forecast fills a third of the width


def _dt(values) -> list[datetime]:
    return [datetime.fromtimestamp(float(v), UTC) for v in values]


def _column(doc: dict, key: str, scale: float = 1.0) -> np.ndarray:
    return np.array([np.nan if p[key] is None else p[key] for p in doc["forecast"]], dtype=float) / scale


def _history(ax, doc: dict, history: Series | None, scale: float) -> None:
    if history is None:
        return
    keep = history.times() >= history.end - HISTORY_HORIZONS * doc["horizon_seconds"]
    ax.plot(_dt(history.times()[keep]), history.values[keep] / scale, color="#455a64", linewidth=0.9, label="history")


def _forecast(ax, doc: dict, scale: float) -> None:
    t = [parse_time(p["t"]) for p in doc["forecast"]]
    lo95, hi95 = _column(doc, "lower_95", scale), _column(doc, "upper_95", scale)
    half = np.nanmax((hi95 - lo95) * scale / 2) if len(t) else np.nan
    width = f" (up to ±{human(float(half), doc.get('unit', 'other'))})" if np.isfinite(half) else ""
    ax.fill_between(t, lo95, hi95, color="#90caf9", alpha=0.8, linewidth=0, label=f"95% band{width}")
    ax.fill_between(
        t,
        _column(doc, "lower_80", scale),
        _column(doc, "upper_80", scale),
        color="#42a5f5",
        alpha=0.8,
        linewidth=0,
        label="80% band",
    )
    for edge in (lo95, hi95):
        ax.plot(t, edge, color="#1e88e5", linewidth=0.5)
    ax.plot(t, _column(doc, "value", scale), color="#0d47a1", linewidth=1.4, label=f"forecast ({doc['model']})")


def _limit_and_exhaustion(ax, doc: dict, scale: float) -> None:
    unit = doc.get("unit", "other")
    limit = f"limit {human(doc['limit'], unit)}"
    ax.axhline(doc["limit"] / scale, color="#c62828", linestyle="--", linewidth=1.1, label=limit)
    if doc["exhaustion"]["at"]:
        ax.axvline(parse_time(doc["exhaustion"]["at"]), color="#c62828", linewidth=1.3, label="exhausted (forecast)")
    if doc["exhaustion"]["earliest_95"]:
        ax.axvline(
            parse_time(doc["exhaustion"]["earliest_95"]),
            color="#ef6c00",
            linewidth=1.1,
            linestyle=":",
            label="exhausted (95% band)",
        )


def forecast_chart_png(doc: dict, history: Series | None) -> str:
    """Base64 PNG of one resource's forecast."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    values = [
        abs(doc["limit"]),
        *(abs(p[k]) for p in doc["forecast"] for k in ("value", "upper_95") if p[k] is not None),
    ]
    if history is not None:
        values.append(float(np.max(np.abs(history.values))))
    scale, label = axis_scale(doc.get("unit", "other"), max(values))
    fig, ax = plt.subplots(figsize=(9, 3.6), dpi=90)
    _history(ax, doc, history, scale)
    _forecast(ax, doc, scale)
    _limit_and_exhaustion(ax, doc, scale)
    if label:
        ax.set_ylabel(label, fontsize=8)
    ax.set_xlabel("UTC", fontsize=7)
    ax.grid(True, color="#eeeeee", linewidth=0.6)
    ax.tick_params(labelsize=7)
    fig.autofmt_xdate()
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=7, frameon=False)
    fig.tight_layout(rect=(0, 0.13, 1, 1))  # the legend sits under the plot, never on the data
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()
