"""The JSON object of one service's availability/SLA report (DESIGN.md's ``report availability``
contract, plus every SLO, the calendar, local times and the trend)."""

from __future__ import annotations

from datetime import datetime

from sms_metrics.core.availability import Figures, Outage
from sms_metrics.core.periods import rfc3339
from sms_metrics.reports.availability import ServiceReport, SloFigures
from sms_metrics.reports.calendar_figures import CalendarFigures
from sms_metrics.reports.human import local_iso


def _r(v: float | None, digits: int = 6) -> float | None:
    return None if v is None else round(float(v), digits)


def consumed(remaining: float | None) -> float | None:
    """Budget consumed beside budget remaining: 100 - remaining (over 100 when overspent)."""
    return None if remaining is None else _r(100 - remaining)


def _outage(o: Outage, tz: str, incidents: list[dict] | None) -> dict:
    out = {
        "start": rfc3339(o.start),
        "end": rfc3339(o.end),
        "start_local": local_iso(o.start, tz),
        "end_local": local_iso(o.end, tz),
        "duration_seconds": o.duration_seconds,
    }
    if incidents is not None:
        out["incidents"] = [
            _incident(i) for i in incidents if i["start"] < o.end and (i["end"] is None or i["end"] > o.start)
        ]
    return out


def _incident(i: dict) -> dict:
    return {k: rfc3339(v) if isinstance(v, datetime) else v for k, v in i.items()}


def _budget(f: Figures | None) -> dict:
    return {
        "error_budget_seconds": _r(f.error_budget_seconds) if f else None,
        "error_budget_remaining_percent": _r(f and f.error_budget_remaining_percent),
        "error_budget_consumed_percent": consumed(f and f.error_budget_remaining_percent),
    }


def slo_dict(s: SloFigures, *, sla: bool) -> dict:
    f = s.figures
    return {
        "slo": s.slo.name,
        "sli": s.slo.sli.kind,
        "sla": sla,  # the SLO the SLA figure is measured by
        "objective_percent": s.slo.objective,
        "target_percent": s.target_percent,
        "window": s.slo.window,
        "availability_percent": _r(f and f.availability_percent),
        "met": s.met,
        "up_seconds": _r(f and f.up_seconds),
        "downtime_seconds": _r(f and f.downtime_seconds),
        "unknown_seconds": _r(f.unknown_seconds) if f else None,
        **_budget(f),
        "data_coverage_percent": _r(f and f.data_coverage_percent),
        "outages": len(f.outages) if f else 0,
    }


def calendar_dict(c: CalendarFigures | None) -> dict | None:
    if c is None:
        return None
    return {
        "timezone": c.timezone,
        "service_hours": c.service_hours,
        "outside_hours_seconds": c.outside_hours_seconds,
        "maintenance_seconds": c.maintenance_seconds,
        "maintenance": [
            {
                "start": rfc3339(w.start),
                "end": rfc3339(w.end),
                "start_local": local_iso(w.start, c.timezone),
                "end_local": local_iso(w.end, c.timezone),
                "description": w.description,
                "source": w.source,
                "excluded_seconds": seconds,
            }
            for w, seconds in c.windows
        ],
    }


def report_dict(rep: ServiceReport) -> dict:
    """The JSON object of DESIGN.md's ``report availability`` contract (plus extra fields)."""
    f, tz, p = rep.figures, rep.timezone, rep.period
    return {
        "service": rep.service,
        "slo": rep.slo,
        "sli": rep.sli_kind,
        "timezone": tz,
        "period": {
            "start": rfc3339(p.start),
            "end": rfc3339(p.end),
            "label": p.label,
            "start_local": local_iso(p.start, tz),
            "end_local": local_iso(p.end, tz),
        },
        "partial": rep.partial,
        "target_percent": rep.target_percent,
        "availability_percent": _r(f and f.availability_percent),
        "met": rep.met,
        "up_seconds": _r(f and f.up_seconds),
        "downtime_seconds": _r(f and f.downtime_seconds),
        "unknown_seconds": _r(f.unknown_seconds) if f else None,
        "excluded_seconds": _r(f.excluded_seconds) if f else None,
        **_budget(f),
        "data_coverage_percent": _r(f and f.data_coverage_percent),
        "outages": [_outage(o, tz, rep.incidents) for o in (f.outages if f else [])],
        "mtbf_seconds": _r(f and f.mtbf_seconds),
        "mttr_seconds": _r(f and f.mttr_seconds),
        "burn_rate_1h": _r(f and f.burn_rate_1h),
        "burn_rate_period": _r(f and f.burn_rate_period),
        "step_seconds": rep.step_seconds,
        "daily": [
            {
                "day": d.day,
                "availability_percent": _r(d.availability_percent),
                "data_coverage_percent": _r(d.data_coverage_percent),
            }
            for d in (f.daily if f else [])
        ],
        "calendar": calendar_dict(rep.calendar),
        "slos": [slo_dict(s, sla=i == 0) for i, s in enumerate(rep.slos)],
        "trend": rep.trend,
        "rolling": rep.rolling,
        "warnings": rep.warnings,
    }
