"""The inputs of a management review (ISO/IEC 20000-1 9.3), gathered from the register for the review's
period: SLA results (the service reports of the period, else measured from Prometheus by the report code),
incidents (by priority, SLA breaches), complaints and supplier performance when those kinds exist,
current capacity plans, and open nonconformities. Restricted kinds are never gathered.

Everything is read through the register's readers (never the write session), so a management review's
creation takes the write lock only for its own insert, after Prometheus has answered."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from sms_metrics.core.periods import Period, rfc3339
from sms_metrics.core.spans import months, parse_span, within
from sms_metrics.errors import InputError, PrometheusError, RecordInvalid
from sms_metrics.register.kinds.capacity_plans import LIFECYCLE as PLAN_STATES
from sms_metrics.register.kinds.capacity_plans import CapacityPlan
from sms_metrics.register.kinds.incidents import Incident
from sms_metrics.register.kinds.nonconformities import Nonconformity
from sms_metrics.register.kinds.service_reports import PERIOD, ServiceReport

OPTIONAL = {"complaints": "complaint", "supplier_performance": "supplier_performance"}
MAX_ITEMS = 500


def _t(v):
    return rfc3339(v) if v is not None else None


def _sla_from_reports(service: str, reports: list[ServiceReport]) -> dict:
    """One report's figures, or several months' combined (up time over up and down time)."""
    figures = [r.figures for r in reports]
    up = [f.get("up_seconds") for f in figures]
    down = [f.get("downtime_seconds") for f in figures]
    target = figures[0].get("target_percent")
    availability = None
    if len(figures) == 1:
        availability = figures[0].get("availability_percent")
    elif None not in up + down and sum(up) + sum(down) > 0:
        availability = round(100 * sum(up) / (sum(up) + sum(down)), 6)
    return {
        "service": service,
        "source": "service-reports",
        "reports": [{"ref": f"SR-{r.id:06d}", "period": r.period, "version": r.version} for r in reports],
        "availability_percent": availability,
        "target_percent": target,
        "met": None if availability is None or target is None else availability >= target - 1e-9,
        "downtime_seconds": None if None in down else sum(down),
    }


def _sla(system, session, span: Period, services: list[str]) -> list[dict]:
    rows = session.scalars(select(ServiceReport).where(ServiceReport.service.in_(services)).order_by(ServiceReport.id))
    by_service: dict[str, dict[str, ServiceReport]] = {}
    for r in rows:
        by_service.setdefault(r.service, {})[r.period] = r
    wanted, out, missing = months(span), {}, []
    for name in services:
        have = by_service.get(name, {})
        if span.label in have:
            out[name] = _sla_from_reports(name, [have[span.label]])
        elif wanted and all(m in have for m in wanted):
            out[name] = _sla_from_reports(name, [have[m] for m in wanted])
        else:
            missing.append(name)
    if missing:
        out.update(_measured(system, span, missing))
    return [out[n] for n in services]


def _measured(system, span: Period, services: list[str]) -> dict[str, dict]:
    from sms_metrics.register.kinds.report_saving import measure_reports

    text = span.label if PERIOD.match(span.label) else f"{span.start.date()}..{span.end.date()}"
    try:
        reports = measure_reports(system, text, services=services)
    except (PrometheusError, RecordInvalid) as exc:
        return {s: {"service": s, "source": "unavailable", "error": str(exc)} for s in services}
    keys = ("availability_percent", "target_percent", "met", "downtime_seconds", "data_coverage_percent")
    return {r["service"]: {"service": r["service"], "source": "prometheus", **{k: r[k] for k in keys}} for r in reports}


def _incidents(session, span: Period, services: list[str] | None) -> dict:
    query = select(Incident).where(Incident.opened_at >= span.start, Incident.opened_at < span.end)
    if services is not None:
        query = query.where(Incident.service.in_(services))
    rows = list(session.scalars(query))
    return {
        "total": len(rows),
        "by_priority": {p: sum(r.priority == p for r in rows) for p in ("P1", "P2", "P3", "P4")},
        "by_service": dict(sorted(Counter(r.service for r in rows).items())),
        "response_breaches": sum(r.response_breached_at is not None for r in rows),
        "resolution_breaches": sum(r.resolution_breached_at is not None for r in rows),
        "open": sum(r.status not in ("resolved", "closed") for r in rows),
    }


def _capacity(session, services: list[str] | None) -> list[dict]:
    query = select(CapacityPlan).where(CapacityPlan.status.in_(sorted(PLAN_STATES.aliases["current"])))
    if services is not None:
        query = query.where(CapacityPlan.service.in_(services))
    return [
        {
            "ref": f"CAP-{p.id:06d}",
            "service": p.service,
            "resource": p.resource,
            "status": p.status,
            "forecast_status": p.forecast_status,
            "exhaustion_at": _t(p.exhaustion_at),
            "owner": p.owner,
            "action": p.action,
            "due_date": p.due_date.isoformat() if p.due_date else None,
        }
        for p in session.scalars(query.order_by(CapacityPlan.id))
    ]


def _nonconformities(session, span: Period) -> dict:
    rows = list(session.scalars(select(Nonconformity)))
    open_ = [r for r in rows if r.status not in ("closed", "rejected")]
    return {
        "raised": sum(span.start <= r.created_at < span.end for r in rows),
        "closed": sum(r.closed_at is not None and span.start <= r.closed_at < span.end for r in rows),
        "open": len(open_),
        "overdue": sum(r.overdue_since is not None for r in open_),
    }


def _in_period(row, span: Period) -> bool:
    period = getattr(row, "period", None)
    if isinstance(period, str):
        try:
            return within(period, span.label)
        except InputError:
            pass
    return span.start <= row.created_at < span.end


def _optional(records, session, kind_name: str, span: Period, services: list[str] | None) -> dict | None:
    """A kind that may not exist (yet): its records of the period, counted by state and listed."""
    kind = records.kinds.get(kind_name)
    if kind is None or kind.restricted:
        return None
    rows = [r for r in session.scalars(select(kind.model).order_by(kind.model.id)) if _in_period(r, span)]
    if services is not None and hasattr(kind.model, "service"):
        rows = [r for r in rows if r.service in services]
    items = [records.to_read(kind, r).model_dump(mode="json") for r in rows[:MAX_ITEMS]]
    return {"total": len(rows), "by_status": dict(sorted(Counter(r.status for r in rows).items())), "items": items}


def gather(system, period: str, services: list[str] | None = None) -> dict:
    """Every input of a management review for ``period`` (restricted to ``services`` when given)."""
    span = parse_span(period)
    catalogue = system.catalogue
    names = services or ([s.name for s in catalogue.services] if catalogue is not None else [])
    records = system.records
    with records.reading() as s:
        sla_services = [n for n in names if catalogue is None or catalogue.find(n) is not None]
        out: dict = {
            "period": {"label": span.label, "start": _t(span.start), "end": _t(span.end)},
            "gathered_at": _t(system.now()),
            "services": names,
            "sla": _sla(system, s, span, sla_services) if sla_services else [],
            "incidents": _incidents(s, span, services),
            "capacity": _capacity(s, services),
            "nonconformities": _nonconformities(s, span),
        }
        missing = []
        for key, kind_name in OPTIONAL.items():
            found = _optional(records, s, kind_name, span, services)
            if found is None:
                missing.append(key)
            else:
                out[key] = found
    out["not_gathered"] = [f"{k}: the register has no {OPTIONAL[k]} records kind" for k in missing]
    return out
