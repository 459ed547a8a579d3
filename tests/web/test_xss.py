"""What people type stays text: a script in every text field of every kind (and in an alert's labels and
annotations, and in a public status update) is shown escaped on every page and never runs in Chromium;
a stored ``javascript:`` URL is never a link."""

from __future__ import annotations

import typing

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError

from sms_metrics.app import create_app
from sms_metrics.bootstrap import build
from sms_metrics.catalogue import parse_catalogue
from sms_metrics.config import Settings
from sms_metrics.register.kinds import KINDS
from sms_metrics.register.records.access import SYSTEM
from tests.register.conftest import ADMIN, CATALOGUE, WEBHOOK, alert, payload
from tests.web.conftest import Served, signed_in_client

pytestmark = pytest.mark.integration
SCRIPT = "<script>window.__xss=1</script>"
PAYLOAD = f'{SCRIPT}<img src=x onerror="window.__xss=2">\'"&amp;'
JS_URL = "javascript:window.__xss=3"
PUBLIC = CATALOGUE.replace("  - name: checkout\n", "  - name: checkout\n    public: true\n", 1)


def _poison(annotation, name: str):
    """A value of this type carrying the payload wherever text can go; None when it cannot."""
    tp = next((a for a in typing.get_args(annotation) if a is not type(None)), annotation)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is str:
        return JS_URL if name.endswith("_url") else PAYLOAD
    if tp is dict or origin is dict:
        return {PAYLOAD: PAYLOAD, "url": JS_URL}
    if origin is list and args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
        item = {f: _poison(i.annotation, f) for f, i in args[0].model_fields.items()}
        return [{k: (True if v is None and k == "passed" else v) for k, v in item.items() if v is not None}]
    return None


def poisoned(kind) -> dict:
    """The kind's example with the payload in every field that accepts it."""
    body = dict(kind.example)
    for name, info in kind.create.model_fields.items():
        value = _poison(info.annotation, name)
        if value is None:
            continue
        try:
            kind.create.model_validate({**body, name: value})
        except ValidationError:
            continue  # the field refuses it (a pattern, a choice): it can never be stored
        body[name] = value
    return body


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("xss")
    settings = Settings(
        database_url=f"sqlite:///{tmp / 'r.db'}",
        admin_token=ADMIN,
        webhook_token=WEBHOOK,
        prometheus_url="http://127.0.0.1:9",
        prometheus_retries=0,
        pages_cache_seconds=0,
    )
    system = build(settings, catalogue=parse_catalogue(PUBLIC))
    app = create_app(settings, system=system)
    pages, stored = ["/", "/register", "/status", "/reports"], 0
    with TestClient(app) as c:
        hooked = alert(fingerprint="x1", note=PAYLOAD)
        hooked["annotations"]["summary"] = PAYLOAD
        hooked["generatorURL"] = JS_URL
        r = c.post(
            "/api/v1/webhooks/alertmanager", json=payload(hooked), headers={"Authorization": f"Bearer {WEBHOOK}"}
        )
        assert r.status_code == 200, r.text
    for kind in KINDS.values():
        if not kind.creatable:
            continue
        body = poisoned(kind)
        stored += sum(PAYLOAD in str(v) or JS_URL in str(v) for v in body.values())
        rec = system.records.create(kind, SYSTEM, body)
        pages += [f"/register/{kind.path}", f"/register/{kind.path}/{rec.id}", f"/register/{kind.path}/{rec.id}/edit"]
    incident = system.records.list("incidents", SYSTEM, filters={"fingerprint": "x1"})[0][0]
    system.records.create(
        "status-updates",
        SYSTEM,
        {"title": PAYLOAD, "message": PAYLOAD, "services": ["checkout"], "incidents": [incident.id]},
    )
    pages += [f"/register/incidents/{incident.id}"]
    yield {"app": app, "pages": pages, "stored": stored, "system": system}
    system.close()


def test_every_page_shows_the_payload_escaped(world):
    assert world["stored"] >= 20  # text fields of every kind carry it
    client = signed_in_client(world["app"], ADMIN)
    escaped = 0
    for path in world["pages"]:
        r = client.get(path)
        assert r.status_code == 200, path
        assert SCRIPT not in r.text and "<img src=x" not in r.text and 'href="javascript:' not in r.text, path
        escaped += r.text.count("&lt;script&gt;window.__xss=1&lt;/script&gt;")
    assert escaped >= world["stored"]
    for path in ("/status.json", "/status/feed.atom"):
        body = client.get(path).text
        assert SCRIPT not in body or path.endswith(".json"), path  # JSON carries text as text, never as HTML
    assert "&lt;script&gt;" in client.get("/status/feed.atom").text


def test_no_payload_runs_in_chromium(world, browser):
    dialogs: list[str] = []
    with Served(world["app"]) as served:
        context = browser.new_context(bypass_csp=True)  # escaping alone must hold, without the CSP's help
        page = context.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(f"{served.url}/sign-in")
        page.get_by_label("Token").fill(ADMIN)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{served.url}/")
        ran = {}
        for path in world["pages"]:
            page.goto(served.url + path)
            value = page.evaluate("() => window.__xss")
            if value is not None:
                ran[path] = value
            links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
            assert not any(h.lower().startswith("javascript:") for h in links), path
        context.close()
    assert ran == {} and dialogs == []
