"""The home page: every catalogue service with its state now, this month's availability against its
target and the budget left, its open incidents and capacity status, and links to Grafana."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from sms_metrics.errors import SmsError
from sms_metrics.web.auth import signed_in
from sms_metrics.web.live import ServiceState
from sms_metrics.web.render import page
from sms_metrics.web.sessions import Signed

RANK = {"urgent": 0, "plan": 1, "ok": 2}


@dataclass
class Row:
    name: str
    display: str
    state: ServiceState
    report: dict | None
    open_incidents: int
    capacity: str | None  # the worst forecast status of the service's current plans
    grafana: str | None


def grafana_link(base: str | None, uid: str, service: str | None = None) -> str | None:
    if not base:
        return None
    return f"{base.rstrip('/')}/d/{uid}" + (f"?var-service={quote(service)}" if service else "")


def capacity_by_service(records, who) -> dict[str, str]:
    plans, _ = records.list("capacity-plans", who, status="current", limit=1000)
    worst: dict[str, str] = {}
    for p in plans:
        status = p.forecast_status or "ok"
        if p.service not in worst or RANK.get(status, 3) < RANK.get(worst[p.service], 3):
            worst[p.service] = status
    return worst


def rows(pages, who) -> tuple[list[Row], list[str]]:
    catalogue, records = pages.system.catalogue, pages.records
    snap = pages.live.snapshot()
    problems = list(snap.problems)
    try:
        month = pages.live.this_month()
    except SmsError as exc:
        month = {}
        problems.append(f"this month's availability unknown: {exc}")
    capacity = capacity_by_service(records, who) if "capacity-plans" in records.by_path else {}
    out = []
    for svc in catalogue.services if catalogue else []:
        _, open_count = records.list("incidents", who, status="open", filters={"service": svc.name}, limit=1)
        out.append(
            Row(
                svc.name,
                svc.display_name or svc.name,
                snap.states[svc.name],
                month.get(svc.name),
                open_count,
                capacity.get(svc.name),
                grafana_link(pages.settings.grafana_url, "service-detail", svc.name),
            )
        )
    return out, problems


def router(pages) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/")
    def home(request: Request, signed: Signed = Depends(signed_in)) -> Response:
        services, problems = rows(pages, signed.who)
        latest, total = pages.records.list("incidents", signed.who, status="open", limit=10)
        return page(
            request,
            "home.html.j2",
            services=services,
            problems=problems,
            incidents=latest,
            incidents_total=total,
            overview=grafana_link(pages.settings.grafana_url, "sla-overview"),
            month=f"{pages.system.now():%Y-%m}",
            catalogue=pages.system.catalogue is not None,
        )

    return r
