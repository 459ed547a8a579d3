"""Signing in and out of the pages, the signed-in person of a request, and the CSRF check of forms.

The sign-in form itself is protected by a double-submit token (a cookie and a hidden field that must
match), every other form by the session's CSRF token; a missing or wrong token is refused with 403."""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from sms_metrics.errors import CsrfRefused, RecordInvalid, SignInRequired
from sms_metrics.web.render import page
from sms_metrics.web.sessions import COOKIE, Signed

Form = dict[str, list[str]]
SIGN_IN_COOKIE = "sms_signin"
MAX_FORM_BYTES = 1024 * 1024


def signed_in(request: Request) -> Signed:
    """The person signed in on this request, else ``SignInRequired`` (pages redirect to the sign-in)."""
    signed = request.app.state.pages.store.current(request.cookies.get(COOKIE))
    if signed is None:
        raise SignInRequired("sign in to see this page")
    request.state.signed = signed
    return signed


def maybe_signed_in(request: Request) -> Signed | None:
    try:
        return signed_in(request)
    except SignInRequired:
        return None


async def form_data(request: Request) -> Form:
    """The fields of an ``application/x-www-form-urlencoded`` body (the only kind the pages send)."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise RecordInvalid([f"body: a form of {len(body)} bytes is larger than {MAX_FORM_BYTES}"])
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if body and kind != "application/x-www-form-urlencoded":
        raise RecordInvalid([f"body: expected a form (application/x-www-form-urlencoded), got {kind or 'nothing'}"])
    return parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)


def first(form: Form, name: str, default: str = "") -> str:
    values = form.get(name)
    return values[0] if values else default


def check_csrf(signed: Signed, form: Form) -> None:
    if not signed.csrf_ok(first(form, "csrf_token")):
        raise CsrfRefused("the form's CSRF token is missing or wrong: reload the page and try again")


def cookie_secure(request: Request) -> bool:
    """Secure cookies over HTTPS: the request's own scheme, or X-Forwarded-Proto from a trusted proxy."""
    settings = request.app.state.pages.settings
    if settings.session_cookie_secure is not None:
        return settings.session_cookie_secure
    if request.url.scheme == "https":
        return True
    client = request.client.host if request.client else None
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return forwarded == "https" and client in settings.trusted_proxies


def local_target(text: str | None) -> str:
    """Where to go after signing in: a path on this site only (never ``//host`` or a full URL)."""
    if not text or not text.startswith("/") or text.startswith("//") or "\\" in text:
        return "/"
    return text


def router() -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/sign-in")
    def sign_in_form(request: Request, next: str = "/", expired: bool = False) -> Response:
        return _sign_in_page(request, local_target(next), None, expired=expired)

    @r.post("/sign-in")
    def sign_in(request: Request, form: Form = Depends(form_data)) -> Response:
        target = local_target(first(form, "next"))
        given, expected = first(form, "csrf_token"), request.cookies.get(SIGN_IN_COOKIE, "")
        if not (given and expected and hmac.compare_digest(given.encode(), expected.encode())):
            raise CsrfRefused("the sign-in form's CSRF token is missing or wrong: reload the page and try again")
        started = request.app.state.pages.store.sign_in(first(form, "token"))
        if started is None:
            return _sign_in_page(request, target, "That token is not valid (unknown, revoked, or the webhook's).")
        sid, _ = started
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(COOKIE, sid, httponly=True, samesite="lax", secure=cookie_secure(request), path="/")
        response.delete_cookie(SIGN_IN_COOKIE, path="/sign-in")
        return response

    @r.post("/sign-out")
    def sign_out(request: Request, form: Form = Depends(form_data), signed: Signed = Depends(signed_in)) -> Response:
        check_csrf(signed, form)
        request.app.state.pages.store.sign_out(signed.session_id)
        response = RedirectResponse("/sign-in", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    return r


def _sign_in_page(request: Request, target: str, error: str | None, *, expired: bool = False) -> Response:
    token = secrets.token_urlsafe(24)
    response = page(
        request,
        "sign_in.html.j2",
        status=401 if error else 200,
        next=target,
        error=error,
        expired=expired,
        signin_csrf=token,
        signed=None,
    )
    response.set_cookie(
        SIGN_IN_COOKIE, token, httponly=True, samesite="strict", secure=cookie_secure(request), path="/sign-in"
    )
    return response
