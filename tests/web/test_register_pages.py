"""The register's pages for every kind, from its declaration: lists with filters, search and paging;
moves offered by role; the same validation messages as the API; restricted records invisible to others;
links both ways; edits that change only what was changed."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import String, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from sms_metrics.app import create_app
from sms_metrics.bootstrap import build
from sms_metrics.catalogue import parse_catalogue
from sms_metrics.config import Settings
from sms_metrics.register.base import RecordColumns
from sms_metrics.register.kinds import KINDS
from sms_metrics.register.records.access import SYSTEM, Principal
from sms_metrics.register.records.kind import Lifecycle, LinkField, RecordKind
from sms_metrics.register.records.service import Records
from sms_metrics.web.forms import widget_of
from tests.register.conftest import ADMIN, CATALOGUE
from tests.web.conftest import signed_in_client

MANAGER = Principal("mia", "manager")


class SecretBase(DeclarativeBase):  # its own metadata: the register's schema test stays as it is
    pass


class Secret(RecordColumns, SecretBase):
    __tablename__ = "test_secrets"
    title: Mapped[str] = mapped_column(String(200))


class SecretCreate(BaseModel):
    title: str
    incidents: list[int] = []


SECRETS = RecordKind(
    name="secret",
    path="secrets",
    prefix="SEC",
    title="secret",
    model=Secret,
    create=SecretCreate,
    lifecycle=Lifecycle(initial="open", moves={"open": ("closed",), "closed": ()}, closed=frozenset({"closed"})),
    links={"incidents": LinkField(to="incident", filter="incident")},
    restricted=True,
    write_role="agent",
)


@pytest.fixture()
def app(db):
    settings = Settings(
        database_url=db.url,
        admin_token=ADMIN,
        prometheus_url="http://127.0.0.1:9",
        prometheus_retries=0,
        pages_cache_seconds=0,
    )
    system = build(settings, catalogue=parse_catalogue(CATALOGUE))
    system.__dict__["records"] = Records(system, {**KINDS, SECRETS.name: SECRETS})
    SecretBase.metadata.create_all(system.engine)
    app = create_app(settings, system=system)
    app.system = system
    with TestClient(app) as admin:
        app.tokens = {}
        for role in ("viewer", "agent", "manager"):
            for restricted in (False, True):
                r = admin.post(
                    "/api/v1/tokens",
                    json={"name": f"{role}{'-r' if restricted else ''}", "role": role, "restricted": restricted},
                    headers={"Authorization": f"Bearer {ADMIN}"},
                )
                app.tokens[role + ("-r" if restricted else "")] = r.json()["secret"]
    yield app
    system.close()


def _as(app, role: str) -> TestClient:
    return signed_in_client(app, app.tokens[role])


def _incidents(app, n: int, **kw) -> list:
    return [
        app.system.records.create("incidents", SYSTEM, {"title": f"incident {i}", "service": "checkout", **kw})
        for i in range(n)
    ]


def _problems(page_html: str) -> set[str]:
    box = re.search(r'<div class="alert" role="alert" id="problems">(.*?)</div>', page_html, re.S)
    return {html.unescape(p) for p in re.findall(r"<li>(.*?)</li>", box.group(1), re.S)} if box else set()


def test_a_list_filters_searches_and_pages(app):
    _incidents(app, 120)
    _incidents(app, 3, urgency=1, title="disk full on db")
    desk = app.system.records.create("incidents", SYSTEM, {"title": "printer", "service": "desk"})
    app.system.records.move("incidents", SYSTEM, desk.id, "resolved")
    client = _as(app, "viewer")
    page = client.get("/register/incidents").text
    assert "1–50 of 124" in page and "Page 1 of 3" in page and 'rel="next" href="?page=2"' in page
    assert "1–1 of 1" in client.get("/register/incidents?service=desk&status=resolved").text
    found = client.get("/register/incidents?q=disk+full&status=open&page=1").text
    assert "1–3 of 3" in found and found.count('<th scope="row"><a href="/register/incidents/') == 3
    last = client.get("/register/incidents?page=3").text
    assert "101–124 of 124" in last and 'rel="prev" href="?page=2"' in last
    bad = client.get("/register/incidents?status=sleeping")
    assert bad.status_code == 422 and "unknown incident status &#39;sleeping&#39;" in bad.text


def test_moves_are_offered_only_to_roles_that_may_make_them(app):
    [inc] = _incidents(app, 1)
    change = app.system.records.create("changes", MANAGER, {"title": "upgrade", "services": ["checkout"]})
    viewer, agent, manager = _as(app, "viewer"), _as(app, "agent"), _as(app, "manager")
    assert 'name="to"' not in viewer.get(f"/register/incidents/{inc.id}").text
    assert "New incident" not in viewer.get("/register/incidents").text
    page = agent.get(f"/register/incidents/{inc.id}").text
    assert {"acknowledged", "assigned", "pending", "escalated", "resolved"} == set(
        re.findall(r'name="to" value="(\w+)"', page)
    )
    assert re.findall(r'name="to" value="(\w+)"', agent.get(f"/register/changes/{change.id}").text) == []
    assert set(re.findall(r'name="to" value="(\w+)"', manager.get(f"/register/changes/{change.id}").text)) == {
        "approved",
        "rejected",
        "cancelled",
    }
    r = viewer.post(f"/register/incidents/{inc.id}/move", data={"csrf_token": viewer.csrf, "to": "acknowledged"})
    assert (
        r.status_code == 403
        and "viewer (viewer) may not move incidents to acknowledged: it needs the agent role" in html.unescape(r.text)
    )
    assert viewer.get(f"/register/incidents/{inc.id}/edit").status_code == 403
    assert app.system.records.get("incidents", SYSTEM, inc.id).status == "new"


def test_an_assignment_asks_for_the_assignee_and_says_so_when_missing(app):
    [inc] = _incidents(app, 1)
    agent = _as(app, "agent")
    r = agent.post(f"/register/incidents/{inc.id}/move", data={"csrf_token": agent.csrf, "to": "assigned"})
    assert r.status_code == 422 and "body.assignee: assigning needs an assignee" in r.text
    r = agent.post(
        f"/register/incidents/{inc.id}/move",
        data={"csrf_token": agent.csrf, "to": "assigned", "assignee": "bob"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and app.system.records.get("incidents", SYSTEM, inc.id).assignee == "bob"


def _invalid(kind: RecordKind, services: list[str]) -> tuple[dict, dict]:
    """Values every field refuses, as the API's JSON and as the form's text."""
    api, form = {}, {}
    for name, info in kind.create.model_fields.items():
        widget, _ = widget_of(kind, name, info.annotation, info.metadata, services)
        bad = {"select": "not-a-choice", "number": "abc", "datetime": "tomorrow", "date": "someday", "ids": "x"}.get(
            widget
        )
        if widget in ("text", "textarea") and info.is_required():
            bad = ""  # a required field left blank
        if widget == "choices" and info.is_required():
            api[name], form[name] = [], []
        elif bad is not None:
            api[name], form[name] = ([bad] if widget == "ids" else bad), bad
    return api, form


@pytest.mark.parametrize("name", sorted(KINDS))
def test_forms_say_what_the_api_says(app, name):
    kind = KINDS[name]
    if not kind.creatable:
        pytest.skip(f"{kind.path} are not created by hand")
    api_body, form_body = _invalid(kind, ["checkout", "desk"])
    with TestClient(app) as api:
        r = api.post(f"/api/v1/{kind.path}", json=api_body, headers={"Authorization": f"Bearer {ADMIN}"})
    assert r.status_code == 422
    said = {
        ": ".join([".".join(str(p) for p in e["loc"]), e["msg"].removeprefix("Value error, ")])
        for e in r.json()["detail"]
    }
    client = signed_in_client(app, ADMIN)
    page = client.post(f"/register/{kind.path}/new", data={**form_body, "csrf_token": client.csrf})
    assert page.status_code == 422
    assert _problems(page.text) == said and said


def test_a_record_level_refusal_reads_the_same_on_the_page(app):
    body = {"title": "upgrade", "services": ["nowhere"]}
    with TestClient(app) as api:
        said = api.post("/api/v1/changes", json=body, headers={"Authorization": f"Bearer {ADMIN}"}).json()["problems"]
    client = signed_in_client(app, ADMIN)
    page = client.post("/register/changes/new", data={**body, "csrf_token": client.csrf})
    assert (
        _problems(page.text)
        == set(said)
        == {"body.services.0: unknown service 'nowhere'; the catalogue has: checkout, desk"}
    )


def test_restricted_records_never_appear_to_others(app):
    [inc] = _incidents(app, 1)
    secret = app.system.records.create("secrets", SYSTEM, {"title": "breach of db-7", "incidents": [inc.id]})
    for role in ("viewer", "agent", "manager"):
        client = _as(app, role)
        pages = [
            client.get(p) for p in ("/", "/register", f"/register/incidents/{inc.id}", "/register/incidents?q=breach")
        ]
        assert all(
            p.status_code == 200 and "breach of db-7" not in p.text and "/register/secrets" not in p.text for p in pages
        )
        for path in (
            "/register/secrets",
            f"/register/secrets/{secret.id}",
            f"/register/secrets/{secret.id}/edit",
            "/register/secrets/new",
        ):
            r = client.get(path)
            assert r.status_code == 404 and "breach" not in r.text, (role, path)
        r = client.post(f"/register/secrets/{secret.id}/move", data={"csrf_token": client.csrf, "to": "closed"})
        assert r.status_code == 404
    insider = _as(app, "viewer-r")
    assert "breach of db-7" in insider.get(f"/register/incidents/{inc.id}").text
    assert "breach of db-7" in insider.get(f"/register/secrets/{secret.id}").text
    assert app.system.records.get("secrets", SYSTEM, secret.id).status == "open"


def test_links_show_both_ways(app):
    records = app.system.records
    ci = records.create("configuration-items", MANAGER, {"name": "db-1", "type": "database"})
    [inc] = _incidents(app, 1, configuration_items=[ci.id])
    change = records.create(
        "changes", MANAGER, {"title": "resize", "services": ["checkout"], "configuration_items": [ci.id]}
    )
    release = records.create("releases", MANAGER, {"service": "checkout", "version": "2.1", "changes": [change.id]})
    problem = records.create("problems", MANAGER, {"title": "pool too small", "service": "checkout"})
    update = records.create(
        "status-updates", MANAGER, {"title": "slow", "message": "m", "services": ["checkout"], "incidents": [inc.id]}
    )
    with app.system.engine.begin() as con:
        con.execute(text("update incidents set problem_id = :p where id = :i"), {"p": problem.id, "i": inc.id})
    client = _as(app, "viewer")

    def hrefs(path: str) -> set[str]:
        links = re.search(r'<section aria-labelledby="links-h">(.*?)</section>', client.get(path).text, re.S).group(1)
        return set(re.findall(r'href="(/register/[^"]+)"', links))

    assert hrefs(f"/register/incidents/{inc.id}") == {
        f"/register/configuration-items/{ci.id}",
        f"/register/problems/{problem.id}",
        f"/register/status-updates/{update.id}",
    }
    assert hrefs(f"/register/problems/{problem.id}") == {f"/register/incidents/{inc.id}"}
    assert hrefs(f"/register/configuration-items/{ci.id}") == {
        f"/register/incidents/{inc.id}",
        f"/register/changes/{change.id}",
    }
    assert hrefs(f"/register/changes/{change.id}") == {
        f"/register/configuration-items/{ci.id}",
        f"/register/releases/{release.id}",
    }
    assert hrefs(f"/register/releases/{release.id}") == {f"/register/changes/{change.id}"}


def test_an_edit_changes_only_what_was_changed(app):
    records = app.system.records
    inc = records.create("incidents", SYSTEM, {"title": "slow", "service": "checkout", "urgency": 2})
    records.move("incidents", SYSTEM, inc.id, "pending")
    records.move("incidents", SYSTEM, inc.id, "acknowledged")  # the resolution due time moved out
    due = records.get("incidents", SYSTEM, inc.id).resolution_due_at
    client = _as(app, "agent")
    form = client.get(f"/register/incidents/{inc.id}/edit").text
    values = dict(re.findall(r'<input type="(?:text|number)"[^>]* id="f-\w+" name="(\w+)"[^>]*value="([^"]*)"', form))
    values.update(title="very slow", csrf_token=client.csrf, reason="customers call")
    r = client.post(f"/register/incidents/{inc.id}/edit", data=values, follow_redirects=False)
    assert r.status_code == 303, _problems(r.text)
    rows = [(h.field, h.old, h.new, h.reason) for h in records.history("incidents", SYSTEM, inc.id)][-1:]
    assert rows == [("title", "slow", "very slow", "customers call")]
    assert records.get("incidents", SYSTEM, inc.id).resolution_due_at == due
    again = client.post(f"/register/incidents/{inc.id}/edit", data=values)
    assert again.status_code == 422 and "body: nothing was changed" in again.text
