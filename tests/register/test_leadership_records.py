"""Section 4 records on SQLite and PostgreSQL: documents (frozen once published, versions superseding each
other), the review job, audits raising nonconformities, nonconformities closed only with their actions done,
and management reviews whose inputs are what the register's API lists for the period."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sms_metrics.jobs.reviews import run_review_checks
from sms_metrics.register.db import transaction
from sms_metrics.register.incidents.sla import check_sla_clocks
from tests.register.delivery_fixtures import NOW, create, move, running_api


@pytest.fixture()
def api(db):
    yield from running_api(db)


def _published(api, **kw) -> dict:
    doc = create(api, "documents", title="Incident management process", owner="carol", type="process", **kw)
    return move(api, "documents", doc["id"], "in_review", "approved", "published")


def test_a_published_document_is_frozen_and_publishing_v2_supersedes_v1(api):
    v1 = _published(api, version="1.0", review_interval_days=180)
    assert (v1["approved_by"], v1["review_due"]) == ("admin", str((NOW + timedelta(days=180)).date()))
    r = api.patch(f"/api/v1/documents/{v1['id']}", json={"content": "changed"})
    assert r.status_code == 409 and "published: its fields can no longer change" in r.json()["detail"]
    assert api.get(f"/api/v1/documents/{v1['id']}").json() == v1
    v2 = api.post(f"/api/v1/documents/{v1['id']}/versions", json={"reason": "new escalation rules"}).json()
    assert (v2["status"], v2["version"], v2["supersedes_id"], v2["review_due"]) == ("draft", "1.1", v1["id"], None)
    assert api.post(f"/api/v1/documents/{v1['id']}/versions").status_code == 409  # one revision at a time
    assert api.patch(f"/api/v1/documents/{v2['id']}", json={"content": "new text"}).status_code == 200
    move(api, "documents", v2["id"], "in_review", "approved")
    assert api.get(f"/api/v1/documents/{v1['id']}").json()["status"] == "published"  # until v2 is published
    api.clock.t = NOW + timedelta(days=1)
    published = move(api, "documents", v2["id"], "published")
    old = api.get(f"/api/v1/documents/{v1['id']}").json()
    assert (old["status"], old["superseded_by_id"]) == ("superseded", v2["id"])
    assert old["updated_at"] == published["updated_at"] == published["published_at"]  # one transaction
    rows = [
        (h["field"], h["old"], h["new"], h["reason"]) for h in api.get(f"/api/v1/documents/{v1['id']}/history").json()
    ]
    why = f"superseded by DOC-{v2['id']:06d} (version 1.1)"
    assert rows[-2:] == [("status", "published", "superseded", why), ("superseded_by_id", None, str(v2["id"]), why)]
    chain = api.get(f"/api/v1/documents/{v2['id']}/versions").json()
    assert [(d["version"], d["status"]) for d in chain] == [("1.0", "superseded"), ("1.1", "published")]
    assert api.get("/api/v1/documents", params={"status": "current"}).json()[0]["id"] == v2["id"]
    r = api.post(f"/api/v1/documents/{v1['id']}/transitions", json={"to": "retired"})
    assert r.status_code == 409 and r.json()["allowed"] == []


def test_a_new_version_is_not_published_over_a_version_that_is_no_longer_current(api):
    v1 = _published(api)
    v2 = api.post(f"/api/v1/documents/{v1['id']}/versions").json()
    move(api, "documents", v2["id"], "in_review", "approved")
    move(api, "documents", v1["id"], "retired")
    r = api.post(f"/api/v1/documents/{v2['id']}/transitions", json={"to": "published"})
    assert r.status_code == 409 and r.json()["gate"] == "predecessor"
    assert "is retired" in r.json()["detail"]
    assert api.get(f"/api/v1/documents/{v2['id']}").json()["status"] == "approved"
    r = api.post("/api/v1/documents", json={"title": "x", "owner": "o", "supersedes_id": v1["id"]})
    assert r.status_code == 422 and "only a published version can be superseded" in r.json()["detail"]


def test_the_review_job_flags_exactly_the_overdue_records(api):
    today = NOW.date()
    overdue = _published(api, review_due=str(today - timedelta(days=1)))["id"]
    due_today = _published(api, review_due=str(today))["id"]
    later = _published(api, review_due=str(today + timedelta(days=30)))["id"]
    draft = create(api, "documents", title="Draft", owner="o", review_due=str(today - timedelta(days=9)))["id"]
    plan = create(api, "continuity-plans", service="checkout", rto_minutes=60, rpo_minutes=5)
    move(api, "continuity-plans", plan["id"], "approved")
    api.patch(f"/api/v1/continuity-plans/{plan['id']}", json={"review_date": str(today - timedelta(days=2))})
    ctl = create(
        api,
        "security-controls",
        reference="A.5.15",
        title="Access control",
        owner="dave",
        last_review="2025-11-01",
        review_interval_days=365,
    )
    move(api, "security-controls", ctl["id"], "implementing", "implemented")
    nc = create(
        api,
        "nonconformities",
        title="Restore not tested",
        corrective_actions=[{"action": "test a restore", "due_date": str(today - timedelta(days=3))}],
    )
    closed_nc = create(api, "nonconformities", title="Old", due_date=str(today - timedelta(days=40)))
    move(api, "nonconformities", closed_nc["id"], "rejected")
    state = api.app.state.sms
    assert run_review_checks(state) == 4
    flagged = {(k, ref) for k, e, ref in api.events if e in ("review_overdue", "overdue")}
    assert flagged == {
        ("document", f"DOC-{overdue:06d}"),
        ("continuity_plan", plan["ref"]),
        ("security_control", ctl["ref"]),
        ("nonconformity", nc["ref"]),
    }
    assert api.get(f"/api/v1/documents/{overdue}").json()["review_overdue_since"] is not None
    for rid in (due_today, later, draft):
        assert api.get(f"/api/v1/documents/{rid}").json()["review_overdue_since"] is None
    row = api.get(f"/api/v1/nonconformities/{nc['id']}/history").json()[-1]
    assert (row["actor"], row["field"], row["old"]) == ("job:reviews", "overdue_since", None)
    assert row["reason"] == f"action 1 (test a restore) due {today - timedelta(days=3)}"
    text = api.get("/metrics").text
    assert 'sms_review_flags_total{kind="document"} 1.0' in text
    assert 'sms_reviews_overdue{kind="documents"} 1.0' in text
    assert 'sms_reviews_overdue{kind="security-controls"} 1.0' in text
    assert run_review_checks(state) == 0  # flagged once
    reviewed = api.post(f"/api/v1/documents/{overdue}/review", json={"reason": "still right"}).json()
    assert reviewed["review_overdue_since"] is None and reviewed["last_reviewed"] == str(today)
    api.patch(f"/api/v1/security-controls/{ctl['id']}", json={"last_review": str(today)})
    assert api.get(f"/api/v1/security-controls/{ctl['id']}").json()["review_overdue_since"] is None
    assert 'sms_reviews_overdue{kind="documents"} 0.0' in api.get("/metrics").text


def test_a_finding_raises_a_nonconformity_and_the_report_raises_the_rest(api):
    findings = [
        {"title": "Changes approved without CAB minutes", "severity": "major", "clause": "8.5.1.3"},
        {"title": "Runbooks out of date", "severity": "observation", "service": "checkout"},
        {"title": "Capacity plan not reviewed", "severity": "minor"},
    ]
    audit = create(api, "audits", title="Internal audit Q4", lead_auditor="erin", findings=findings)
    r = api.post(f"/api/v1/audits/{audit['id']}/findings/2/nonconformity")
    nc = r.json()["findings"][1]["nonconformity_id"]
    assert api.get(f"/api/v1/nonconformities/{nc}").json()["services"] == ["checkout"]
    assert api.post(f"/api/v1/audits/{audit['id']}/findings/2/nonconformity").status_code == 409
    assert api.post(f"/api/v1/audits/{audit['id']}/findings/4/nonconformity").status_code == 422
    done = move(api, "audits", audit["id"], "in_progress", "reported")
    raised = [f["nonconformity_id"] for f in done["findings"]]
    ncs = {n["id"]: n for n in api.get("/api/v1/nonconformities", params={"audit": audit["id"]}).json()}
    assert set(ncs) == set(raised) and len(ncs) == 3
    first = ncs[raised[0]]
    assert (first["severity"], first["source"], first["finding"], first["clause"]) == ("major", "audit", 1, "8.5.1.3")
    assert ncs[raised[2]]["severity"] == "minor"
    bad = api.get("/api/v1/nonconformities", params={"audit": "first"})
    assert (
        bad.status_code == 422
        and "query.audit: expected a record id (a whole number), got 'first'" in bad.json()["detail"]
    )


def test_a_nonconformity_closes_only_once_its_corrective_actions_are_done(api):
    actions = [{"action": "add CAB minutes to the template", "owner": "mia", "due_date": "2026-12-01"}]
    nc = create(api, "nonconformities", title="No CAB minutes", severity="major", corrective_actions=actions)
    move(api, "nonconformities", nc["id"], "investigating", "action_planned", "verifying")
    r = api.post(f"/api/v1/nonconformities/{nc['id']}/transitions", json={"to": "closed"})
    assert r.status_code == 409 and r.json()["gate"] == "corrective_actions"
    assert "corrective action(s) 1 not done" in r.json()["detail"]
    api.patch(
        f"/api/v1/nonconformities/{nc['id']}", json={"corrective_actions": [{**actions[0], "done_on": "2026-11-09"}]}
    )
    closed = move(api, "nonconformities", nc["id"], "closed")
    assert closed["closed_at"] is not None


def _incidents_in(api, start, end) -> list[dict]:
    items = api.get("/api/v1/incidents", params={"limit": 1000}).json()
    return [i for i in items if start <= i["opened_at"] < end]


def test_management_review_inputs_equal_what_the_api_lists_for_the_period(api):
    figures = {"service": "checkout", "availability_percent": 99.5, "target_percent": 99.9, "met": False}
    figures |= {"up_seconds": 2664000.0, "downtime_seconds": 13392.0}
    create(api, "service-reports", service="checkout", period="2026-10", figures=figures)
    create(api, "service-reports", service="checkout", period="2026-09", figures={**figures, "downtime_seconds": 1})
    api.clock.t = NOW.replace(month=10, day=3)
    create(api, "incidents", title="checkout down", service="checkout", urgency=1)  # P1
    create(api, "incidents", title="desk slow", service="desk", urgency=3)
    api.clock.t = NOW.replace(month=10, day=5)
    with transaction(api.system.sessions) as s:
        check_sla_clocks(s, now=api.clock.t)  # the P1's response is long overdue: breached
    api.clock.t = NOW.replace(month=11, day=1, hour=0)
    create(api, "incidents", title="after the period", service="checkout", urgency=1)
    create(api, "capacity-plans", service="checkout", resource="licences", owner="carol", action="buy 20")
    create(api, "nonconformities", title="open one")
    api.clock.t = NOW
    mr = create(api, "management-reviews", period="2026-10", chair="frank", attendees=["carol"])
    inputs = mr["inputs"]
    listed = api.get("/api/v1/service-reports", params={"period": "2026-10"}).json()
    [sla] = [s for s in inputs["sla"] if s["service"] == "checkout"]
    assert (sla["source"], sla["reports"][0]["ref"]) == ("service-reports", listed[0]["ref"])
    keys = ("availability_percent", "target_percent", "met", "downtime_seconds")
    assert {k: sla[k] for k in keys} == {k: listed[0][k] for k in keys}
    desk = next(s for s in inputs["sla"] if s["service"] == "desk")
    assert desk["source"] == "prometheus"  # no report for desk: measured (it has no SLO: no figures)
    incidents = _incidents_in(api, "2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z")
    assert inputs["incidents"]["total"] == len(incidents) == 2
    assert inputs["incidents"]["by_priority"] == {
        p: sum(i["priority"] == p for i in incidents) for p in ("P1", "P2", "P3", "P4")
    }
    for clock in ("response", "resolution"):
        expected = sum(i[f"{clock}_breached_at"] is not None for i in incidents)
        assert inputs["incidents"][f"{clock}_breaches"] == expected
    assert inputs["incidents"]["response_breaches"] == 2  # P1 (15 min) and P3 (60 service minutes) by Oct 5
    plans = api.get("/api/v1/capacity-plans", params={"status": "current"}).json()
    assert [c["ref"] for c in inputs["capacity"]] == [p["ref"] for p in plans]
    assert inputs["nonconformities"]["open"] == int(
        api.get("/api/v1/nonconformities", params={"status": "open"}).headers["X-Total-Count"]
    )
    # complaints and supplier performance are kinds of the register: gathered (none in the period here)
    assert inputs["not_gathered"] == []
    assert inputs["complaints"]["total"] == 0 and inputs["supplier_performance"]["total"] == 0
    # a quarter made of monthly reports: the months' figures combined (up time over up and down time)
    assert create(api, "management-reviews", period="2026-Q3")["inputs"]["sla"][0]["source"] == "prometheus"
    for month, up, down in (("2026-07", 2678000.0, 400.0), ("2026-08", 2677800.0, 600.0)):
        body = {**figures, "up_seconds": up, "downtime_seconds": down}
        create(api, "service-reports", service="checkout", period=month, figures=body)
    [q] = create(api, "management-reviews", period="2026-Q3", services=["checkout"])["inputs"]["sla"]
    up, down = 2678000 + 2677800 + 2664000, 400 + 600 + 1
    assert (q["source"], [r["period"] for r in q["reports"]]) == ("service-reports", ["2026-07", "2026-08", "2026-09"])
    assert (q["availability_percent"], q["downtime_seconds"]) == (round(100 * up / (up + down), 6), down)
    api.clock.t = NOW + timedelta(hours=1)
    again = api.post(f"/api/v1/management-reviews/{mr['id']}/inputs").json()
    assert again["inputs"]["sla"] == inputs["sla"] and again["inputs_at"] != mr["inputs_at"]
    move(api, "management-reviews", mr["id"], "held", "closed")
    assert api.post(f"/api/v1/management-reviews/{mr['id']}/inputs").status_code == 409


def test_gathering_a_reviews_inputs_does_not_hold_the_write_lock(api, db, monkeypatch):
    """On SQLite the write session takes the lock at its first statement: gathering (which may wait for
    Prometheus) comes before it, so another writer is not kept waiting meanwhile."""
    if not db.url.startswith("sqlite"):
        pytest.skip("the write lock is SQLite's")
    import sqlite3

    from sms_metrics.register.kinds import review_inputs

    gather, seen = review_inputs.gather, []

    def gather_while_writing(*args, **kw):
        con = sqlite3.connect(db.url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
        con.execute("BEGIN IMMEDIATE")  # raises "database is locked" if the review's write held the lock
        con.execute("ROLLBACK")
        con.close()
        seen.append(True)
        return gather(*args, **kw)

    monkeypatch.setattr(review_inputs, "gather", gather_while_writing)
    assert create(api, "management-reviews", period="2026-10")["inputs"]["period"]["label"] == "2026-10"
    assert seen == [True]
