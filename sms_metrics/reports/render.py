"""Render availability reports as JSON, CSV, Markdown or HTML (with a daily chart)."""

from __future__ import annotations

import base64
import csv
import io
import json
from datetime import UTC, datetime

from jinja2 import Environment, PackageLoader, select_autoescape

from sms_metrics.core.periods import rfc3339
from sms_metrics.reports import human

FORMATS = ("json", "md", "csv", "html")
CSV_FIELDS = [
    "service",
    "slo",
    "sli",
    "period_start",
    "period_end",
    "target_percent",
    "availability_percent",
    "met",
    "up_seconds",
    "downtime_seconds",
    "unknown_seconds",
    "excluded_seconds",
    "error_budget_seconds",
    "error_budget_remaining_percent",
    "error_budget_consumed_percent",
    "data_coverage_percent",
    "partial",
    "timezone",
    "outages",
    "mtbf_seconds",
    "mttr_seconds",
    "warnings",
]


def to_json(reports: list[dict], single: bool) -> str:
    return json.dumps(reports[0] if single else reports, indent=2) + "\n"


def to_csv(reports: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    w.writeheader()
    for r in reports:
        row = {k: r.get(k) for k in CSV_FIELDS}
        row.update(
            period_start=r["period"]["start"],
            period_end=r["period"]["end"],
            outages=len(r["outages"]),
            warnings="; ".join(r["warnings"]),
        )
        w.writerow({k: "" if v is None else v for k, v in row.items()})
    return buf.getvalue()


def _pct(v) -> str:
    return "no data" if v is None else f"{v:.3f}%"


def _minutes(v) -> str:
    """A duration a reader takes in at a glance: ``14.0 min`` or ``30d 21h 46m``."""
    if v is None:
        return "n/a"
    if v < 3600:
        return f"{v / 60:.1f} min"
    m = round(v / 60)
    d, h, mm = m // 1440, m // 60 % 24, m % 60
    return " ".join(p for p in (f"{d}d" if d else "", f"{h}h" if h or d else "", f"{mm}m") if p)


def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("sms_metrics.reports", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        pct=_pct,
        minutes=_minutes,
        local=human.minute,
        both=human.both,
        yesno=_yesno,
        budget=_budget,
        value=human.value,
        days=human.days,
    )
    return env


def _yesno(met) -> str:
    return "n/a" if met is None else ("yes" if met else "NO")


def _budget(r: dict) -> str:
    """``35.2% used, 64.8% left``, or ``208.9% used, 108.9% over budget``."""
    left = r.get("error_budget_remaining_percent")
    if left is None:
        return "n/a"
    return f"{100 - left:.1f}% used, " + (f"{left:.1f}% left" if left >= 0 else f"{-left:.1f}% over budget")


def to_markdown(reports: list[dict]) -> str:
    return _env().get_template("availability.md.j2").render(reports=reports, generated=_now())


def _now() -> str:
    return rfc3339(datetime.now(UTC).replace(microsecond=0))


def daily_chart_png(report: dict) -> str | None:
    """Base64 PNG bar chart of daily availability against the target, None without data."""
    days = [d for d in report["daily"] if d["availability_percent"] is not None]
    return _bars([d["day"][5:] for d in days], [d["availability_percent"] for d in days], report["target_percent"])


def trend_chart_png(report: dict) -> str | None:
    """Base64 PNG bar chart of the monthly trend, None without one."""
    months = [m for m in report.get("trend") or [] if m["availability_percent"] is not None]
    return _bars([m["month"] for m in months], [m["availability_percent"] for m in months], report["target_percent"])


def _bars(labels: list[str], values: list[float], target: float | None) -> str | None:
    if not values:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 2.6), dpi=90)
    colors = ["#2e7d32" if target is None or v >= target else "#c62828" for v in values]
    ax.bar(labels, values, color=colors)
    if target is not None:
        ax.axhline(target, color="#555", linestyle="--", linewidth=1, label=f"target {target}%")
        fig.legend(loc="lower center", fontsize=8, frameon=False)
    low = min(values + ([target] if target else []))
    ax.set_ylim(max(0, low - (100 - low) * 0.5 - 0.01), 100.0 + (100 - low) * 0.05 + 0.001)
    ax.set_ylabel("availability %")
    ax.tick_params(axis="x", labelrotation=90 if len(labels) > 12 else 0, labelsize=7)
    fig.tight_layout(rect=(0, 0.08 if target is not None else 0, 1, 1))
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def to_html(reports: list[dict]) -> str:
    items = []
    for r in reports:
        worst = sorted(r["outages"], key=lambda o: -o["duration_seconds"])[:10]
        items.append({"r": r, "chart": daily_chart_png(r), "trend": trend_chart_png(r), "worst": worst})
    return _env().get_template("availability.html.j2").render(items=items, generated=_now())


def render(reports: list[dict], fmt: str, single: bool) -> str:
    if fmt == "json":
        return to_json(reports, single)
    if fmt == "csv":
        return to_csv(reports)
    if fmt == "md":
        return to_markdown(reports)
    if fmt == "html":
        return to_html(reports)
    raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
