"""Who may do what: every route of every kind for every role, tokens created, used and revoked, and
secrets that never reach a log or an error body."""

from __future__ import annotations

import hashlib
import itertools
import logging

import pytest
from fastapi.testclient import TestClient

from sms_metrics.app import create_app
from sms_metrics.bootstrap import build
from sms_metrics.catalogue import parse_catalogue
from sms_metrics.config import Settings
from sms_metrics.register.kinds import KINDS
from sms_metrics.register.records.access import ROLES
from tests.register.conftest import ADMIN, CATALOGUE, WEBHOOK
from tests.register.fakes import HealthyPrometheus
from tests.register.test_record_kinds import example

_n = itertools.count()


@pytest.fixture()
def api(db):
    settings = Settings(database_url=db.url, webhook_token=WEBHOOK, admin_token=ADMIN)
    system = build(settings, catalogue=parse_catalogue(CATALOGUE), prometheus=HealthyPrometheus())
    with TestClient(create_app(settings, system=system)) as c:
        c.tokens, c.restricted = {}, {}
        for role in ROLES:
            for tokens, restricted in ((c.tokens, False), (c.restricted, True)):
                r = c.post(
                    "/api/v1/tokens",
                    json={
                        "name": f"{role}-{'cleared' if restricted else 'person'}",
                        "role": role,
                        "restricted": restricted,
                    },
                    headers={"Authorization": f"Bearer {ADMIN}"},
                )
                assert r.status_code == 201, r.text
                tokens[role] = r.json()["secret"]
        yield c


def _as(api, role, restricted=False):
    return {"Authorization": f"Bearer {(api.restricted if restricted else api.tokens)[role]}"}


def _count(db, kind) -> tuple:
    return (
        db.rows(f"select count(*) from {kind.model.__tablename__}")[0][0],
        db.rows("select count(*) from history")[0][0],
    )


def _rank(role: str) -> int:
    return ROLES.index(role)


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_route_for_every_role(api, db, name):
    kind = KINDS[name]
    admin = {"Authorization": f"Bearer {ADMIN}"}
    rec = api.post(f"/api/v1/{kind.path}", json=example(kind), headers=admin).json()
    target = kind.lifecycle.allowed(rec["status"])[0]
    for role in ROLES:
        h = _as(api, role, kind.restricted)  # restricted kinds: tokens with `restricted` (the others: below)
        assert api.get(f"/api/v1/{kind.path}", headers=h).status_code == 200
        assert api.get(f"/api/v1/{kind.path}/{rec['id']}", headers=h).status_code == 200
        assert api.get(f"/api/v1/{kind.path}/{rec['id']}/history", headers=h).status_code == 200
        may_write = _rank(role) >= _rank(kind.write_role)
        before = _count(db, kind)
        r = api.post(f"/api/v1/{kind.path}", json=example(kind), headers=h)
        assert r.status_code == (201 if may_write else 403), (role, r.text)
        if not may_write:
            assert _count(db, kind) == before and "may not create" in r.json()["detail"]
        field = next(
            f for f in ("title", "owner", "name", "description") if f in (kind.update or kind.create).model_fields
        )
        r = api.patch(f"/api/v1/{kind.path}/{rec['id']}", json={field: f"by {role}"}, headers=h)
        assert r.status_code == (200 if may_write else 403), (role, r.text)
    for role in ROLES:  # the first move out of the initial state, on a fresh record each time
        fresh = api.post(f"/api/v1/{kind.path}", json=example(kind), headers=admin).json()
        needed = kind.move_roles.get(target, kind.write_role)
        before = _count(db, kind)
        r = api.post(
            f"/api/v1/{kind.path}/{fresh['id']}/transitions",
            json={"to": target, **kind.move_examples.get(target, {})},
            headers=_as(api, role, kind.restricted),
        )
        assert r.status_code == (200 if _rank(role) >= _rank(needed) else 403), (role, target, r.text)
        if r.status_code == 403:
            assert _count(db, kind) == before


@pytest.mark.parametrize("name", sorted(n for n, k in KINDS.items() if k.restricted))
def test_a_restricted_kind_does_not_exist_for_tokens_without_restricted(api, db, name):
    kind = KINDS[name]
    admin = {"Authorization": f"Bearer {ADMIN}"}
    rec = api.post(f"/api/v1/{kind.path}", json=example(kind), headers=admin).json()
    target = kind.lifecycle.allowed(rec["status"])[0]
    for role in ROLES:
        h, before = _as(api, role), _count(db, kind)
        answers = [
            api.get(f"/api/v1/{kind.path}", headers=h),
            api.get(f"/api/v1/{kind.path}", params={"q": rec["ref"]}, headers=h),
            api.get(f"/api/v1/{kind.path}/{rec['id']}", headers=h),
            api.get(f"/api/v1/{kind.path}/{rec['id']}/history", headers=h),
            api.post(f"/api/v1/{kind.path}", json=example(kind), headers=h),
            api.patch(f"/api/v1/{kind.path}/{rec['id']}", json={"title": "x"}, headers=h),
            api.post(f"/api/v1/{kind.path}/{rec['id']}/transitions", json={"to": target}, headers=h),
        ]
        assert [r.status_code for r in answers] == [404] * len(answers), role
        assert all(rec["title"] not in r.text and rec["ref"] not in r.text for r in answers)
        assert _count(db, kind) == before


def test_agents_cannot_approve_changes_and_viewers_write_nothing(api, db):
    admin = {"Authorization": f"Bearer {ADMIN}"}
    change = api.post("/api/v1/changes", json=example(KINDS["change"]), headers=admin).json()
    r = api.post(f"/api/v1/changes/{change['id']}/transitions", json={"to": "approved"}, headers=_as(api, "agent"))
    assert r.status_code == 403 and "needs the manager role" in r.json()["detail"]
    r = api.post("/api/v1/incidents", json=example(KINDS["incident"]), headers=_as(api, "viewer"))
    assert r.status_code == 403
    r = api.post("/api/v1/incidents", json=example(KINDS["incident"]), headers=_as(api, "agent"))
    assert r.status_code == 201
    history = api.get(f"/api/v1/incidents/{r.json()['id']}/history", headers=_as(api, "viewer")).json()
    assert {h["actor"] for h in history} == {"agent-person"}  # the token's owner, not "admin"


def test_only_admins_manage_tokens_and_a_revoked_token_stops_at_once(api):
    for role in ("viewer", "agent", "manager"):
        assert (
            api.post("/api/v1/tokens", json={"name": "x", "role": "admin"}, headers=_as(api, role)).status_code == 403
        )
    admin = {"Authorization": f"Bearer {ADMIN}"}
    listed = api.get("/api/v1/tokens", headers=admin).json()
    assert {t["name"] for t in listed} == {f"{r}-{x}" for r in ROLES for x in ("person", "cleared")}
    assert all("secret" not in t for t in listed)
    viewer = next(t for t in listed if t["name"] == "viewer-person")
    assert api.get("/api/v1/whoami", headers=_as(api, "viewer")).json() == {
        "name": "viewer-person",
        "role": "viewer",
        "restricted": False,
    }
    assert api.delete(f"/api/v1/tokens/{viewer['id']}", headers=admin).status_code == 200
    assert api.get("/api/v1/incidents", headers=_as(api, "viewer")).status_code == 401


def test_secrets_never_reach_logs_or_error_bodies(api, db, caplog):
    caplog.set_level(logging.DEBUG)
    admin = {"Authorization": f"Bearer {ADMIN}"}
    made = api.post("/api/v1/tokens", json={"name": "eve", "role": "agent"}, headers=admin).json()
    secret = made["secret"]
    bodies = [
        api.get("/api/v1/incidents", headers={"Authorization": f"Bearer {secret}x"}).text,
        api.post("/api/v1/changes", json={"title": secret}, headers={"Authorization": f"Bearer {secret}"}).text,
        api.post("/api/v1/webhooks/alertmanager", content=b"{", headers={"Authorization": f"Bearer {secret}"}).text,
        api.get("/api/v1/tokens", headers=admin).text,
    ]
    for text in bodies:
        assert secret not in text.replace(f'"title":"{secret}"', "") and ADMIN not in text
    for secret_text in (secret, ADMIN, WEBHOOK):
        assert secret_text not in caplog.text
    stored = [r[0] for r in db.rows("select secret_sha256 from api_tokens where name = 'eve'")]
    assert stored == [hashlib.sha256(secret.encode()).hexdigest()]  # only the hash is kept
