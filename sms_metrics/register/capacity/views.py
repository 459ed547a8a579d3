"""Capacity plan routes: list, read, move through the lifecycle."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Query, Response

from sms_metrics.register.capacity.models import CapacityPlan, CapacityPlanRead, PlanTransition
from sms_metrics.register.capacity.service import PlanNotFound, list_plans, transition_plan
from sms_metrics.register.db import transaction
from sms_metrics.register.webhook.views import admin_guard


def capacity_router(state) -> APIRouter:
    admin = admin_guard(state)
    router = APIRouter(prefix="/api/v1/capacity-plans", dependencies=[Depends(admin)])

    @router.get("", response_model=list[CapacityPlanRead])
    def list_(
        response: Response,
        status: str | None = Query(None, description="current, draft, approved, active or superseded"),
        service: str | None = None,
        resource: str | None = None,
        limit: int = Query(100, ge=1, le=1000),
        offset: int = Query(0, ge=0),
    ):
        with state.sessions() as session:
            rows, total = list_plans(
                session, service=service, resource=resource, status=status, limit=limit, offset=offset
            )
            response.headers["X-Total-Count"] = str(total)
            return [CapacityPlanRead.model_validate(r) for r in rows]

    @router.get("/{plan_id}")
    def read(plan_id: int) -> dict:
        with state.sessions() as session:
            plan = session.get(CapacityPlan, plan_id)
            if plan is None:
                raise PlanNotFound(f"capacity plan {plan_id} does not exist")
            return {**CapacityPlanRead.model_validate(plan).model_dump(mode="json"), "summary": plan.summary}

    @router.post("/{plan_id}/transitions", response_model=CapacityPlanRead)
    def move(plan_id: int, body: PlanTransition, actor: str = Depends(admin)):
        with transaction(state.sessions) as session:
            plan = transition_plan(
                session, plan_id=plan_id, to=body.to, actor=actor, now=datetime.now(UTC), reason=body.reason
            )
            return CapacityPlanRead.model_validate(plan)

    return router
