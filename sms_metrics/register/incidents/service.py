"""Incident operations: ingest an alert, move an incident through its lifecycle, list them.

Keyword-only functions, session first (house rule 4); every change writes history rows in the
caller's transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sms_metrics.catalogue.model import Catalogue, Service
from sms_metrics.core.calendar import parse_service_hours
from sms_metrics.core.clocks import add_service_time, service_time_between
from sms_metrics.core.priority import impact_of, priority, urgency_of
from sms_metrics.errors import InputError
from sms_metrics.register import lifecycle
from sms_metrics.register.base import record_changes
from sms_metrics.register.incidents.models import Incident, Occurrence
from sms_metrics.register.incidents.problems import propose_problem
from sms_metrics.register.webhook.schema import WebhookAlert

KIND = "incident"
OPEN = lifecycle.OPEN_STATES[KIND]
WATCHED = ("status", "priority", "assignee", "resolved_at", "acknowledged_at", "occurrence_count",
           "linked_incident_id", "resolution_reason", "resolution_due_at", "problem_id")


class IncidentNotFound(InputError):
    pass


def _service_of(catalogue: Catalogue | None, name: str) -> Service | None:
    if catalogue is None:
        return None
    return next((s for s in catalogue.services if s.name == name), None)


def due_times(service: Service | None, prio: str, opened: datetime) -> tuple[datetime | None, datetime | None]:
    """Response and resolution due times from the service's SLA, counted in its service hours."""
    if service is None or service.sla is None:
        return None, None
    sla = service.sla
    hours = parse_service_hours(sla.service_hours)
    out = []
    for table in (sla.response_minutes, sla.resolution_minutes):
        minutes = table.get(prio)
        out.append(None if minutes is None else add_service_time(opened, minutes, hours, sla.timezone))
    return out[0], out[1]


def _snapshot(inc: Incident) -> dict:
    return {f: getattr(inc, f) for f in WATCHED}


def _changed(session: Session, inc: Incident, before: dict, actor: str, at: datetime) -> None:
    inc.updated_at = at
    session.flush()
    record_changes(session, kind=KIND, record_id=inc.id, actor=actor, at=at,
                   changes={f: (before.get(f), getattr(inc, f)) for f in WATCHED})


def _open_from_alert(session: Session, alert: WebhookAlert, catalogue: Catalogue | None, now: datetime,
                     linked: int | None) -> Incident:
    labels = alert.labels
    name = labels.get("service") or labels.get("sloth_service") or "unknown"
    service = _service_of(catalogue, name)
    impact, urgency = impact_of(service.criticality if service else None), urgency_of(labels.get("severity"))
    prio = priority(impact, urgency)
    response_due, resolution_due = due_times(service, prio, alert.startsAt)
    ann = alert.annotations
    inc = Incident(status="new", priority=prio, impact=impact, urgency=urgency, service=name,
                   slo=labels.get("slo") or labels.get("sloth_slo"), fingerprint=alert.fingerprint,
                   alertname=labels.get("alertname"),
                   title=(ann.get("summary") or ann.get("title") or labels.get("alertname") or "alert")[:500],
                   description=ann.get("description"), runbook_url=ann.get("runbook_url") or ann.get("runbook"),
                   generator_url=alert.generatorURL or None, labels=dict(labels), needs_triage=service is None,
                   opened_at=alert.startsAt, occurrence_count=1, response_due_at=response_due,
                   resolution_due_at=resolution_due, linked_incident_id=linked, updated_at=now)
    session.add(inc)
    session.flush()
    record_changes(session, kind=KIND, record_id=inc.id, actor="alertmanager", at=now,
                   changes={"status": (None, "new"), "priority": (None, prio)})
    return inc


def ingest_alert(session: Session, *, alert: WebhookAlert, catalogue: Catalogue | None, now: datetime,
                 reopen_window: timedelta = timedelta(hours=1)) -> str:
    """Apply one alert of a delivery; returns what happened (opened, reopened, ...)."""
    occ = session.scalar(select(Occurrence).where(Occurrence.fingerprint == alert.fingerprint,
                                                  Occurrence.starts_at == alert.startsAt))
    if alert.status == "resolved":
        return _resolve(session, alert, occ, catalogue, now)
    if occ is not None:
        return "duplicate"                      # repeat delivery, or a late firing after its resolve
    current = session.scalar(select(Incident).where(Incident.fingerprint == alert.fingerprint,
                                                    Incident.status.in_(OPEN)))
    if current is not None:
        before = _snapshot(current)
        current.occurrence_count += 1
        session.add(Occurrence(incident_id=current.id, fingerprint=alert.fingerprint, starts_at=alert.startsAt,
                               resolved=False))
        _changed(session, current, before, "alertmanager", now)
        return "updated"
    last = session.scalar(select(Incident).where(Incident.fingerprint == alert.fingerprint)
                          .order_by(Incident.id.desc()).limit(1))
    if last is not None and last.status == "resolved" and last.resolved_at is not None \
            and alert.startsAt - last.resolved_at <= reopen_window:
        before = _snapshot(last)
        lifecycle.check(KIND, last.status, "new")
        last.status, last.resolved_at, last.resolution_reason = "new", None, None
        last.occurrence_count += 1
        session.add(Occurrence(incident_id=last.id, fingerprint=alert.fingerprint, starts_at=alert.startsAt,
                               resolved=False))
        _changed(session, last, before, "alertmanager", now)
        return "reopened"
    inc = _open_from_alert(session, alert, catalogue, now, last.id if last is not None else None)
    session.add(Occurrence(incident_id=inc.id, fingerprint=alert.fingerprint, starts_at=alert.startsAt,
                           resolved=False))
    propose_problem(session, incident=inc, now=now)
    return "opened"


def _resolve(session: Session, alert: WebhookAlert, occ: Occurrence | None, catalogue, now: datetime) -> str:
    ends = alert.endsAt or now
    if occ is None:
        # resolved before we saw it fire (out of order): record it, so a late firing is recognised
        inc = _open_from_alert(session, alert, catalogue, now, None)
        before = _snapshot(inc)
        inc.status, inc.resolved_at, inc.resolution_reason = "resolved", ends, "alert resolved"
        session.add(Occurrence(incident_id=inc.id, fingerprint=alert.fingerprint, starts_at=alert.startsAt,
                               ends_at=ends, resolved=True))
        _changed(session, inc, before, "alertmanager", now)
        return "recorded-resolved"
    if occ.resolved:
        return "duplicate"
    occ.resolved, occ.ends_at = True, ends
    inc = session.get(Incident, occ.incident_id)
    still_firing = session.scalar(select(func.count()).select_from(Occurrence).where(
        Occurrence.incident_id == inc.id, Occurrence.resolved.is_(False)))
    if inc.status not in OPEN or still_firing:
        return "noted"
    before = _snapshot(inc)
    inc.status, inc.resolved_at, inc.resolution_reason = "resolved", ends, "alert resolved"
    _changed(session, inc, before, "alertmanager", now)
    return "resolved"


def _leave_pending(inc: Incident, catalogue: Catalogue | None, now: datetime) -> None:
    """The resolution clock was paused: move its due time out by the paused service time."""
    service = _service_of(catalogue, inc.service)
    if inc.pending_since is None or inc.resolution_due_at is None:
        inc.pending_since = None
        return
    if service is not None and service.sla is not None:
        hours = parse_service_hours(service.sla.service_hours)
        paused = service_time_between(inc.pending_since, now, hours, service.sla.timezone)
        inc.resolution_due_at = add_service_time(inc.resolution_due_at, paused, hours, service.sla.timezone)
    else:
        inc.resolution_due_at += now - inc.pending_since
    inc.pending_since = None


def transition(session: Session, *, incident_id: int, to: str, actor: str, now: datetime,
               reason: str | None = None, assignee: str | None = None,
               catalogue: Catalogue | None = None) -> Incident:
    """Move an incident as a person asks; illegal moves are refused with the allowed ones."""
    inc = session.get(Incident, incident_id)
    if inc is None:
        raise IncidentNotFound(f"incident {incident_id} does not exist")
    lifecycle.check(KIND, inc.status, to)
    before = _snapshot(inc)
    if inc.status == "pending":
        _leave_pending(inc, catalogue, now)
    if to == "pending":
        inc.pending_since = now
    inc.status = to
    if to == "acknowledged" and inc.acknowledged_at is None:
        inc.acknowledged_at = now
    if to == "assigned":
        if not assignee:
            raise InputError("assigning needs an assignee")
        inc.assignee = assignee
    if to == "resolved":
        inc.resolved_at, inc.resolution_reason = now, reason or "resolved by " + actor
    if to == "closed":
        inc.closed_at = now
    if to == "new":
        inc.resolved_at, inc.resolution_reason = None, None
    _changed(session, inc, before, actor, now)
    return inc


def list_incidents(session: Session, *, status: str | None = None, service: str | None = None,
                   limit: int = 100, offset: int = 0) -> tuple[list[Incident], int]:
    q = select(Incident)
    if status == "open":
        q = q.where(Incident.status.in_(OPEN))
    elif status is not None:
        if status not in lifecycle.TRANSITIONS[KIND]:
            raise InputError(f"unknown status {status!r}: use open, {', '.join(lifecycle.TRANSITIONS[KIND])}")
        q = q.where(Incident.status == status)
    if service:
        q = q.where(Incident.service == service)
    total = session.scalar(select(func.count()).select_from(q.subquery()))
    rows = session.scalars(q.order_by(Incident.id.desc()).limit(limit).offset(offset)).all()
    return list(rows), total
