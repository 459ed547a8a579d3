"""The fulfilment clock job of service requests: warn at 75% of the fulfilment time, mark the breach at
100% (``core.clocks.marks_reached``, as incidents' clocks). A pending request's clock is paused, so it is
not checked; its due time moves out when it leaves ``pending``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select

from sms_metrics.core.clocks import marks_reached
from sms_metrics.register.db import transaction
from sms_metrics.register.kinds.service_requests import KIND, LIFECYCLE, ServiceRequest
from sms_metrics.register.records.access import Principal
from sms_metrics.register.records.context import WriteContext

ACTOR = Principal("sla-clock", "admin", restricted=True)


@dataclass(frozen=True)
class ClockEvent:
    request_id: int
    service: str
    priority: str
    event: str  # warning | breach
    due_at: datetime

    def as_json(self) -> dict:
        return {
            "request_id": self.request_id,
            "ref": KIND.ref(self.request_id),
            "service": self.service,
            "priority": self.priority,
            "clock": "fulfilment",
            "event": self.event,
            "due_at": self.due_at.isoformat(),
        }


def _reached(now: datetime):
    return and_(
        ServiceRequest.status.in_(sorted(LIFECYCLE.open - {"pending"})),
        or_(
            and_(ServiceRequest.fulfilment_warned_at.is_(None), ServiceRequest.fulfilment_warn_at <= now),
            and_(ServiceRequest.fulfilment_breached_at.is_(None), ServiceRequest.fulfilment_due_at <= now),
        ),
    )


def check_request_clocks(system) -> list[ClockEvent]:
    """One pass: every open request whose clock reached 75% or 100% gets its mark (with history)."""
    events, reads = [], []
    with transaction(system.sessions) as session:
        ctx = WriteContext(session, ACTOR, system.now(), system, system.records)
        for row in session.scalars(select(ServiceRequest).where(_reached(ctx.now))).all():
            marks = marks_reached(
                ctx.now,
                warn=row.fulfilment_warn_at,
                due=row.fulfilment_due_at,
                warned=row.fulfilment_warned_at is not None,
                breached=row.fulfilment_breached_at is not None,
                stopped=False,
            )
            for mark in marks:
                field = "fulfilment_warned_at" if mark == "warning" else "fulfilment_breached_at"
                setattr(row, field, ctx.now)
                ctx.log(
                    KIND,
                    row.id,
                    {field: (None, ctx.now)},
                    f"fulfilment clock {mark} (due {row.fulfilment_due_at.isoformat()})",
                )
                events.append(ClockEvent(row.id, row.service, row.priority, mark, row.fulfilment_due_at))
            if marks:
                row.updated_at = ctx.now
                reads.append((marks[-1], system.records.to_read(KIND, row)))
    for mark, read in reads:
        system.events.emit(KIND.name, f"clock:{mark}", read)
    return events
