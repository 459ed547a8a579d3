"""Report pages: the monthly SLA report and the capacity report, rendered by the same code as the report
files (shown in a frame, downloadable in every format), and the evidence pack's download when the app
has its route."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from sms_metrics.capacity.run import forecast_targets, select_targets
from sms_metrics.core.periods import parse_period, previous_month
from sms_metrics.errors import InputError, SmsError
from sms_metrics.reports.capacity import to_html as capacity_html
from sms_metrics.reports.render import FORMATS, render
from sms_metrics.web.auth import signed_in
from sms_metrics.web.render import HEADERS, page
from sms_metrics.web.sessions import Signed

EVIDENCE = "/api/v1/evidence"
MEDIA = {"html": "text/html", "json": "application/json", "csv": "text/csv", "md": "text/markdown"}


def routes(items, prefix: str = ""):
    """(path, methods) of every route, routers included at any depth."""
    for r in items:
        if hasattr(r, "original_router"):
            yield from routes(r.original_router.routes, prefix + r.include_context.prefix)
        else:
            yield prefix + getattr(r, "path", ""), getattr(r, "methods", None) or set()


def has_evidence(request: Request) -> bool:
    return any(path == EVIDENCE and "GET" in methods for path, methods in routes(request.app.routes))


def _period(pages, text: str | None) -> str:
    if not text:
        return previous_month(pages.system.now()).label
    parse_period(text, "UTC", now=pages.system.now())  # a clear error for a bad period
    return text


def capacity_report(pages) -> tuple[bool, str | None]:
    """The capacity report of every catalogue resource, forecast in the background (it takes seconds
    per resource) and kept ``SMS_PAGES_CACHE_SECONDS`` x 60; ``(False, None)`` while it is computed."""

    def compute() -> str:
        catalogue = pages.system.catalogue
        if catalogue is None or not any(s.capacity for s in catalogue.services):
            return capacity_html([], problems=["the catalogue has no capacity resources"])
        outcomes = forecast_targets(
            pages.system.prometheus, select_targets(catalogue), now=pages.system.now(), workers=1
        )
        docs = [o.doc for o in outcomes if o.doc]
        histories = {(o.target.service, o.target.resource.name): o.history for o in outcomes if o.doc}
        problems = [f"{o.target.service}/{o.target.resource.name}: {o.error}" for o in outcomes if o.error]
        return capacity_html(docs, histories, problems)

    return pages.live.slow.ready("capacity", compute)


def router(pages) -> APIRouter:
    r = APIRouter(prefix="/reports", include_in_schema=False)

    @r.get("")
    def index(request: Request, signed: Signed = Depends(signed_in)) -> Response:
        return page(
            request,
            "reports.html.j2",
            services=pages.services(),
            period=previous_month(pages.system.now()).label,
            evidence=EVIDENCE if has_evidence(request) else None,
        )

    @r.get("/availability")
    def availability(
        request: Request, period: str | None = None, service: str | None = None, signed: Signed = Depends(signed_in)
    ) -> Response:
        error, chosen = None, period or previous_month(pages.system.now()).label
        try:
            _period(pages, chosen)
            if service and service not in pages.services():
                raise InputError(f"service {service!r} is not in the catalogue")
        except InputError as exc:
            error = str(exc)
        query = {"period": chosen, **({"service": service} if service else {})}
        return page(
            request,
            "availability.html.j2",
            status=422 if error else 200,
            error=error,
            query=query,
            services=pages.services(),
            formats=FORMATS,
            chosen=chosen,
            service=service or "",
        )

    @r.get("/availability/view")
    def availability_view(
        request: Request,
        period: str | None = None,
        service: str | None = None,
        format: str = "html",
        signed: Signed = Depends(signed_in),
    ) -> Response:
        if format not in FORMATS:
            raise InputError(f"format {format!r}: use one of {', '.join(FORMATS)}")
        if pages.system.catalogue is None:
            raise InputError("no catalogue: serve was started without --catalogue")
        chosen = _period(pages, period)
        try:
            reports = pages.live.reports(chosen, service or None)
        except KeyError as exc:
            raise InputError(str(exc).strip("'\"")) from None
        body = render(reports, format, single=bool(service))
        headers = dict(HEADERS)
        if format != "html":
            headers["Content-Disposition"] = f'attachment; filename="availability-{chosen}.{format}"'
        return Response(body, media_type=MEDIA[format], headers=headers)

    @r.get("/capacity")
    def capacity(request: Request, signed: Signed = Depends(signed_in)) -> Response:
        return page(request, "capacity.html.j2")

    @r.get("/capacity/view")
    def capacity_view(request: Request, signed: Signed = Depends(signed_in)) -> Response:
        try:
            ready, html = capacity_report(pages)
            if not ready:
                return page(request, "computing.html.j2", status=202, headers={"Refresh": "5"})
            return HTMLResponse(html, headers=HEADERS)
        except SmsError as exc:
            return HTMLResponse(capacity_html([], problems=[str(exc)]), headers=HEADERS, status_code=503)

    return r
