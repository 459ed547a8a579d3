"""Forecasts kept as capacity plans. The first forecast of a resource is a draft; a newer forecast with
other inputs writes a new record in the current plan's state (an active plan stays active) and marks
the old one superseded (its figures stay); the same inputs change nothing. What a planner wrote on the
plan (owner, action, ticket, a due date set by hand) carries over to the new record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from sms_metrics.register.base import record_changes
from sms_metrics.register.kinds.capacity_plans import FIGURES, LIFECYCLE, CapacityPlan

KIND = "capacity_plan"
CARRIED = ("owner", "action", "ticket_url", "notes", "approved_by", "approved_at")


@dataclass
class Recorded:
    created: int = 0
    unchanged: int = 0


def _dt(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


def order_by(exhaustion_at: datetime | None, lead_time_seconds: float | None) -> date | None:
    """The last day to start the work: exhaustion minus the lead time."""
    if exhaustion_at is None or lead_time_seconds is None:
        return None
    return (exhaustion_at - timedelta(seconds=lead_time_seconds)).date()


def _figures(doc: dict) -> dict:
    last = doc["forecast"][-1] if doc["forecast"] else {}
    return {
        "inputs_hash": doc["inputs_hash"],
        "model": doc["model"],
        "backtest_mase": doc["backtest"]["mase"],
        "backtest_smape": doc["backtest"]["smape"],
        "forecast_status": doc["status"],
        "exhaustion_at": _dt(doc["exhaustion"]["at"]),
        "exhaustion_earliest_95": _dt(doc["exhaustion"]["earliest_95"]),
        "limit_value": doc["limit"],
        "direction": doc["direction"],
        "lead_time_seconds": doc["lead_time_seconds"],
        "horizon_end": _dt(last.get("t")),
        "horizon_value": last.get("value"),
        "horizon_lower_80": last.get("lower_80"),
        "horizon_upper_80": last.get("upper_80"),
        "horizon_lower_95": last.get("lower_95"),
        "horizon_upper_95": last.get("upper_95"),
        "summary": {k: v for k, v in doc.items() if k != "forecast"},
    }


def current_plan(session: Session, service: str, resource: str) -> CapacityPlan | None:
    return session.scalar(
        select(CapacityPlan).where(
            CapacityPlan.service == service,
            CapacityPlan.resource == resource,
            CapacityPlan.status.in_(sorted(LIFECYCLE.open)),
        )
    )


def _due_date(current: CapacityPlan | None, figures: dict) -> date | None:
    """The order-by date of the new figures, unless a person set the current plan's due date."""
    if (
        current is not None
        and current.due_date is not None
        and current.due_date != order_by(current.exhaustion_at, current.lead_time_seconds)
    ):
        return current.due_date
    return order_by(figures["exhaustion_at"], figures["lead_time_seconds"])


def record_forecast(session: Session, doc: dict, *, actor: str, now: datetime) -> CapacityPlan | None:
    """Keep a forecast as a plan (see the module); returns None when its inputs are the current plan's."""
    current = current_plan(session, doc["service"], doc["resource"])
    figures = _figures(doc)
    if current is not None and current.inputs_hash == figures["inputs_hash"]:
        return None
    status = current.status if current is not None else "draft"
    carried = {f: getattr(current, f) for f in CARRIED} if current is not None else {}
    if current is not None:
        LIFECYCLE.check("capacity plan", current.status, "superseded")
        current.status = "superseded"
        current.updated_at = now
        session.flush()  # the unique current-plan index sees one current record at a time
    plan = CapacityPlan(
        service=doc["service"],
        resource=doc["resource"],
        status=status,
        created_at=now,
        updated_at=now,
        supersedes_id=current.id if current else None,
        due_date=_due_date(current, figures),
        **carried,
        **figures,
    )
    session.add(plan)
    session.flush()
    if current is not None:
        current.superseded_by_id = plan.id
        record_changes(
            session,
            kind=KIND,
            record_id=current.id,
            actor=actor,
            at=now,
            changes={"status": (status, "superseded"), "superseded_by_id": (None, plan.id)},
            reason=f"superseded by the newer forecast CAP-{plan.id:06d}",
        )
    changes = {
        "status": (None, status),
        **{f: (None, getattr(plan, f)) for f in (*FIGURES, "due_date", *CARRIED)},
        "supersedes_id": (None, plan.supersedes_id),
    }
    record_changes(session, kind=KIND, record_id=plan.id, actor=actor, at=now, changes=changes)
    return plan


def record_forecasts(session: Session, docs: list[dict], *, actor: str, now: datetime) -> Recorded:
    out = Recorded()
    for doc in docs:
        if record_forecast(session, doc, actor=actor, now=now) is None:
            out.unchanged += 1
        else:
            out.created += 1
    return out
