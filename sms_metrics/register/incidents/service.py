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
from sms_metrics.register.incidents.ingest import WATCHED, AlertBatch
from sms_metrics.register.incidents.ingest import snapshot as _snapshot
from sms_metrics.register.incidents.models import Incident
from sms_metrics.register.webhook.schema import WebhookAlert

KIND = "incident"
OPEN = lifecycle.OPEN_STATES[KIND]
WARN_AT = 0.75


class IncidentNotFound(InputError):
    pass


def _service_of(catalogue: Catalogue | None, name: str) -> Service | None:
    if catalogue is None:
        return None
    return next((s for s in catalogue.services if s.name == name), None)


def clock_times(service: Service | None, prio: str, opened: datetime) -> dict[str, datetime | None]:
    """Due and warning (75%) times of the response and resolution clocks, in service hours."""
    out: dict[str, datetime | None] = {
        f"{c}_{k}": None for c in ("response", "resolution") for k in ("due_at", "warn_at")
    }
    if service is None or service.sla is None:
        return out
    sla = service.sla
    hours = parse_service_hours(sla.service_hours)
    for clock, table in (("response", sla.response_minutes), ("resolution", sla.resolution_minutes)):
        minutes = table.get(prio)
        if minutes is not None:
            out[f"{clock}_due_at"] = add_service_time(opened, minutes, hours, sla.timezone)
            out[f"{clock}_warn_at"] = add_service_time(opened, WARN_AT * minutes, hours, sla.timezone)
    return out


def _changed(session: Session, inc: Incident, before: dict, actor: str, at: datetime) -> None:
    inc.updated_at = at
    session.flush()
    record_changes(
        session,
        kind=KIND,
        record_id=inc.id,
        actor=actor,
        at=at,
        changes={f: (before.get(f), getattr(inc, f)) for f in WATCHED},
    )


def new_incident(alert: WebhookAlert, catalogue: Catalogue | None, now: datetime) -> dict:
    """The column values of a new incident for ``alert``: service, priority, SLA due times."""
    labels = alert.labels
    name = labels.get("service") or labels.get("sloth_service") or "unknown"
    service = _service_of(catalogue, name)
    impact, urgency = impact_of(service.criticality if service else None), urgency_of(labels.get("severity"))
    prio = priority(impact, urgency)
    clocks = clock_times(service, prio, alert.startsAt)
    ann = alert.annotations
    return dict(
        status="new",
        priority=prio,
        impact=impact,
        urgency=urgency,
        service=name,
        slo=labels.get("slo") or labels.get("sloth_slo"),
        fingerprint=alert.fingerprint,
        alertname=labels.get("alertname"),
        title=(ann.get("summary") or ann.get("title") or labels.get("alertname") or "alert")[:500],
        description=ann.get("description"),
        runbook_url=ann.get("runbook_url") or ann.get("runbook"),
        generator_url=alert.generatorURL or None,
        labels=dict(labels),
        needs_triage=service is None,
        opened_at=alert.startsAt,
        occurrence_count=1,
        updated_at=now,
        **clocks,
    )


def ingest_alerts(
    session: Session,
    *,
    alerts: list[WebhookAlert],
    catalogue: Catalogue | None,
    now: datetime,
    reopen_window: timedelta = timedelta(hours=1),
) -> list[str]:
    """Apply a delivery's alerts in order; returns what happened to each (opened, resolved, ...)."""
    batch = AlertBatch(
        session, alerts, catalogue=catalogue, now=now, reopen_window=reopen_window, new_incident=new_incident
    )
    actions = [batch.apply(a) for a in alerts]
    batch.finish()
    return actions


def ingest_alert(
    session: Session,
    *,
    alert: WebhookAlert,
    catalogue: Catalogue | None,
    now: datetime,
    reopen_window: timedelta = timedelta(hours=1),
) -> str:
    """Apply one alert (see ``ingest_alerts``)."""
    return ingest_alerts(session, alerts=[alert], catalogue=catalogue, now=now, reopen_window=reopen_window)[0]


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
        if inc.resolution_warn_at is not None and inc.resolution_warned_at is None:
            inc.resolution_warn_at = add_service_time(inc.resolution_warn_at, paused, hours, service.sla.timezone)
    else:
        inc.resolution_due_at += now - inc.pending_since
        if inc.resolution_warn_at is not None:
            inc.resolution_warn_at += now - inc.pending_since
    inc.pending_since = None


def transition(
    session: Session,
    *,
    incident_id: int,
    to: str,
    actor: str,
    now: datetime,
    reason: str | None = None,
    assignee: str | None = None,
    catalogue: Catalogue | None = None,
) -> Incident:
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


def list_incidents(
    session: Session, *, status: str | None = None, service: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[Incident], int]:
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
