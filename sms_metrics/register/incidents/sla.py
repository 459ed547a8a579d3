"""The SLA clock job: warn at 75% of the response or resolution time, escalate at 100%.

Times count in the service's hours (its SLA); the resolution clock is paused while an incident is
pending (its due time moves out by the paused service time when it leaves ``pending``). The rules are
``core.clocks``; this module finds the incidents that reached a mark and records what happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from sms_metrics.core.clocks import marks_reached
from sms_metrics.register.base import record_changes
from sms_metrics.register.kinds.incidents import LIFECYCLE, OPEN, Incident

ACTOR = "sla-clock"


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
            "ref": f"INC-{self.incident_id:06d}",
            "service": self.service,
            "priority": self.priority,
            "clock": self.clock,
            "event": self.kind,
            "due_at": self.due_at.isoformat(),
        }


def _reached(now: datetime):
    """Only the incidents whose clock reached a mark: indexed, whatever the number of open incidents."""
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
    return or_(responding, resolving)


def _clock(session: Session, inc: Incident, clock: str, now: datetime) -> list[ClockEvent]:
    due = getattr(inc, f"{clock}_due_at")
    stopped = inc.acknowledged_at is not None if clock == "response" else inc.status == "pending"
    warned, breached = f"{clock}_warned_at", f"{clock}_breached_at"
    marks = marks_reached(
        now,
        warn=getattr(inc, f"{clock}_warn_at"),
        due=due,
        warned=getattr(inc, warned) is not None,
        breached=getattr(inc, breached) is not None,
        stopped=stopped,
    )
    events = []
    for mark in marks:
        if mark == "warning":
            setattr(inc, warned, now)
        else:
            setattr(inc, breached, now)
            before = inc.status
            if inc.status != "escalated":
                LIFECYCLE.check("incident", inc.status, "escalated")
                inc.status = "escalated"
            record_changes(
                session,
                kind="incident",
                record_id=inc.id,
                actor=ACTOR,
                at=now,
                changes={"status": (before, inc.status), breached: (None, now)},
                reason=f"the {clock} clock ran out (due {due.isoformat()})",
            )
        events.append(ClockEvent(inc.id, inc.service, inc.priority, clock, mark, due))
    return events


def check_sla_clocks(session: Session, *, now: datetime) -> list[ClockEvent]:
    """Warn and escalate open incidents whose clocks ran to 75% / 100%; returns what happened."""
    events: list[ClockEvent] = []
    for inc in session.scalars(select(Incident).where(Incident.status.in_(sorted(OPEN)), _reached(now))).all():
        found = [e for clock in ("response", "resolution") for e in _clock(session, inc, clock, now)]
        if found:
            inc.updated_at = now
        events += found
    return events
