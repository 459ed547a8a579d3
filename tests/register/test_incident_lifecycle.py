"""People move incidents through the lifecycle; illegal moves are refused with the allowed ones."""

from __future__ import annotations

import pytest

from sms_metrics.errors import IllegalTransition, UnknownState
from sms_metrics.register.kinds.incidents import LIFECYCLE
from tests.register.conftest import alert, payload


def _move(client, incident_id, **body):
    return client.post(f"/api/v1/incidents/{incident_id}/transitions", json=body, headers=client.admin)


def test_acknowledge_assign_pend_resolve_close_with_history(client, db):
    client.hook(payload(alert()))
    iid = client.get("/api/v1/incidents", headers=client.admin).json()[0]["id"]
    r = _move(client, iid, to="acknowledged")
    assert r.status_code == 200 and r.json()["acknowledged_at"] is not None
    assert _move(client, iid, to="assigned", assignee="alice").json()["assignee"] == "alice"
    assert _move(client, iid, to="pending").json()["status"] == "pending"
    assert (
        _move(client, iid, to="resolved", reason="restarted the pod").json()["resolution_reason"] == "restarted the pod"
    )
    assert _move(client, iid, to="closed").json()["status"] == "closed"
    changes = db.rows(
        "select actor, old, new from history where record_kind = 'incident' and field = 'status' order by id"
    )
    assert [c[1:] for c in changes] == [
        (None, "new"),
        ("new", "acknowledged"),
        ("acknowledged", "assigned"),
        ("assigned", "pending"),
        ("pending", "resolved"),
        ("resolved", "closed"),
    ]
    assert {c[0] for c in changes[1:]} == {"admin"}


def test_an_illegal_move_is_refused_with_the_allowed_ones(client, db):
    client.hook(payload(alert()))
    iid = client.get("/api/v1/incidents", headers=client.admin).json()[0]["id"]
    _move(client, iid, to="resolved")
    r = _move(client, iid, to="pending")
    assert r.status_code == 409
    assert r.json()["detail"] == "an incident cannot go from resolved to pending; allowed from resolved: closed, new"
    assert db.rows("select status from incidents") == [("resolved",)]


def test_unknown_incidents_and_states():
    with pytest.raises(UnknownState, match="unknown incident state 'sleeping'"):
        LIFECYCLE.check("incident", "new", "sleeping")
    with pytest.raises(IllegalTransition, match="final state"):
        LIFECYCLE.check("incident", "closed", "new")


def test_unknown_incident_is_404(client):
    assert _move(client, 999, to="acknowledged").status_code == 404


def test_the_database_allows_one_open_incident_per_fingerprint(db, client):
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    client.hook(payload(alert()))
    with pytest.raises(IntegrityError), db.engine.begin() as con:
        con.execute(
            text(
                "insert into incidents (status, priority, impact, urgency, service, fingerprint, title, "
                "labels, needs_triage, opened_at, occurrence_count, updated_at) values ('new', 'P1', 1, "
                "1, 'checkout', 'a1', 'dup', '{}', false, '2026-11-02 10:00:00+00', 1, "
                "'2026-11-02 10:00:00+00')"
            )
        )
