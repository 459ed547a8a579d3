"""The Jinja2 environment of the pages (autoescaped everywhere), its filters, and the page response."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from functools import cache
from urllib.parse import urlencode, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from sms_metrics.web.sessions import Signed

# Scripts only from the service itself (the pages have none); inline styles for the report renderers.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'self'; form-action 'self'; base-uri 'none'; object-src 'none'"
)
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}


def when(value) -> str:
    """``2026-11-02 10:00 UTC``; dates as ``2026-11-02``; nothing as an em dash."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def safe_url(value) -> str | None:
    """The URL when it is http(s), else None: a stored ``javascript:`` link is shown as text, never followed."""
    if not isinstance(value, str):
        return None
    try:
        scheme = urlsplit(value.strip()).scheme.lower()
    except ValueError:
        return None
    return value.strip() if scheme in ("http", "https") else None


ACRONYMS = {
    "slo": "SLO",
    "sli": "SLI",
    "url": "URL",
    "id": "ID",
    "ci": "CI",
    "cis": "CIs",
    "sla": "SLA",
    "mase": "MASE",
}


def humanize(name: str) -> str:
    """``resolution_due_at`` -> ``resolution due at``; ``runbook_url`` -> ``runbook URL``."""
    return " ".join(ACRONYMS.get(w, w) for w in str(name).replace("_", " ").replace("-", " ").split(" "))


def label(name: str) -> str:
    """A field or kind name as a heading: ``runbook_url`` -> ``Runbook URL`` (acronyms kept)."""
    text = humanize(name)
    return text[:1].upper() + text[1:]


def minutes(value) -> str:
    """A span of minutes as ``2 h 05 min`` (negative: overdue)."""
    if value is None:
        return "—"
    sign, m = ("-" if value < 0 else ""), abs(round(value))
    d, h, mm = m // 1440, m // 60 % 24, m % 60
    parts = [f"{d} d"] * bool(d) + [f"{h} h"] * bool(h or d) + [f"{mm:02d} min" if (h or d) else f"{mm} min"]
    return sign + " ".join(parts)


def pretty_json(value) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str, ensure_ascii=False)


def percent(value, digits: int = 3) -> str:
    return "no data" if value is None else f"{value:.{digits}f}%"


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("sms_metrics.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        when=when,
        safe_url=safe_url,
        humanize=humanize,
        label=label,
        minutes=minutes,
        pretty_json=pretty_json,
        percent=percent,
    )
    env.globals["urlencode"] = urlencode
    return env


def page(request: Request, template: str, *, status: int = 200, headers: dict | None = None, **context) -> HTMLResponse:
    """Render ``template`` with what every page shows (the person signed in, their CSRF token, the nav)."""
    pages = request.app.state.pages
    signed: Signed | None = getattr(request.state, "signed", None)
    context.setdefault("signed", signed)
    context.setdefault("csrf", signed.csrf if signed else "")
    context.setdefault("nav", pages.nav(signed.who) if signed else [])
    context.setdefault("grafana", pages.settings.grafana_url)
    path = context.setdefault("path", request.url.path)
    hits = [href for href, _ in context["nav"] if path == href or (href != "/" and path.startswith(href + "/"))]
    context.setdefault("current_nav", max(hits, key=len) if hits else None)
    html = environment().get_template(template).render(request=request, **context)
    return HTMLResponse(html, status_code=status, headers={**HEADERS, **(headers or {})})
