"""The figures a service review starts from, per service over the review's period (read in the service's
SLA time zone): availability per SLO (from the period's service report when the register keeps them,
else measured from Prometheus by the availability engine, with approved change windows excluded),
incidents by priority and their SLA breaches, changes, complaints, service requests and satisfaction.

Everything is read before the review's write transaction starts (a reader session and Prometheus), so
the register's write lock is never held while Prometheus answers."""

from __future__ import annotations

import logging
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sms_metrics.core.periods import Period, rfc3339
from sms_metrics.core.relations import SurveyResult, period_dates, period_in_zone, weighted_score
from sms_metrics.errors import PrometheusError, SmsError
from sms_metrics.register.base import Link
from sms_metrics.register.kinds.changes import Change, maintenance_windows
from sms_metrics.register.kinds.complaints import LIFECYCLE as COMPLAINT_STATES
from sms_metrics.register.kinds.complaints import Complaint
from sms_metrics.register.kinds.incidents import Incident
from sms_metrics.register.kinds.satisfaction_surveys import COUNTED, SatisfactionSurvey
from sms_metrics.register.kinds.shared import PRIORITIES
from sms_metrics.reports.availability import measure_service
from sms_metrics.reports.sla_document import report_dict

log = logging.getLogger(__name__)


def _report_text(period: str) -> str:
    """The period as the report code reads it: a month, else its date range."""
    a, b = period_dates(period)
    return period if len(period) == 7 and period[4] == "-" else f"{a.isoformat()}..{b.isoformat()}"


def _slo_service(service, slo):
    """The service with its SLA measuring ``slo`` against the SLO's objective (hours and maintenance kept)."""
    from sms_metrics.catalogue.model import SLA

    sla = service.sla or SLA(availability_target=slo.objective)
    return service.model_copy(
        update={"slos": [slo], "sla": sla.model_copy(update={"slo": slo.name, "availability_target": slo.objective})}
    )


def stored_report(system, session: Session, service: str, period: str) -> dict | None:
    """The SLO figures of the period's service report, when the register keeps them (kind
    ``service_report``: one record per service and period with the ``report availability`` JSON)."""
    kind = system.records.kinds.get("service_report")
    model = getattr(kind, "model", None)
    if model is None or not all(hasattr(model, a) for a in ("service", "period", "figures")):
        return None
    row = session.scalars(
        select(model)
        .where(model.service == service, model.period == period, model.status != "withdrawn")
        .order_by(model.id.desc())
        .limit(1)
    ).first()
    if row is None or not isinstance(row.figures, dict):
        return None
    f = row.figures
    return {
        "slo": f.get("slo"),
        "objective_percent": f.get("target_percent"),
        "availability_percent": f.get("availability_percent"),
        "met": f.get("met"),
        "downtime_seconds": f.get("downtime_seconds"),
        "data_coverage_percent": f.get("data_coverage_percent"),
        "outages": len(f.get("outages") or []),
        "source": kind.ref(row.id),
    }


def _measure(system, service, slo, text: str, windows: list) -> tuple[dict | None, list[str]]:
    try:
        rep = measure_service(
            system.prometheus, _slo_service(service, slo), text, now=system.now(), extra_windows=windows
        )
    except (PrometheusError, SmsError) as exc:
        return None, [f"{slo.name}: not measured: {exc}"]
    doc = report_dict(rep)
    entry = {
        "slo": slo.name,
        "objective_percent": slo.objective,
        "availability_percent": doc["availability_percent"],
        "met": doc["met"],
        "downtime_seconds": doc["downtime_seconds"],
        "data_coverage_percent": doc["data_coverage_percent"],
        "outages": len(doc["outages"]),
        "source": "prometheus",
    }
    return entry, [f"{slo.name}: {w}" for w in doc["warnings"]]


def availability(system, session: Session, service, period: str, windows: list) -> dict:
    """Availability of every SLO of ``service`` over ``period``: the SLO of a stored service report from
    it, every other SLO measured from Prometheus as ``report availability`` measures it."""
    stored = stored_report(system, session, service.name, period)
    out: dict = {"slos": [], "warnings": []}
    for slo in service.slos:
        if stored is not None and stored["slo"] in (slo.name, None) and slo is service.availability_slo():
            out["slos"].append({**stored, "slo": slo.name})
            continue
        entry, warnings = _measure(system, service, slo, _report_text(period), windows)
        out["slos"] += [entry] if entry else []
        out["warnings"] += warnings
    sla_slo = service.availability_slo()
    found = next((s for s in out["slos"] if sla_slo is not None and s["slo"] == sla_slo.name), None)
    if service.sla is not None and found is not None:
        avail, target = found["availability_percent"], service.sla.availability_target
        met = None if avail is None else avail >= target - 1e-9
        out["sla"] = {"slo": found["slo"], "target_percent": target, "availability_percent": avail, "met": met}
    return out


def _incidents(session: Session, service: str, span: Period) -> dict:
    rows = session.execute(
        select(Incident.priority, Incident.response_breached_at, Incident.resolution_breached_at).where(
            Incident.service == service, Incident.opened_at >= span.start, Incident.opened_at < span.end
        )
    ).all()
    by_priority = Counter(r[0] for r in rows)
    return {
        "total": len(rows),
        "by_priority": {p: by_priority.get(p, 0) for p in PRIORITIES},
        "response_breaches": sum(r[1] is not None for r in rows),
        "resolution_breaches": sum(r[2] is not None for r in rows),
        "breached": sum(r[1] is not None or r[2] is not None for r in rows),
    }


def _changes(session: Session, service: str, span: Period) -> dict:
    when = func.coalesce(Change.planned_start, Change.created_at)
    rows = session.execute(
        select(Change.type, Change.status)
        .join(Link, (Link.record_id == Change.id) & (Link.kind == "change") & (Link.field == "services"))
        .where(Link.target == service, when >= span.start, when < span.end)
    ).all()
    return {
        "total": len(rows),
        "by_type": dict(sorted(Counter(r[0] for r in rows).items())),
        "by_status": dict(sorted(Counter(r[1] for r in rows).items())),
    }


def _complaints(session: Session, service: str, span: Period) -> dict:
    rows = session.execute(
        select(Complaint.severity, Complaint.status).where(
            Complaint.service == service, Complaint.received_at >= span.start, Complaint.received_at < span.end
        )
    ).all()
    return {
        "total": len(rows),
        "open": sum(r[1] in COMPLAINT_STATES.open for r in rows),
        "by_severity": dict(sorted(Counter(r[0] for r in rows).items())),
    }


def _satisfaction(session: Session, service: str, period: str) -> dict:
    first, after = period_dates(period)
    rows = session.scalars(
        select(SatisfactionSurvey).where(
            SatisfactionSurvey.service == service,
            SatisfactionSurvey.status.in_(COUNTED),
            SatisfactionSurvey.period_start >= first,
            SatisfactionSurvey.period_end <= after,
        )
    ).all()
    score, n = weighted_score(SurveyResult(r.period, r.score, r.respondents) for r in rows)
    return {"surveys": len(rows), "respondents": n, "score": None if score is None else round(score, 3)}


def _register_figures(session: Session, service: str, period: str, span: Period) -> dict:
    from sms_metrics.register.kinds.service_requests import request_figures

    return {
        "incidents": _incidents(session, service, span),
        "changes": _changes(session, service, span),
        "complaints": _complaints(session, service, span),
        "requests": request_figures(session, service, span),
        "satisfaction": _satisfaction(session, service, period),
    }


def review_figures(system, services: list[str], period: str) -> dict:
    """Every figure of a review of ``services`` over ``period``, per service."""
    cat, out = system.catalogue, []
    with system.readers() as session, session.begin():
        for name in services:
            svc = cat.find(name) if cat is not None else None
            span = period_in_zone(period, svc.sla.timezone if svc is not None and svc.sla else "UTC")
            entry = {"service": name, "period": {"start": rfc3339(span.start), "end": rfc3339(span.end)}}
            entry.update(_register_figures(session, name, period, span))
            if svc is None:
                entry["availability"] = {"slos": [], "warnings": [f"{name} is not in the catalogue"]}
            else:
                windows = maintenance_windows(session, [name], span.start, span.end)[name]
                entry["availability"] = availability(system, session, svc, period, windows)
            out.append(entry)
    return {"period": period, "computed_at": rfc3339(system.now()), "services": out}
