"""The public status page (no sign-in): each public service's state now and its last 90 days, open
incidents with their published status updates, recent notices and planned maintenance. Nothing internal
is shown: no alert labels, hosts, people, incident titles or change titles. Also as JSON and Atom."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from sms_metrics.core.periods import rfc3339
from sms_metrics.errors import SmsError
from sms_metrics.register.records.access import Principal
from sms_metrics.web.atom import feed
from sms_metrics.web.render import page

PUBLIC = Principal("status-page", "viewer")  # reads like a viewer: never a restricted record
WORST = ("down", "degraded", "maintenance", "unknown", "up")
IMPACT = {"P1": "major", "P2": "partial", "P3": "minor", "P4": "minor"}
NOTICE_DAYS = 7


def _updates(records, public: set[str]) -> list:
    found, _ = records.list("status-updates", PUBLIC, status="published", limit=200)
    return [u for u in found if set(u.services) & public]


def _update(u) -> dict:
    return {"id": u.ref, "at": rfc3339(u.created_at), "phase": u.phase, "title": u.title, "message": u.message}


def _incidents(pages, public: dict, updates: list) -> list[dict]:
    out = []
    for name, display in public.items():
        found, _ = pages.records.list("incidents", PUBLIC, status="open", filters={"service": name}, limit=20)
        for inc in found:
            mine = [u for u in updates if inc.id in (u.incidents or [])]
            latest = mine[0] if mine else None
            out.append(
                {
                    "id": inc.ref,
                    "title": latest.title if latest else f"{display}: service disruption",
                    "phase": latest.phase if latest else "investigating",
                    "impact": IMPACT.get(inc.priority, "minor"),
                    "services": [display],
                    "started_at": rfc3339(inc.opened_at),
                    "updates": [_update(u) for u in mine],
                }
            )
    return sorted(out, key=lambda i: i["started_at"], reverse=True)


def _notices(pages, updates: list, shown: set[str], public: dict) -> list[dict]:
    since = pages.system.now() - timedelta(days=NOTICE_DAYS)
    return [
        {**_update(u), "services": [public[s] for s in u.services if s in public]}
        for u in updates
        if u.created_at >= since and not any(f"INC-{i:06d}" in shown for i in u.incidents or [])
    ]


def _maintenance(pages, services: list) -> list[dict]:
    now, names = pages.system.now(), {s.name: s.display_name or s.name for s in services}
    out = [
        {
            "services": [names[s.name]],
            "start": rfc3339(w.start),
            "end": rfc3339(w.end),
            "description": w.description or "Planned maintenance",
        }
        for s in services
        for w in (s.sla.maintenance if s.sla else [])
        if w.end > now
    ]
    changes, _ = pages.records.list("changes", PUBLIC, status="approved,in_progress", limit=500)
    for c in changes:
        touched = [names[s] for s in c.services if s in names]
        if c.maintenance_window and touched and c.planned_end and c.planned_end > now:
            out.append(
                {
                    "services": touched,
                    "start": rfc3339(c.planned_start),
                    "end": rfc3339(c.planned_end),
                    "description": "Scheduled maintenance",
                }
            )
    return sorted(out, key=lambda m: m["start"])


def _services(pages, services: list) -> tuple[list[dict], list[str]]:
    snap, problems = pages.live.snapshot(), []
    try:
        days = pages.live.last_90_days(services)
    except SmsError:
        days, problems = {}, ["availability history is unavailable right now"]
    out = []
    for s in services:
        st, rep = snap.states[s.name], days.get(s.name) or {}
        out.append(
            {
                "name": s.name,
                "display_name": s.display_name or s.name,
                "state": st.state,
                "state_label": st.label,
                "target_percent": rep.get("target_percent"),
                "uptime_90d_percent": rep.get("availability_percent"),
                "days": [
                    {"date": d["day"], "availability_percent": d["availability_percent"]} for d in rep.get("daily", [])
                ],
            }
        )
    return out, problems


def status_view(pages) -> dict:
    catalogue = pages.system.catalogue
    services = [s for s in (catalogue.services if catalogue else []) if s.public]
    public = {s.name: s.display_name or s.name for s in services}
    rows, problems = _services(pages, services)
    updates = _updates(pages.records, set(public))
    incidents = _incidents(pages, public, updates)
    overall = next((w for w in WORST if any(r["state"] == w for r in rows)), "up")
    return {
        "generated_at": rfc3339(pages.system.now().replace(microsecond=0)),
        "status": overall,
        "services": rows,
        "incidents": incidents,
        "notices": _notices(pages, updates, {i["id"] for i in incidents}, public),
        "maintenance": _maintenance(pages, services),
        "problems": problems,
    }


def router(pages) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/status")
    def status_page(request: Request) -> Response:
        return page(request, "status.html.j2", view=status_view(pages), signed=None, nav=[])

    @r.get("/status.json")
    def status_json() -> Response:
        return JSONResponse(status_view(pages), headers={"Cache-Control": "max-age=30"})

    @r.get("/status/feed.atom")
    def status_feed(request: Request) -> Response:
        body = feed(status_view(pages), str(request.base_url).rstrip("/"))
        return Response(body, media_type="application/atom+xml")

    return r
