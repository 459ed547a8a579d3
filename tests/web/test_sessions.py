"""Signing in to the pages with the API's tokens: the session cookie's flags, sign-out, idle and total
expiry, revoked tokens, the CSRF token of every form, and where a sign-in may send the browser."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from sms_metrics.app import create_app
from sms_metrics.bootstrap import build
from sms_metrics.catalogue import parse_catalogue
from sms_metrics.config import Settings
from tests.register.conftest import CATALOGUE
from tests.web.conftest import csrf_of, signed_in_client

ADMIN, WEBHOOK = "admin-secret", "hook-secret"


class Clock:
    def __init__(self):
        self.t = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)

    def __call__(self):
        return self.t


@pytest.fixture()
def app(tmp_path):
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'r.db'}",
        admin_token=ADMIN,
        webhook_token=WEBHOOK,
        prometheus_url="http://127.0.0.1:9",
        prometheus_retries=0,
        pages_cache_seconds=0,
        trusted_proxies=["10.0.0.1"],
    )
    clock = Clock()
    system = build(settings, catalogue=parse_catalogue(CATALOGUE), now=clock)
    app = create_app(settings, system=system)
    app.clock, app.system = clock, system
    yield app
    system.close()


def _token(app, name="alice", role="agent") -> dict:
    with TestClient(app) as c:
        r = c.post("/api/v1/tokens", json={"name": name, "role": role}, headers={"Authorization": f"Bearer {ADMIN}"})
        assert r.status_code == 201
        return r.json()


def _sign_in(client: TestClient, token: str, **headers):
    form = client.get("/sign-in")
    return client.post(
        "/sign-in",
        data={"csrf_token": csrf_of(form.text), "token": token, "next": "/register"},
        headers=headers,
        follow_redirects=False,
    )


def test_a_valid_token_signs_in_with_an_http_only_same_site_cookie(app):
    client = TestClient(app)
    r = _sign_in(client, _token(app)["secret"])
    assert (r.status_code, r.headers["location"]) == (303, "/register")
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("sms_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie and "Secure" not in cookie
    page = client.get("/register")
    assert page.status_code == 200 and "alice" in page.text and "(agent)" in page.text


@pytest.mark.parametrize(
    ("base", "headers", "secure"),
    [
        ("https://testserver", {}, True),
        ("http://testserver", {"X-Forwarded-Proto": "https"}, False),  # the test client is not a trusted proxy
    ],
)
def test_the_cookie_is_secure_over_https(app, base, headers, secure):
    client = TestClient(app, base_url=base)
    r = _sign_in(client, ADMIN, **headers)
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("sms_session="))
    assert ("Secure" in cookie) is secure


def test_a_trusted_proxy_forwarding_https_gets_a_secure_cookie(app):
    app.state.pages.settings = app.state.pages.settings.model_copy(update={"trusted_proxies": ["testclient"]})
    r = _sign_in(TestClient(app), ADMIN, **{"X-Forwarded-Proto": "https"})
    assert "Secure" in next(c for c in r.headers.get_list("set-cookie") if c.startswith("sms_session="))


@pytest.mark.parametrize("token", ["sms_not-a-token", WEBHOOK, ""])
def test_unknown_and_webhook_tokens_are_refused(app, token):
    client = TestClient(app)
    r = _sign_in(client, token)
    assert r.status_code == 401 and "That token is not valid" in r.text
    assert not any(c.startswith("sms_session=") for c in r.headers.get_list("set-cookie"))
    assert client.get("/register", follow_redirects=False).status_code == 303


def test_pages_send_strangers_to_the_sign_in_and_the_api_keeps_answering_json(app):
    client = TestClient(app)
    r = client.get("/register/incidents?status=open", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/sign-in?next=/register/incidents")
    r = client.get("/api/v1/incidents")
    assert r.status_code == 401 and r.json()["detail"] == "missing or wrong bearer token"
    assert client.get("/status").status_code == 200  # the public page needs no sign-in


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "\\\\evil", "register"])
def test_the_sign_in_only_sends_the_browser_to_this_site(app, target):
    client = TestClient(app)
    form = client.get("/sign-in")
    r = client.post(
        "/sign-in", data={"csrf_token": csrf_of(form.text), "token": ADMIN, "next": target}, follow_redirects=False
    )
    assert r.headers["location"] == "/"


def test_sign_out_ends_the_session_for_every_copy_of_the_cookie(app):
    client = signed_in_client(app, ADMIN)
    stolen = client.cookies.get("sms_session")
    r = client.post("/sign-out", data={"csrf_token": client.csrf}, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/sign-in")
    other = TestClient(app, cookies={"sms_session": stolen})
    assert other.get("/", follow_redirects=False).status_code == 303


def test_a_session_ends_after_the_idle_time_and_lives_while_used(app):
    client = signed_in_client(app, ADMIN)
    for _ in range(3):  # used every 20 minutes: still signed in after an hour
        app.clock.t += timedelta(minutes=20)
        assert client.get("/register", follow_redirects=False).status_code == 200
    app.clock.t += timedelta(minutes=31)
    assert client.get("/register", follow_redirects=False).status_code == 303
    assert app.system.engine.connect().exec_driver_sql("select count(*) from web_sessions").scalar() == 0


def test_a_session_ends_after_its_maximum_age_even_when_used(app):
    client = signed_in_client(app, ADMIN)
    for _ in range(12 * 3):  # used every 20 minutes for 12 hours
        app.clock.t += timedelta(minutes=20)
        assert client.get("/register", follow_redirects=False).status_code == 200
    app.clock.t += timedelta(minutes=1)
    assert client.get("/register", follow_redirects=False).status_code == 303


def test_revoking_the_token_ends_its_sessions_at_once(app):
    token = _token(app)
    client = signed_in_client(app, token["secret"])
    with TestClient(app) as admin:
        assert (
            admin.delete(f"/api/v1/tokens/{token['id']}", headers={"Authorization": f"Bearer {ADMIN}"}).status_code
            == 200
        )
    assert client.get("/register", follow_redirects=False).status_code == 303


def _rows(app) -> tuple:
    with app.system.engine.connect() as con:
        return tuple(
            con.exec_driver_sql(f"select count(*) from {t}").scalar() for t in ("incidents", "history", "web_sessions")
        )


@pytest.mark.parametrize("given", [None, "wrong-token"])
def test_every_form_refuses_a_missing_or_wrong_csrf_token(app, given):
    client = signed_in_client(app, ADMIN)
    ok = client.post(
        "/register/incidents/new",
        data={"csrf_token": client.csrf, "title": "t", "service": "checkout"},
        follow_redirects=False,
    )
    rid = re.search(r"/incidents/(\d+)", ok.headers["location"]).group(1)
    posts = {
        "/register/incidents/new": {"title": "x", "service": "checkout"},
        f"/register/incidents/{rid}/edit": {"title": "changed", "service": "checkout", "urgency": "3"},
        f"/register/incidents/{rid}/move": {"to": "acknowledged"},
        "/sign-out": {},
    }
    before = _rows(app)
    for path, data in posts.items():
        body = data if given is None else {**data, "csrf_token": given}
        r = client.post(path, data=body, follow_redirects=False)
        assert r.status_code == 403 and "CSRF token is missing or wrong" in r.text, path
    assert _rows(app) == before
    fresh = TestClient(app)
    fresh.get("/sign-in")
    body = {"token": ADMIN, "next": "/"} | ({} if given is None else {"csrf_token": given})
    assert fresh.post("/sign-in", data=body, follow_redirects=False).status_code == 403
    assert _rows(app) == before


def test_a_csrf_token_of_another_session_is_refused(app):
    first, second = signed_in_client(app, ADMIN), signed_in_client(app, ADMIN)
    r = first.post("/register/incidents/new", data={"csrf_token": second.csrf, "title": "x", "service": "checkout"})
    assert r.status_code == 403


def test_the_session_cookie_opens_the_evidence_download_and_no_other_api_route(app):
    client = signed_in_client(app, _token(app, "audrey", "viewer")["secret"])
    asked = "/api/v1/evidence?service=nosuch&period=2026-10"
    r = client.get(asked)  # signed in by the cookie: the route itself answers (the service is unknown)
    assert r.status_code not in (401, 403) and "nosuch" in r.text, r.text
    assert TestClient(app).get(asked).status_code == 401  # no cookie, no token
    assert client.get("/api/v1/incidents").status_code == 401
    assert client.post("/api/v1/incidents", json={"title": "x", "service": "checkout"}).status_code == 401
    assert "Download the evidence pack" in client.get("/reports").text
