"""Propose a problem (8.2) when incidents repeat: three or more with the same fingerprint or the
same service within seven days. The problem links them; later ones join it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from sms_metrics.register.base import record_changes
from sms_metrics.register.kinds.incidents import Incident
from sms_metrics.register.kinds.problems import ACTIVE, Problem

WINDOW = timedelta(days=7)
THRESHOLD = 3


class Repeated(Protocol):
    """What a proposal reads of an incident: a stored one, or one a delivery has just inserted."""

    id: int
    opened_at: datetime
    fingerprint: str | None
    service: str
    title: str
    problem_id: int | None


def propose_problem(session: Session, *, incident: Repeated, now: datetime) -> Problem | None:
    """The problem ``incident`` belongs to, proposing one when the repeat threshold is reached. The caller
    links ``incident`` itself when it is not one of the first ``THRESHOLD`` of the week (those are linked
    here)."""
    since = incident.opened_at - WINDOW
    for field, value in (("fingerprint", incident.fingerprint), ("service", incident.service)):
        if value is None:
            continue
        column = getattr(Incident, field)
        problem = session.scalar(
            select(Problem).where(getattr(Problem, field) == value, Problem.status.in_(sorted(ACTIVE)))
        )
        if problem is not None:  # the problem exists: this incident joins it
            incident.problem_id = incident.problem_id or problem.id
            return problem
        recent = session.scalars(
            select(Incident).where(column == value, Incident.opened_at >= since).order_by(Incident.id).limit(THRESHOLD)
        ).all()
        if len(recent) < THRESHOLD:
            continue
        if problem is None:
            ids = ", ".join(f"INC-{i.id:06d}" for i in recent)
            problem = Problem(
                status="proposed",
                service=incident.service,
                fingerprint=incident.fingerprint if field == "fingerprint" else None,
                title=f"Repeated incidents on {incident.service}: {incident.title}"[:500],
                description=f"{len(recent)} incidents with the same {field} ({value}) within 7 days: {ids}",
                created_at=now,
                updated_at=now,
            )
            session.add(problem)
            session.flush()
            record_changes(
                session,
                kind="problem",
                record_id=problem.id,
                actor="sms-metrics",
                at=now,
                changes={"status": (None, "proposed")},
            )
        for inc in recent:
            if inc.problem_id is None:
                inc.problem_id = problem.id
        return problem
    return None
