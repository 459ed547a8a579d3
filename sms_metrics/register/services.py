"""``GET /api/v1/services``: the catalogue's services as the register sees them — their roles (owner,
manager, supplier contact: ISO/IEC 20000-1 5.4, kept in ``sms.yaml``), their SLA, and, for one service,
how many records of each kind are open for it. Read-only: roles change in the catalogue."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy import func, select

from sms_metrics.errors import Forbidden, RecordNotFound
from sms_metrics.register.base import Link
from sms_metrics.register.records.access import WEBHOOK_ROLE, Principal

ROLES = ("owner", "manager", "supplier_contact")


def service_view(svc) -> dict:
    sla = svc.sla
    return {
        "name": svc.name,
        "display_name": svc.display_name,
        "description": svc.description,
        "criticality": svc.criticality,
        **{r: getattr(svc, r) for r in ROLES},
        "availability_target": sla.availability_target if sla else None,
        "timezone": sla.timezone if sla else None,
        "service_hours": sla.service_hours if sla else None,
        "slos": [s.name for s in svc.slos],
    }


def open_records(records, who: Principal, service: str) -> dict[str, int]:
    """Open records per kind (path) that name ``service``; kinds the token may not see are left out."""
    out: dict[str, int] = {}
    with records.reading() as s:
        for kind in records.kinds.values():
            if kind.restricted and not who.restricted:
                continue
            model, states = kind.model, sorted(kind.lifecycle.open)
            if hasattr(model, "service"):
                query = select(func.count()).where(model.service == service, model.status.in_(states))
            elif "services" in kind.links:
                linked = select(Link.record_id).where(
                    Link.kind == kind.name, Link.field == "services", Link.target == service
                )
                query = select(func.count()).where(model.id.in_(linked), model.status.in_(states))
            else:
                continue
            out[kind.path] = int(s.scalar(query) or 0)
    return out


def services_router(system, principal) -> APIRouter:
    router = APIRouter(prefix="/api/v1/services", tags=["services"])

    def reader(who: Principal = Depends(principal)) -> Principal:
        if who.role == WEBHOOK_ROLE:
            raise Forbidden("the webhook token may only deliver alerts")
        return who

    def catalogue():
        if system.catalogue is None:
            raise RecordNotFound("no catalogue is loaded (serve --catalogue or SMS_CATALOGUE)")
        return system.catalogue

    @router.get("", summary="Catalogue services with their roles and SLA")
    def list_(who: Principal = Depends(reader)) -> list[dict]:
        return [service_view(s) for s in catalogue().services]

    @router.get("/{name}", summary="One service: roles, SLA and its open records per kind")
    def one(name: str, who: Principal = Depends(reader)) -> dict:
        svc = catalogue().find(name)
        if svc is None:
            raise RecordNotFound(f"service {name!r} is not in the catalogue")
        return {**service_view(svc), "open_records": open_records(system.records, who, name)}

    return router
