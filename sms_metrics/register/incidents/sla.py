"""The SLA clock job: warn at 75% of the response or resolution time, escalate at 100%.

Times count in the service's hours (its SLA); the resolution clock is paused while an incident is
pending (its due time moves out by the paused service time when it leaves ``pending``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from sms_metrics.register import lifecycle
from sms_metrics.register.base import record_changes
from sms_metrics.register.incidents.models import Incident


@dataclass(frozen=True)
class ClockEvent:
    incident_id: int
    service: str
    priority: str
    clock: str  # response | resolution
    kind: str  # warning | breach
    due_at: datetime

    def as_json(self) -> dict:
        return {
            "incident_id": self.incident_id,
            "service": self.service,
            "priority": self.priority,
            "clock": self.clock,
            "event": self.kind,
            "due_at": self.due_at.isoformat(),
        }


def check_sla_clocks(session: Session, *, now: datetime) -> list[ClockEvent]:
    """Warn and escalate open incidents whose clocks ran to 75% / 100%; returns what happened."""
    events: list[ClockEvent] = []
    open_states = lifecycle.OPEN_STATES["incident"]
    responding = and_(
        Incident.acknowledged_at.is_(None),
        or_(
            and_(Incident.response_warned_at.is_(None), Incident.response_warn_at <= now),
            and_(Incident.response_breached_at.is_(None), Incident.response_due_at <= now),
        ),
    )
    resolving = and_(
        Incident.status != "pending",
        or_(
            and_(Incident.resolution_warned_at.is_(None), Incident.resolution_warn_at <= now),
            and_(Incident.resolution_breached_at.is_(None), Incident.resolution_due_at <= now),
        ),
    )
    reached = or_(responding, resolving)
    # only the incidents whose clock reached a mark: indexed, whatever the number of open incidents
    for inc in session.scalars(select(Incident).where(Incident.status.in_(open_states), reached)).all():
        before_events = len(events)
        for clock in ("response", "resolution"):
            due = inc.response_due_at if clock == "response" else inc.resolution_due_at
            stopped = inc.acknowledged_at is not None if clock == "response" else inc.status == "pending"
            if due is None or stopped:
                continue
            warned, breached = f"{clock}_warned_at", f"{clock}_breached_at"
            warn = getattr(inc, f"{clock}_warn_at")
            if getattr(inc, warned) is None and warn is not None and now >= warn:
                setattr(inc, warned, now)
                events.append(ClockEvent(inc.id, inc.service, inc.priority, clock, "warning", due))
            if getattr(inc, breached) is None and now >= due:
                setattr(inc, breached, now)
                before = inc.status
                if inc.status != "escalated":
                    lifecycle.check("incident", inc.status, "escalated")
                    inc.status = "escalated"
                record_changes(
                    session,
                    kind="incident",
                    record_id=inc.id,
                    actor="sla-clock",
                    at=now,
                    changes={"status": (before, inc.status), breached: (None, now)},
                )
                events.append(ClockEvent(inc.id, inc.service, inc.priority, clock, "breach", due))
        if len(events) > before_events:
            inc.updated_at = now
    return events
