"""Capacity plans: record forecasts, list plans, move them through their lifecycle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sms_metrics.errors import InputError
from sms_metrics.register import lifecycle
from sms_metrics.register.base import record_changes
from sms_metrics.register.capacity.models import CapacityPlan

KIND = "capacity_plan"
FIGURES = (
    "inputs_hash",
    "model",
    "backtest_mase",
    "backtest_smape",
    "forecast_status",
    "exhaustion_at",
    "exhaustion_earliest_95",
    "horizon_value",
    "horizon_lower_95",
    "horizon_upper_95",
)


class PlanNotFound(InputError):
    """No capacity plan with that id (HTTP 404)."""


@dataclass
class Recorded:
    created: int = 0
    unchanged: int = 0


def _dt(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


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
            CapacityPlan.service == service, CapacityPlan.resource == resource, CapacityPlan.status != "superseded"
        )
    )


def record_forecast(session: Session, doc: dict, *, actor: str, now: datetime) -> CapacityPlan | None:
    """Keep a forecast as a plan. The first one is a draft; a newer one replaces the current plan's
    figures by a new record in the same state (an active plan stays active) and marks the old record
    superseded. The same inputs as the current plan change nothing (returns None)."""
    current = current_plan(session, doc["service"], doc["resource"])
    figures = _figures(doc)
    if current is not None and current.inputs_hash == figures["inputs_hash"]:
        return None
    status = current.status if current is not None else "draft"
    if current is not None:
        lifecycle.check(KIND, current.status, "superseded")
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
        approved_by=current.approved_by if current else None,
        approved_at=current.approved_at if current else None,
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
        )
    record_changes(
        session,
        kind=KIND,
        record_id=plan.id,
        actor=actor,
        at=now,
        changes={
            "status": (None, status),
            **{f: (None, getattr(plan, f)) for f in FIGURES},
            "supersedes_id": (None, plan.supersedes_id),
        },
    )
    return plan


def record_forecasts(session: Session, docs: list[dict], *, actor: str, now: datetime | None = None) -> Recorded:
    now = now or datetime.now(UTC)
    out = Recorded()
    for doc in docs:
        if record_forecast(session, doc, actor=actor, now=now) is None:
            out.unchanged += 1
        else:
            out.created += 1
    return out


def list_plans(
    session: Session,
    *,
    service: str | None = None,
    resource: str | None = None,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[CapacityPlan], int]:
    q = select(CapacityPlan)
    if status == "current":
        q = q.where(CapacityPlan.status.in_(lifecycle.OPEN_STATES[KIND]))
    elif status:
        if status not in lifecycle.TRANSITIONS[KIND]:
            raise InputError(
                f"unknown capacity plan status {status!r}; use current, {', '.join(lifecycle.TRANSITIONS[KIND])}"
            )
        q = q.where(CapacityPlan.status == status)
    if service:
        q = q.where(CapacityPlan.service == service)
    if resource:
        q = q.where(CapacityPlan.resource == resource)
    total = session.scalar(select(func.count()).select_from(q.subquery()))
    rows = session.scalars(q.order_by(CapacityPlan.id.desc()).limit(limit).offset(offset)).all()
    return list(rows), int(total or 0)


def transition_plan(
    session: Session, *, plan_id: int, to: str, actor: str, now: datetime, reason: str | None = None
) -> CapacityPlan:
    """Approve, activate, withdraw to draft or retire a plan. Activating supersedes the resource's
    other current plan, so one plan is in effect at a time."""
    plan = session.get(CapacityPlan, plan_id)
    if plan is None:
        raise PlanNotFound(f"capacity plan {plan_id} does not exist")
    lifecycle.check(KIND, plan.status, to)
    changes: dict = {"status": (plan.status, to)}
    if to == "approved":
        changes.update(approved_by=(plan.approved_by, actor), approved_at=(plan.approved_at, now))
        plan.approved_by, plan.approved_at = actor, now
    if reason:
        changes["reason"] = (None, reason)
    plan.status, plan.updated_at = to, now
    record_changes(session, kind=KIND, record_id=plan.id, actor=actor, at=now, changes=changes)
    return plan
