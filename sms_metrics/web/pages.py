"""Wiring of the pages into the app: the shared state (records, sessions, live figures), the routers,
the static files, HTML error pages for page requests, and the session cookie accepted on the evidence
pack's download route (a GET), so a signed-in person can download it from the reports page."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from sms_metrics.errors import RecordNotFound, SignInRequired, SmsError
from sms_metrics.register.records.access import Principal, require_visible
from sms_metrics.register.records.api import bearer
from sms_metrics.register.records.kind import RecordKind
from sms_metrics.web import auth, home, register_pages, reports_pages, status
from sms_metrics.web.live import Live
from sms_metrics.web.render import page
from sms_metrics.web.sessions import COOKIE, SessionStore

STATIC = Path(__file__).parent / "static"
PAGE_PREFIXES = ("/register", "/reports", "/sign-in", "/sign-out", "/status")
COOKIE_API_PATHS = ("/api/v1/evidence",)  # GET routes a page links to; the session cookie is accepted there


class Pages:
    """What every page route shares, built once per app."""

    def __init__(self, system):
        self.system = system
        self.settings = system.settings
        self.records = system.records
        self.store = SessionStore(system)
        self.live = Live(system)

    def services(self) -> list[str]:
        return [s.name for s in self.system.catalogue.services] if self.system.catalogue else []

    def visible_kinds(self, who: Principal) -> list[RecordKind]:
        return [k for k in self.records.kinds.values() if who.restricted or not k.restricted]

    def kind(self, path: str, who: Principal) -> RecordKind:
        found = self.records.by_path.get(path)
        if found is None:
            raise RecordNotFound(f"no record kind {path!r}")
        require_visible(who, found)
        return found

    def nav(self, who: Principal) -> list[tuple[str, str]]:
        shown = [("/", "Home"), ("/register", "Register")]
        shown += [
            (f"/register/{p}", t)
            for p, t in (("incidents", "Incidents"), ("changes", "Changes"))
            if p in self.records.by_path
        ]
        return [*shown, ("/reports", "Reports"), ("/status", "Status page")]


def is_page(request: Request) -> bool:
    path = request.url.path
    return path == "/" or any(path == p or path.startswith((p + "/", p + ".")) for p in PAGE_PREFIXES)


def _html_errors(app: FastAPI) -> None:
    """Domain errors on a page request become an HTML page (a sign-in redirect for SignInRequired);
    on the API they keep their JSON answer."""
    from sms_metrics.web.register_pages import status_for

    for exc_type, handler in list(app.exception_handlers.items()):
        if not (isinstance(exc_type, type) and issubclass(exc_type, SmsError)):
            continue

        def wrapped(request: Request, exc: Exception, handler=handler):
            if not is_page(request):
                return handler(request, exc)
            if isinstance(exc, SignInRequired):
                return RedirectResponse(f"/sign-in?next={request.url.path}", status_code=303)
            return page(request, "error.html.j2", status=status_for(exc), message=str(exc))

        app.exception_handlers[exc_type] = wrapped


def _cookie_on_evidence(app: FastAPI, principal, store: SessionStore) -> None:
    def session_or_bearer(request: Request) -> Principal:
        if request.method == "GET" and request.url.path in COOKIE_API_PATHS and not bearer(request):
            signed = store.current(request.cookies.get(COOKIE))
            if signed is not None:
                request.state.principal = signed.who
                return signed.who
        return principal(request)

    app.dependency_overrides[principal] = session_or_bearer


def install(app: FastAPI, system, principal) -> None:
    pages = app.state.pages = Pages(system)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (auth, home, register_pages, reports_pages, status):
        app.include_router(module.router(pages) if module is not auth else module.router())
    _html_errors(app)
    _cookie_on_evidence(app, principal, pages.store)
