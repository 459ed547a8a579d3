"""Generated from every declared record kind: create a record from the kind's example, walk every legal
transition, refuse every illegal one with the record and its history unchanged, and (property-based)
replay the history of random move sequences to the record's current state. SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from collections import deque

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sms_metrics.app import create_app
from sms_metrics.bootstrap import build
from sms_metrics.catalogue import parse_catalogue
from sms_metrics.config import Settings
from sms_metrics.errors import IllegalTransition
from sms_metrics.register.base import text_of
from sms_metrics.register.kinds import KINDS
from sms_metrics.register.records.access import SYSTEM
from tests.register.conftest import ADMIN, CATALOGUE, WEBHOOK
from tests.register.fakes import HealthyPrometheus

KIND_NAMES = sorted(KINDS)


@pytest.fixture()
def api(db):
    settings = Settings(database_url=db.url, webhook_token=WEBHOOK, admin_token=ADMIN)
    system = build(settings, catalogue=parse_catalogue(CATALOGUE), prometheus=HealthyPrometheus())
    with TestClient(create_app(settings, system=system)) as c:
        c.headers["Authorization"] = f"Bearer {ADMIN}"
        c.system = system
        yield c


def paths(kind) -> dict[str, list[str]]:
    """The shortest path of moves from the initial state to every reachable state."""
    start = kind.state_of(dict(kind.example, type=kind.example.get("type")))
    out, todo = {start: []}, deque([start])
    while todo:
        state = todo.popleft()
        for nxt in kind.lifecycle.moves[state]:
            if nxt not in out:
                out[nxt] = [*out[state], nxt]
                todo.append(nxt)
    return out


_n = itertools.count()


UNIQUE = ("resource", "name", "supplier", "period")  # one current plan per resource, unique names, one
# month per supplier, one report per service and period: the examples' values are made unique


def example(kind) -> dict:
    """The kind's example, with the fields some kinds keep unique made unique."""
    body = dict(kind.example)
    n = next(_n)
    for key in UNIQUE:
        if key in body:
            body[key] = f"{2000 + n // 12}-{n % 12 + 1:02d}" if key == "period" else f"{body[key]}-{n}"
    return body


def _create(api, kind) -> dict:
    r = api.post(f"/api/v1/{kind.path}", json=example(kind))
    assert r.status_code == 201, r.text
    return r.json()


def _move(api, kind, rid, to):
    return api.post(f"/api/v1/{kind.path}/{rid}/transitions", json={"to": to, **kind.move_examples.get(to, {})})


def _walk(api, kind, path) -> dict:
    rec = _create(api, kind)
    for state in path:
        r = _move(api, kind, rec["id"], state)
        assert r.status_code == 200, (state, r.text)
        rec = r.json()
    return rec


@pytest.mark.parametrize("name", KIND_NAMES)
def test_create_gives_a_reference_the_initial_state_and_the_fields(api, name):
    kind = KINDS[name]
    rec = _create(api, kind)
    assert rec["ref"] == f"{kind.prefix}-{rec['id']:06d}"
    assert rec["status"] == kind.state_of(dict(kind.example, type=kind.example.get("type")))
    expected = kind.create.model_validate(kind.example).model_dump(mode="json")
    assert {f: rec[f] for f in kind.example if f not in UNIQUE} == {
        f: expected[f] for f in kind.example if f not in UNIQUE
    }
    assert api.get(f"/api/v1/{kind.path}/{rec['id']}").json() == rec
    listed = api.get(f"/api/v1/{kind.path}", params={"q": rec["ref"]})
    assert [r["id"] for r in listed.json()] == [rec["id"]] and listed.headers["X-Total-Count"] == "1"
    first = api.get(f"/api/v1/{kind.path}/{rec['id']}/history").json()[0]
    assert (first["field"], first["old"], first["new"], first["actor"]) == ("status", None, rec["status"], "admin")


@pytest.mark.parametrize("name", KIND_NAMES)
def test_every_legal_transition_moves_and_writes_history(api, name):
    kind = KINDS[name]
    for state, path in paths(kind).items():
        for target in kind.lifecycle.moves[state]:
            rec = _walk(api, kind, path)
            r = _move(api, kind, rec["id"], target)
            assert r.status_code == 200 and r.json()["status"] == target, (state, target, r.text)
            rows = [h for h in api.get(f"/api/v1/{kind.path}/{rec['id']}/history").json() if h["field"] == "status"]
            assert (rows[-1]["old"], rows[-1]["new"]) == (state, target)


@pytest.mark.parametrize("name", KIND_NAMES)
def test_every_illegal_transition_is_refused_and_changes_nothing(api, name):
    kind = KINDS[name]
    for state, path in paths(kind).items():
        rec = _walk(api, kind, path)
        history = api.get(f"/api/v1/{kind.path}/{rec['id']}/history").json()
        for target in sorted(set(kind.lifecycle.states) - set(kind.lifecycle.moves[state])):
            r = _move(api, kind, rec["id"], target)
            assert r.status_code == 409, (state, target, r.text)
            assert r.json()["allowed"] == sorted(kind.lifecycle.moves[state])
        assert api.get(f"/api/v1/{kind.path}/{rec['id']}").json() == rec
        assert api.get(f"/api/v1/{kind.path}/{rec['id']}/history").json() == history
    assert _move(api, kind, rec["id"], "no-such-state").status_code == 422


def _replay(rows: list) -> dict:
    state: dict = {}
    for row in rows:
        assert state.get(row.field) == row.old, (row.field, state.get(row.field), row.old)
        state[row.field] = row.new
    return state


@pytest.mark.parametrize("name", KIND_NAMES)
def test_the_history_of_random_moves_replays_to_the_record(api, name):
    kind, records = KINDS[name], api.system.records

    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(st.lists(st.sampled_from(kind.lifecycle.states), max_size=8))
    def check(targets):
        rec = records.create(kind, SYSTEM, example(kind))
        for target in targets:
            before = records.get(kind, SYSTEM, rec.id)
            try:
                rec = records.move(kind, SYSTEM, rec.id, target, body=dict(kind.move_examples.get(target, {})))
                assert rec.status == target
            except IllegalTransition:
                assert records.get(kind, SYSTEM, rec.id) == before
        replayed = _replay(records.history(kind, SYSTEM, rec.id))
        current = records.get(kind, SYSTEM, rec.id)
        for field, value in replayed.items():
            if not field.startswith("override:"):
                now = getattr(current, field)
                assert value == (None if now == [] else text_of(now)), field

    check()
