"""Incident routes: list, read, move through the lifecycle."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Query, Response

from sms_metrics.register.db import transaction
from sms_metrics.register.incidents.models import IncidentRead, TransitionRequest
from sms_metrics.register.incidents.service import list_incidents, transition
from sms_metrics.register.webhook.views import admin_guard


def incidents_router(state) -> APIRouter:
    admin = admin_guard(state)
    router = APIRouter(prefix="/api/v1/incidents", dependencies=[Depends(admin)])

    @router.get("", response_model=list[IncidentRead])
    def list_(
        response: Response,
        status: str | None = Query(None, description="open, resolved, closed, ..."),
        service: str | None = None,
        limit: int = Query(100, ge=1, le=1000),
        offset: int = Query(0, ge=0),
    ):
        with state.sessions() as session:
            rows, total = list_incidents(session, status=status, service=service, limit=limit, offset=offset)
            response.headers["X-Total-Count"] = str(total)
            return [IncidentRead.model_validate(r) for r in rows]

    @router.post("/{incident_id}/transitions", response_model=IncidentRead)
    def move(incident_id: int, body: TransitionRequest, actor: str = Depends(admin)):
        with transaction(state.sessions) as session:
            inc = transition(
                session,
                incident_id=incident_id,
                to=body.to,
                actor=actor,
                now=datetime.now(UTC),
                reason=body.reason,
                assignee=body.assignee,
                catalogue=state.catalogue,
            )
            return IncidentRead.model_validate(inc)

    return router
