"""The SLA clock job: warn at 75% of the response or resolution time, escalate at 100%.

Times count in the service's hours (its SLA); the resolution clock is paused while an incident is
pending (its due time moves out by the paused service time when it leaves ``pending``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sms_metrics.catalogue.model import Catalogue
from sms_metrics.core.calendar import parse_service_hours
from sms_metrics.core.clocks import add_service_time, service_time_between
from sms_metrics.register import lifecycle
from sms_metrics.register.base import record_changes
from sms_metrics.register.incidents.models import Incident

WARN_AT = 0.75


@dataclass(frozen=True)
class ClockEvent:
    incident_id: int
    service: str
    priority: str
    clock: str        # response | resolution
    kind: str         # warning | breach
    due_at: datetime

    def as_json(self) -> dict:
        return {"incident_id": self.incident_id, "service": self.service, "priority": self.priority,
                "clock": self.clock, "event": self.kind, "due_at": self.due_at.isoformat()}


def _warn_time(inc: Incident, clock: str, due: datetime, catalogue: Catalogue | None) -> datetime | None:
    """75% of the clock's service time after opening, plus any time the clock was paused."""
    service = next((s for s in (catalogue.services if catalogue else []) if s.name == inc.service), None)
    if service is None or service.sla is None:
        return None
    minutes = (service.sla.response_minutes if clock == "response" else service.sla.resolution_minutes).get(inc.priority)
    if minutes is None:
        return None
    hours, tz = parse_service_hours(service.sla.service_hours), service.sla.timezone
    paused = service_time_between(add_service_time(inc.opened_at, minutes, hours, tz), due, hours, tz)
    return add_service_time(inc.opened_at, WARN_AT * minutes + paused, hours, tz)


def check_sla_clocks(session: Session, *, catalogue: Catalogue | None, now: datetime) -> list[ClockEvent]:
    """Warn and escalate open incidents whose clocks ran to 75% / 100%; returns what happened."""
    events: list[ClockEvent] = []
    open_states = lifecycle.OPEN_STATES["incident"]
    for inc in session.scalars(select(Incident).where(Incident.status.in_(open_states))).all():
        before_events = len(events)
        for clock in ("response", "resolution"):
            due = inc.response_due_at if clock == "response" else inc.resolution_due_at
            stopped = inc.acknowledged_at is not None if clock == "response" else inc.status == "pending"
            if due is None or stopped:
                continue
            warned, breached = f"{clock}_warned_at", f"{clock}_breached_at"
            warn = _warn_time(inc, clock, due, catalogue)
            if getattr(inc, warned) is None and warn is not None and now >= warn:
                setattr(inc, warned, now)
                events.append(ClockEvent(inc.id, inc.service, inc.priority, clock, "warning", due))
            if getattr(inc, breached) is None and now >= due:
                setattr(inc, breached, now)
                before = inc.status
                if inc.status != "escalated":
                    lifecycle.check("incident", inc.status, "escalated")
                    inc.status = "escalated"
                record_changes(session, kind="incident", record_id=inc.id, actor="sla-clock", at=now,
                               changes={"status": (before, inc.status), breached: (None, now)})
                events.append(ClockEvent(inc.id, inc.service, inc.priority, clock, "breach", due))
        if len(events) > before_events:
            inc.updated_at = now
    return events
