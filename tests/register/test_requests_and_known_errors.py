"""Service requests and known errors (ISO/IEC 20000-1 8.1, 8.2) on SQLite and PostgreSQL: fulfilment due
times counted in the service's hours, approval that only a manager may give, the clock paused while
pending and breached by the clock job; a problem whose root cause is known creating its known error."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from sms_metrics.register.kinds.request_clocks import check_request_clocks
from tests.register.clocked import clocked_client
from tests.register.conftest import ADMIN, CATALOGUE, WEBHOOK, alert, payload

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*a) -> datetime:
    return datetime(*a, tzinfo=BERLIN).astimezone(UTC)


def z(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture()
def api(db):
    start = berlin(2026, 11, 6, 17, 30)  # a Friday, half an hour before the desk closes
    with clocked_client(db.url, start, CATALOGUE, ADMIN, webhook_token=WEBHOOK) as c:
        c.as_ = {}
        for role in ("agent", "manager"):
            r = c.post("/api/v1/tokens", json={"name": f"{role}-1", "role": role})
            c.as_[role] = {"Authorization": f"Bearer {r.json()['secret']}"}
        yield c


def _request(api, who="agent", **kw):
    body = {"title": "help", "request_type": "password-reset", "service": "desk", "requester": "alex", **kw}
    r = api.post("/api/v1/service-requests", json=body, headers=api.as_[who])
    assert r.status_code == 201, r.text
    return r.json()


def _move(api, rid, to, who="agent", **kw):
    return api.post(f"/api/v1/service-requests/{rid}/transitions", json={"to": to, **kw}, headers=api.as_[who])


def test_fulfilment_is_due_in_service_hours_from_the_type_or_the_sla(api):
    # password-reset: its own 60 minutes; 30 left on Friday, 30 more from Monday 08:00 (desk hours, Berlin)
    rec = _request(api)
    assert rec["status"] == "submitted" and rec["priority"] == "P3" and rec["fulfilment_source"] == "request type"
    assert rec["fulfilment_due_at"] == z(berlin(2026, 11, 9, 8, 30))
    assert rec["fulfilment_warn_at"] == z(berlin(2026, 11, 9, 8, 15))  # 75% of 60 minutes
    # information has no time of its own: the SLA's resolution time for the priority (desk: P3 480 minutes)
    api.clock.t = berlin(2026, 11, 9, 10)
    rec = _request(api, request_type="information", priority="P3")
    assert (rec["fulfilment_minutes"], rec["fulfilment_source"]) == (480, "SLA resolution time for P3")
    assert rec["fulfilment_due_at"] == z(berlin(2026, 11, 9, 18))
    rec = _request(api, request_type="information")  # P4 by default: the desk's SLA has no P4 time
    assert (rec["fulfilment_due_at"], rec["fulfilment_source"]) == (None, "none")
    # checkout is 24x7: plain wall time
    rec = _request(api, service="checkout", request_type="password-reset")
    assert rec["fulfilment_due_at"] == z(berlin(2026, 11, 9, 11))


def test_approval_needs_a_manager_and_starts_the_clock(api, db):
    api.clock.t = berlin(2026, 11, 9, 9)
    rec = _request(api, request_type="access", title="access to the ERP")
    assert rec["status"] == "awaiting_approval" and rec["approval_required"] is True
    assert rec["fulfilment_due_at"] is None and rec["fulfilment_source"] == "starts at approval"
    history = api.get(f"/api/v1/service-requests/{rec['id']}/history").json()
    r = _move(api, rec["id"], "approved", "agent")
    assert r.status_code == 403 and "needs the manager role" in r.json()["detail"]
    assert api.get(f"/api/v1/service-requests/{rec['id']}").json() == rec  # nothing changed
    assert api.get(f"/api/v1/service-requests/{rec['id']}/history").json() == history
    assert _move(api, rec["id"], "in_progress", "agent").status_code == 409  # not before approval
    api.clock.t = berlin(2026, 11, 10, 16)  # Tuesday 16:00: 2 hours left today, 6 on Wednesday
    r = _move(api, rec["id"], "approved", "manager", reason="ok by the ERP owner")
    assert r.status_code == 200, r.text
    approved = r.json()
    assert (approved["approved_by"], approved["approved_at"]) == ("manager-1", z(berlin(2026, 11, 10, 16)))
    assert approved["fulfilment_due_at"] == z(berlin(2026, 11, 11, 14))
    # pending from Tuesday 17:00 to Wednesday 09:00 pauses two service hours: due moves to 16:00
    api.clock.t = berlin(2026, 11, 10, 17)
    assert _move(api, rec["id"], "pending", reason="waiting for the user").status_code == 200
    api.clock.t = berlin(2026, 11, 11, 9)
    moved = _move(api, rec["id"], "in_progress", assignee="bo").json()
    assert (moved["fulfilment_due_at"], moved["assignee"]) == (z(berlin(2026, 11, 11, 16)), "bo")
    # the clock job warns at 75% and marks the breach at 100%
    api.clock.t = berlin(2026, 11, 11, 16, 1)
    events = check_request_clocks(api.system)
    assert [(e.request_id, e.event) for e in events] == [(rec["id"], "warning"), (rec["id"], "breach")]
    assert check_request_clocks(api.system) == []  # once
    after = api.get(f"/api/v1/service-requests/{rec['id']}").json()
    assert after["fulfilment_breached_at"] == z(berlin(2026, 11, 11, 16, 1)) and after["breached"] is True
    rows = [h for h in api.get(f"/api/v1/service-requests/{rec['id']}/history").json() if h["actor"] == "sla-clock"]
    assert [h["field"] for h in rows] == ["fulfilment_warned_at", "fulfilment_breached_at"]
    # another request of that type is rejected by a manager
    other = _request(api, request_type="access")
    assert _move(api, other["id"], "rejected", "agent").status_code == 403
    assert _move(api, other["id"], "rejected", "manager", reason="not allowed").json()["status"] == "rejected"


def test_a_fulfilled_request_keeps_its_fulfilment_and_knows_whether_it_was_late(api):
    rec = _request(api)
    api.clock.t = berlin(2026, 11, 9, 8, 20)
    done = _move(api, rec["id"], "fulfilled", fulfilment="password reset, user informed").json()
    assert (done["fulfilled_at"], done["fulfilment"], done["breached"]) == (
        z(berlin(2026, 11, 9, 8, 20)),
        "password reset, user informed",
        False,
    )
    late = _request(api)
    api.clock.t = berlin(2026, 11, 10, 9)
    assert _move(api, late["id"], "fulfilled", reason="done").json()["breached"] is True


def test_request_types_are_checked(api):
    r = api.post(
        "/api/v1/service-requests",
        json={"title": "x", "request_type": "coffee", "service": "desk", "requester": "alex"},
        headers=api.as_["agent"],
    )
    assert r.status_code == 422
    assert r.json()["problems"] == [
        "body.request_type: no active request type 'coffee'; types: access, hardware, information, new-account, "
        "password-reset, software"
    ]
    vpn = api.post(
        "/api/v1/request-types",
        json={"name": "vpn", "title": "VPN", "services": ["checkout"], "approval_required": True},
    ).json()
    r = api.post(
        "/api/v1/service-requests",
        json={"title": "x", "request_type": "vpn", "service": "desk", "requester": "alex"},
        headers=api.as_["agent"],
    )
    assert r.status_code == 422 and "vpn is offered for checkout, not desk" in r.json()["detail"]
    assert api.post("/api/v1/request-types", json={"name": "vpn", "title": "again"}).status_code == 409
    api.post(f"/api/v1/request-types/{vpn['id']}/transitions", json={"to": "retired"})
    r = api.post(
        "/api/v1/service-requests",
        json={"title": "x", "request_type": "vpn", "service": "checkout", "requester": "alex"},
        headers=api.as_["agent"],
    )
    assert r.status_code == 422 and "no active request type 'vpn'" in r.json()["detail"]
    listed = api.get("/api/v1/request-types", params={"status": "active"}).json()
    assert len(listed) == 6 and all(t["ref"].startswith("RQT-") for t in listed)


def test_a_problem_whose_root_cause_is_known_creates_its_known_error(api):
    api.clock.t = datetime(2026, 11, 2, 10, tzinfo=UTC)
    for i in range(3):  # three incidents of one alert in a week propose a problem that links them
        a = alert(fingerprint="oom", starts=f"2026-11-0{2 + i}T10:00:00Z")
        assert (
            api.post(
                "/api/v1/webhooks/alertmanager", json=payload(a), headers={"Authorization": f"Bearer {WEBHOOK}"}
            ).status_code
            == 200
        )
        a["status"], a["endsAt"] = "resolved", f"2026-11-0{2 + i}T10:30:00Z"
        api.post("/api/v1/webhooks/alertmanager", json=payload(a), headers={"Authorization": f"Bearer {WEBHOOK}"})
    [problem] = api.get("/api/v1/problems").json()
    incidents = sorted(i["id"] for i in api.get("/api/v1/incidents", params={"problem": problem["id"]}).json())
    assert len(incidents) == 3
    api.patch(f"/api/v1/problems/{problem['id']}", json={"workaround": "restart the pod"}, headers=api.as_["agent"])
    for to in ("investigating", "root_cause_known"):
        r = api.post(
            f"/api/v1/problems/{problem['id']}/transitions",
            json={"to": to, "reason": "the image cache grows without bound"},
            headers=api.as_["agent"],
        )
        assert r.status_code == 200, r.text
    [ke] = api.get("/api/v1/known-errors", params={"problem": problem["id"]}).json()
    assert (ke["ref"], ke["status"], ke["service"]) == (f"KE-{ke['id']:06d}", "identified", "checkout")
    assert (ke["root_cause"], ke["workaround"]) == ("the image cache grows without bound", "restart the pod")
    assert sorted(ke["incidents"]) == incidents
    assert api.get("/api/v1/known-errors", params={"incident": incidents[0]}).json()[0]["id"] == ke["id"]
    # back to investigating and root cause known again: still one known error
    for to in ("investigating", "root_cause_known"):
        api.post(f"/api/v1/problems/{problem['id']}/transitions", json={"to": to}, headers=api.as_["agent"])
    assert len(api.get("/api/v1/known-errors").json()) == 1
    r = api.post(f"/api/v1/known-errors/{ke['id']}/transitions", json={"to": "published"}, headers=api.as_["agent"])
    assert r.status_code == 200 and r.json()["status"] == "published"


def test_publishing_a_known_error_needs_a_workaround(api):
    ke = api.post(
        "/api/v1/known-errors", json={"title": "slow search", "service": "checkout", "root_cause": "missing index"}
    ).json()
    r = api.post(f"/api/v1/known-errors/{ke['id']}/transitions", json={"to": "published"})
    assert r.status_code == 422 and "needs a workaround" in r.json()["detail"]
    assert api.get(f"/api/v1/known-errors/{ke['id']}").json()["status"] == "identified"
    r = api.post(
        "/api/v1/known-errors", json={"title": "x", "service": "checkout", "root_cause": "y", "problem_id": 99}
    )
    assert r.status_code == 422 and r.json()["problems"] == ["body.problem_id: problem 99 does not exist"]
