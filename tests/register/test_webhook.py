"""Alertmanager deliveries into incidents: mapping, idempotency, flaps, order, bad input."""

from __future__ import annotations

import pytest
from fastapi import Request

from tests.register.conftest import ADMIN, alert, payload, utc


def _incidents(client, **params):
    r = client.get("/api/v1/incidents", params=params, headers=client.admin)
    assert r.status_code == 200, r.text
    return r.json(), int(r.headers["X-Total-Count"])


def test_a_firing_alert_opens_an_incident_with_priority_and_due_times(client):
    r = client.hook(payload(alert()))
    assert r.status_code == 200 and r.json()["actions"] == {"opened": 1}
    [inc], total = _incidents(client, status="open")
    assert total == 1
    assert inc["priority"] == "P1" and inc["impact"] == 1 and inc["urgency"] == 1  # high x page
    assert inc["service"] == "checkout" and inc["slo"] == "availability" and inc["fingerprint"] == "a1"
    assert inc["title"] == "checkout burns its budget" and inc["runbook_url"] == "https://runbooks/x"
    assert utc(inc["opened_at"]) == utc("2026-11-02T10:00:00Z")
    assert utc(inc["response_due_at"]) == utc("2026-11-02T10:15:00Z")
    assert utc(inc["resolution_due_at"]) == utc("2026-11-02T14:00:00Z")
    assert inc["status"] == "new" and inc["occurrence_count"] == 1 and inc["needs_triage"] is False


def test_due_times_count_service_hours(client):
    # desk: low x warning = P3; Friday 17:30 Berlin (CET) + 60 service minutes = Monday 08:30 CET
    client.hook(payload(alert("d1", service="desk", severity="warning", starts="2026-11-06T16:30:00Z")))
    [inc], _ = _incidents(client, service="desk")
    assert inc["priority"] == "P3"
    assert utc(inc["response_due_at"]) == utc("2026-11-09T07:30:00Z")


def test_unknown_services_still_open_incidents_flagged_for_triage(client):
    client.hook(payload(alert("u1", service="mystery", severity="warning")))
    [inc], _ = _incidents(client)
    assert inc["needs_triage"] is True and inc["priority"] == "P3" and inc["impact"] == 2
    assert inc["response_due_at"] is None


def test_sloth_labels_are_understood(client):
    a = alert("s1")
    del a["labels"]["service"], a["labels"]["slo"]
    a["labels"].update(sloth_service="checkout", sloth_slo="latency")
    client.hook(payload(a))
    [inc], _ = _incidents(client)
    assert inc["service"] == "checkout" and inc["slo"] == "latency" and inc["priority"] == "P1"


def test_repeat_deliveries_are_idempotent(client, db):
    for _ in range(3):
        assert client.hook(payload(alert())).status_code == 200
    [inc], total = _incidents(client)
    assert total == 1 and inc["occurrence_count"] == 1
    assert db.rows("select count(*) from incident_occurrences") == [(1,)]


def test_resolved_alert_resolves_the_incident(client, db):
    client.hook(payload(alert()))
    r = client.hook(payload(alert(status="resolved", ends="2026-11-02T10:20:00Z")))
    assert r.json()["actions"] == {"resolved": 1}
    [inc], _ = _incidents(client, status="resolved")
    assert utc(inc["resolved_at"]) == utc("2026-11-02T10:20:00Z") and inc["resolution_reason"] == "alert resolved"
    history = db.rows(
        "select actor, field, old, new from history where record_kind = 'incident' and field = 'status' order by id"
    )
    assert history == [("alertmanager", "status", None, "new"), ("alertmanager", "status", "new", "resolved")]


def test_a_resolve_closes_every_occurrence_that_started_before_its_end(client, db):
    client.hook(payload(alert(starts="2026-11-02T10:00:00.123456789Z")))
    assert client.hook(payload(alert(starts="2026-11-02T10:00:00.123Z"))).json()["actions"] == {"duplicate": 1}
    client.hook(payload(alert(starts="2026-11-02T10:07:00Z")))  # a replay after a restart: another start
    [inc], _ = _incidents(client)
    assert inc["occurrence_count"] == 2
    r = client.hook(payload(alert(status="resolved", starts="2026-11-02T10:07:00Z", ends="2026-11-02T10:30:00Z")))
    assert r.json()["actions"] == {"resolved": 1}
    [inc], _ = _incidents(client, status="resolved")
    assert db.rows("select count(*) from incident_occurrences where resolved = false") == [(0,)]
    # an occurrence that started after the notification's end stays open
    client.hook(payload(alert(starts="2026-11-02T11:00:00Z")))
    client.hook(payload(alert(status="resolved", starts="2026-11-02T10:07:00Z", ends="2026-11-02T10:30:00Z")))
    assert _incidents(client, status="open")[1] == 1


def test_a_flap_inside_the_reopen_window_reopens(client):
    client.hook(payload(alert()))
    client.hook(payload(alert(status="resolved", ends="2026-11-02T10:20:00Z")))
    r = client.hook(payload(alert(starts="2026-11-02T10:50:00Z")))
    assert r.json()["actions"] == {"reopened": 1}
    [inc], total = _incidents(client)
    assert total == 1 and inc["status"] == "new" and inc["occurrence_count"] == 2 and inc["resolved_at"] is None


def test_a_flap_after_the_window_opens_a_new_linked_incident(client):
    client.hook(payload(alert()))
    client.hook(payload(alert(status="resolved", ends="2026-11-02T10:20:00Z")))
    r = client.hook(payload(alert(starts="2026-11-02T12:00:00Z")))
    assert r.json()["actions"] == {"opened": 1}
    incs, total = _incidents(client)
    assert total == 2
    new, old = incs  # newest first
    assert new["linked_incident_id"] == old["id"] and old["status"] == "resolved"


def test_a_late_firing_after_resolved_does_not_reopen(client):
    client.hook(payload(alert()))
    client.hook(payload(alert(status="resolved", ends="2026-11-02T10:20:00Z")))
    r = client.hook(payload(alert()))  # the same occurrence, delivered late
    assert r.json()["actions"] == {"duplicate": 1}
    [inc], _ = _incidents(client)
    assert inc["status"] == "resolved"


def test_out_of_order_resolved_before_firing(client):
    client.hook(payload(alert(status="resolved", ends="2026-11-02T10:05:00Z")))
    client.hook(payload(alert()))
    [inc], total = _incidents(client)
    assert total == 1 and inc["status"] == "resolved"


def test_truncated_payloads_do_not_resolve_missing_alerts(client):
    client.hook(payload(alert("t1"), alert("t2")))
    r = client.hook(payload(alert("t1"), truncated=1))  # t2 left out by Alertmanager
    assert r.json()["truncated"] == 1
    _, open_total = _incidents(client, status="open")
    assert open_total == 2


def test_sql_metacharacters_are_stored_verbatim(client):
    nasty = "x'); DROP TABLE incidents; --"
    client.hook(payload(alert("q1", service="checkout", team=nasty)))
    [inc], _ = _incidents(client)
    assert inc["service"] == "checkout"
    r = client.get("/api/v1/incidents", params={"service": nasty}, headers=client.admin)
    assert r.status_code == 200 and r.json() == []


@pytest.mark.parametrize(
    "body, headers, status, needle",
    [
        (b"{not json", {}, 400, "malformed JSON"),
        (None, {}, 422, "version"),
        ("missing-fingerprint", {}, 422, "alerts[0].fingerprint"),
        ("nul", {}, 422, "NUL byte"),
        (b"x" * (10 * 1024 * 1024), {}, 413, "limit"),
        ("ok", {"Authorization": "Bearer wrong"}, 401, "wrong bearer token"),
        ("ok", {"Authorization": ""}, 401, "bearer token"),
    ],
)
def test_bad_deliveries_write_nothing_and_say_why(client, db, body, headers, status, needle):
    if body is None:
        data = payload(alert()) | {"version": "3"}
    elif body == "missing-fingerprint":
        data = payload(alert())
        del data["alerts"][0]["fingerprint"]
    elif body == "nul":
        data = payload(alert(team="a\x00b"))
    elif body == "ok":
        data = payload(alert())
    else:
        data = None
    hdrs = {"Authorization": "Bearer hook-secret", "Content-Type": "application/json", **headers}
    import json as _json

    raw = body if isinstance(body, bytes) else _json.dumps(data).encode()
    before = db.rows("select count(*) from history")  # the built-in request types have history rows of their own
    r = client.post("/api/v1/webhooks/alertmanager", content=raw, headers=hdrs)
    assert r.status_code == status, r.text
    assert needle in r.text
    assert db.rows("select count(*) from incidents") == [(0,)]
    assert db.rows("select count(*) from history") == before


def test_the_api_needs_a_token_and_the_webhook_token_only_delivers_alerts(client):
    assert client.get("/api/v1/incidents").status_code == 401
    assert client.get("/api/v1/incidents", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/api/v1/incidents", headers={"Authorization": "Bearer hook-secret"}).status_code == 403
    assert client.get("/api/v1/incidents", headers={"Authorization": f"Bearer {ADMIN}"}).status_code == 200
    assert client.get("/healthz").status_code == 200 and client.get("/metrics").status_code == 200


def test_a_locked_database_answers_503_and_writes_nothing(tmp_path):
    import sqlite3

    from fastapi.testclient import TestClient

    from sms_metrics.app import create_app
    from sms_metrics.catalogue import parse_catalogue
    from sms_metrics.config import Settings
    from tests.register.conftest import CATALOGUE, WEBHOOK

    db = tmp_path / "locked.db"
    settings = Settings(
        database_url=f"sqlite:///{db}", webhook_token=WEBHOOK, admin_token=ADMIN, database_busy_timeout_ms=200
    )
    with TestClient(create_app(settings, catalogue=parse_catalogue(CATALOGUE))) as client:
        holder = sqlite3.connect(db, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        r = client.post(
            "/api/v1/webhooks/alertmanager", json=payload(alert()), headers={"Authorization": f"Bearer {WEBHOOK}"}
        )
        holder.execute("ROLLBACK")
        assert r.status_code == 503 and "busy" in r.json()["detail"] and r.headers["Retry-After"] == "1"
        assert holder.execute("select count(*) from incidents").fetchone() == (0,)
        holder.close()
        r = client.post(
            "/api/v1/webhooks/alertmanager", json=payload(alert()), headers={"Authorization": f"Bearer {WEBHOOK}"}
        )
        assert r.status_code == 200  # Alertmanager's retry then succeeds


def test_a_dead_writer_process_is_replaced_and_nothing_is_lost(client, db):
    writer = client.app.state.sms.writer
    if db.url.startswith("postgresql"):
        pytest.skip("PostgreSQL deliveries are written by threads, not a writer process")
    assert client.hook(payload(alert(fingerprint="w1"))).status_code == 200
    first = writer._proc
    first.kill()
    first.join(5)
    r = client.hook(payload(alert(fingerprint="w2", starts="2026-11-02T10:05:00Z")))
    assert r.status_code == 200 and r.json()["actions"] == {"opened": 1}
    assert writer._proc.pid != first.pid and writer._proc.is_alive()
    assert db.rows("SELECT fingerprint FROM incidents ORDER BY id") == [("w1",), ("w2",)]


def test_a_writer_dying_during_a_delivery_answers_503_and_writes_nothing(client, db):
    import sqlite3
    import threading
    import time

    if db.url.startswith("postgresql"):
        pytest.skip("PostgreSQL deliveries are written by threads, not a writer process")
    writer = client.app.state.sms.writer
    assert client.hook(payload(alert(fingerprint="d0"))).status_code == 200
    lock = sqlite3.connect(db.url.removeprefix("sqlite:///"), isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")  # the writer will wait for this lock...
    answer = {}
    t = threading.Thread(target=lambda: answer.update(r=client.hook(payload(alert(fingerprint="d1")))))
    t.start()
    time.sleep(1.0)
    writer._proc.kill()  # ...and die while waiting
    t.join(10)
    lock.rollback()
    lock.close()
    assert answer["r"].status_code == 503 and "writer restarted" in answer["r"].json()["detail"]
    assert db.rows("SELECT fingerprint FROM incidents ORDER BY id") == [("d0",)]
    assert client.hook(payload(alert(fingerprint="d1"))).status_code == 200  # the retry goes through


@pytest.mark.parametrize("case", ["ok", "http", "busy", "bug"])
def test_the_fast_path_answers_as_the_documented_route_would(case):
    """The app serves the webhook ahead of FastAPI's routing (FastPath) with the route's own endpoint:
    the same status, body and headers as through the router, for an answer and for each kind of error."""
    from fastapi import FastAPI, HTTPException
    from fastapi.responses import JSONResponse
    from fastapi.testclient import TestClient

    from sms_metrics.app import _error_handlers
    from sms_metrics.register.db import DatabaseBusy
    from sms_metrics.register.webhook.views import PATH, FastPath, webhook_router

    async def endpoint(request: Request):
        if case == "http":
            raise HTTPException(413, "body is over the limit", headers={"X-Limit": "10"})
        if case == "busy":
            raise DatabaseBusy("the register is busy")
        if case == "bug":
            raise RuntimeError("a bug")
        body = (await request.body()).decode()
        return JSONResponse({"body": body, "routed": "route" in request.scope})

    def answer(fast: bool):
        app = FastAPI()
        _error_handlers(app)
        app.include_router(webhook_router(endpoint))
        if fast:
            app.add_middleware(FastPath, path=PATH, endpoint=endpoint, handlers=app.exception_handlers)
        with TestClient(app, raise_server_exceptions=False) as c:
            r = c.post(PATH, content=b"hello", headers={"Authorization": "Bearer x"})
            assert c.get(PATH).status_code == 405  # other methods go on to the router
        kept = {k: v for k, v in r.headers.items() if k in ("retry-after", "x-limit", "content-type")}
        return r.status_code, r.text, kept

    routed, fast = answer(False), answer(True)
    if case == "ok":
        assert routed[0] == fast[0] == 200
        assert '"routed":true' in routed[1] and '"routed":false' in fast[1]  # the fast path skipped the router
        assert routed[1].replace("true", "false") == fast[1] and routed[2] == fast[2]
    else:
        assert routed == fast
        assert fast[0] == {"http": 413, "busy": 503, "bug": 500}[case]
