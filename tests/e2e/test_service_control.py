"""Service control against a real Prometheus over backfilled history: the error-budget gate of changes,
approved maintenance changes excluded from the availability report, the post-release watch, and the
go-live gate of new services. The register's clock is set inside the history, so every gate reads
Prometheus at the instants the test chose."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from sms_metrics.app import create_app
from sms_metrics.bootstrap import build
from sms_metrics.catalogue import parse_catalogue
from sms_metrics.config import Settings
from sms_metrics.localstack.openmetrics import write_eof, write_family
from sms_metrics.localstack.prometheus import LocalPrometheus, backfill
from sms_metrics.register.records.access import Principal
from tests.integration.conftest import run_cli

pytestmark = pytest.mark.integration
ADMIN = "control-admin"
MANAGER = Principal("mia", "manager")
T0 = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=2)
CATALOGUE = """
apiVersion: sms-metrics/v1
services:
  - name: checkout
    criticality: high
    sla: {availability_target: 99.9}
    slos:
      - {name: availability, objective: 99.9, window: 30d, sli: {probe: 'probe_success{service="checkout"}'}}
  - name: payments
    criticality: high
    sla: {availability_target: 99.9}
    slos:
      - {name: availability, objective: 99.9, window: 30d, sli: {probe: 'probe_success{service="payments"}'}}
      - {name: latency, objective: 99, window: 30d, sli: {threshold: {query: 'probe_duration_seconds{service="payments"}', max: 0.5}}}
  - name: search
    criticality: medium
    sla: {availability_target: 99.5}
    slos:
      - {name: availability, objective: 99.5, window: 30d, sli: {probe: 'probe_success{service="search"}'}}
  - name: giftcards
    criticality: low
    sla: {availability_target: 99}
    slos:
      - {name: availability, objective: 99, window: 30d, sli: {probe: 'probe_success{service="giftcards"}'}}
"""
MINUTE = 60.0


def _series(start: datetime, end: datetime, value, changes: list[tuple[datetime, datetime, float]] = ()):
    ts = np.arange(start.timestamp(), end.timestamp(), MINUTE)
    vs = np.full(len(ts), float(value))
    for a, b, v in changes:
        vs[(ts >= a.timestamp()) & (ts < b.timestamp())] = v
    return ts, vs


def _history(path):
    a, b = T0 - timedelta(hours=26), T0 + timedelta(hours=26)
    hour = timedelta(hours=1)
    budget = [
        ({"service": "checkout", "slo": "availability"}, *_series(a, b, -0.2, [(T0, b, 0.35)])),
        ({"service": "payments", "slo": "availability"}, *_series(a, b, 0.5)),
    ]  # no latency budget
    burn = {"5m": 0.03, "1h": 0.02}
    with open(path, "w") as out:
        write_family(out, "slo:period_error_budget_remaining:ratio", "gauge", budget)
        for w, v in burn.items():  # checkout burns from T0+1h; search stays quiet
            write_family(
                out,
                f"slo:sli_error:ratio_rate{w}",
                "gauge",
                [
                    (
                        {"service": "checkout", "slo": "availability"},
                        *_series(a, b, 0.0001, [(T0 + hour, T0 + 3 * hour, v)]),
                    ),
                    ({"service": "search", "slo": "availability"}, *_series(a, b, 0.0001)),
                ],
            )
        write_family(
            out,
            "slo:error_budget:ratio",
            "gauge",
            [({"service": s, "slo": "availability"}, *_series(a, b, 0.001)) for s in ("checkout", "search")],
        )
        write_family(
            out,
            "probe_success",
            "gauge",
            [
                ({"service": "checkout", "probe": "home"}, *_series(a, b, 1, [(T0 + 2 * hour, T0 + 2.5 * hour, 0)])),
                (
                    {"service": "giftcards", "probe": "home"},
                    *_series(a, b, 1, [(T0 - 3 * hour, T0 - 3 * hour + 5 * timedelta(minutes=1), 0)]),
                ),
            ],
        )
        write_eof(out)


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    work = tmp_path_factory.mktemp("control")
    _history(work / "h.om")
    backfill(work / "h.om", work / "tsdb")
    with LocalPrometheus(work) as prom:
        yield prom


class Clock:
    def __init__(self, t):
        self.t = t

    def __call__(self):
        return self.t


@pytest.fixture()
def system(prometheus, tmp_path):
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'r.db'}",
        prometheus_url=prometheus.url,
        admin_token=ADMIN,
        prometheus_retries=0,
    )
    clock = Clock(T0)
    s = build(settings, catalogue=parse_catalogue(CATALOGUE), now=clock)
    s.clock = clock
    yield s
    s.close()


def _change(system, **kw):
    body = {"title": "upgrade", "services": ["checkout"], "type": "normal", **kw}
    return system.records.create("changes", MANAGER, body)


def test_the_budget_gate_refuses_while_spent_and_passes_once_positive(system):
    app = create_app(system.settings, system=system)
    with TestClient(app) as api:
        api.headers["Authorization"] = f"Bearer {ADMIN}"
        cid = api.post("/api/v1/changes", json={"title": "upgrade db", "services": ["checkout"]}).json()["id"]
        system.clock.t = T0 - timedelta(minutes=30)
        r = api.post(f"/api/v1/changes/{cid}/transitions", json={"to": "approved"})
        assert r.status_code == 409 and r.json()["gate"] == "error_budget"
        assert "checkout/availability: error budget spent (-20.0% remaining)" in r.json()["detail"]
        assert api.get(f"/api/v1/changes/{cid}").json()["status"] == "requested"
        system.clock.t = T0 + timedelta(minutes=30)
        r = api.post(f"/api/v1/changes/{cid}/transitions", json={"to": "approved"})
        assert r.status_code == 200 and r.json()["status"] == "approved"
        # a service with an SLO but no recorded budget fails closed
        pid = api.post("/api/v1/changes", json={"title": "tune", "services": ["payments"]}).json()["id"]
        r = api.post(f"/api/v1/changes/{pid}/transitions", json={"to": "approved"})
        assert r.status_code == 409 and r.json()["detail"].startswith(
            "payments/latency: no value of slo:period_error_budget_remaining:ratio"
        )
        # an emergency change passes; a manager may pass a normal one with a justification, kept in history
        eid = api.post(
            "/api/v1/changes", json={"title": "hotfix", "services": ["payments"], "type": "emergency"}
        ).json()
        assert api.post(f"/api/v1/changes/{eid['id']}/transitions", json={"to": "approved"}).status_code == 200
        r = api.post(
            f"/api/v1/changes/{pid}/transitions", json={"to": "approved", "override": "CVE fix, CAB call 14:00"}
        )
        assert r.status_code == 200
        rows = api.get(f"/api/v1/changes/{pid}/history").json()
        assert [(h["field"], h["new"]) for h in rows if h["field"].startswith("override")] == [
            ("override:error_budget", "CVE fix, CAB call 14:00")
        ]


def test_an_unreachable_prometheus_fails_the_gate_closed(tmp_path):
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'r.db'}", prometheus_url="http://127.0.0.1:9", prometheus_retries=0
    )
    system = build(settings, catalogue=parse_catalogue(CATALOGUE))
    cid = _change(system).id
    with pytest.raises(
        Exception, match=re.escape("fails closed: cannot reach Prometheus at http://127.0.0.1:9")
    ) as err:
        system.records.move("changes", MANAGER, cid, "approved")
    assert err.value.gate == "error_budget"
    assert system.records.get("changes", MANAGER, cid).status == "requested"


def test_an_approved_maintenance_change_excludes_its_window_from_the_report(system, prometheus):
    window = {
        "planned_start": (T0 + timedelta(hours=1, minutes=45)).isoformat(),
        "planned_end": (T0 + timedelta(hours=3)).isoformat(),
        "maintenance_window": True,
    }
    rejected = _change(system, **window).id
    system.records.move("changes", MANAGER, rejected, "rejected", reason="not now")
    period = f"{(T0 - timedelta(days=1)).date()}..{(T0 + timedelta(days=2)).date()}"  # the outage (T0 + 2 h) may fall on the next day
    cat = Path(system.settings.database_url.removeprefix("sqlite:///")).with_name("sms.yaml")
    cat.write_text(CATALOGUE)
    env = {"SMS_DATABASE_URL": system.settings.database_url}
    args = ["report", "availability", "-c", str(cat), "-p", prometheus.url, "-s", "checkout", "--period", period]
    system.clock.t = T0 + timedelta(hours=2, minutes=10)  # the service desk opens an incident during the outage
    inc = system.records.create("incidents", MANAGER, {"title": "checkout down", "service": "checkout"})
    before = json.loads(run_cli(*args, env=env).stdout)
    assert before["downtime_seconds"] == 1800 and before["outages"][0]["duration_seconds"] == 1800
    assert [i["ref"] for i in before["outages"][0]["incidents"]] == [inc.ref]
    system.clock.t = T0 + timedelta(minutes=30)  # budget positive: the normal change is approved
    approved = _change(system, **window).id
    system.records.move("changes", MANAGER, approved, "approved")
    after = json.loads(run_cli(*args, env=env).stdout)
    assert after["downtime_seconds"] == 0 and after["outages"] == []
    [window] = after["calendar"]["maintenance"]
    assert (window["source"], window["description"], window["excluded_seconds"]) == (
        f"change CHG-{approved:06d}",
        "upgrade",
        75 * 60,
    )
    assert after["excluded_seconds"] - before["excluded_seconds"] == 75 * 60
    assert after["availability_percent"] == 100.0


def test_a_burn_after_deployment_fails_the_release_and_opens_the_rollback_change(system):
    from sms_metrics.register.kinds.release_watch import watch_all

    evidence = [{"name": "e2e", "passed": True}]
    burning = system.records.create(
        "releases", MANAGER, {"service": "checkout", "version": "2.0", "test_evidence": evidence}
    )
    quiet = system.records.create(
        "releases", MANAGER, {"service": "search", "version": "7.1", "test_evidence": evidence}
    )
    untested = system.records.create("releases", MANAGER, {"service": "search", "version": "7.2"})
    for rel in (burning, quiet, untested):
        system.records.move("releases", MANAGER, rel.id, "tested")
    with pytest.raises(Exception, match=re.escape("no test evidence recorded")) as err:
        system.records.move("releases", MANAGER, untested.id, "deployed")
    assert err.value.gate == "release_tests"
    system.clock.t = T0 + timedelta(minutes=40)
    for rel in (burning, quiet):
        system.records.move("releases", MANAGER, rel.id, "deployed")
    system.clock.t = T0 + timedelta(minutes=50)
    assert [o.outcome for o in watch_all(system)] == ["watching", "watching"]
    system.clock.t = T0 + timedelta(hours=1, minutes=20)  # the burn started at T0+1h
    outcomes = {o.ref: o for o in watch_all(system)}
    failed = outcomes[burning.ref]
    assert failed.outcome == "failed" and failed.reason == (
        "SLO availability burns its error budget at 30.0x over 5m and 20.0x over 1h (>= 14.4x)"
    )
    rel = system.records.get("releases", MANAGER, burning.id)
    assert rel.status == "failed" and rel.failure == failed.reason
    change = system.records.get("changes", MANAGER, rel.rollback_change_id)
    assert (change.type, change.status, change.services, change.title) == (
        "emergency",
        "requested",
        ["checkout"],
        "Roll back checkout 2.0",
    )
    rows = system.records.history("releases", MANAGER, burning.id)
    assert [(r.actor, r.new, r.reason) for r in rows if r.field == "status"][-1] == (
        "sms-metrics",
        "failed",
        failed.reason,
    )
    assert outcomes[quiet.ref].outcome == "watching"
    system.clock.t = T0 + timedelta(hours=1, minutes=41)  # an hour after the deployment
    assert [(o.ref, o.outcome) for o in watch_all(system)] == [(quiet.ref, "verified")]


def test_a_proposal_cannot_go_live_while_its_probes_failed_in_the_last_24_hours(system):
    scp = system.records.create(
        "service-change-proposals",
        MANAGER,
        {"title": "Gift cards", "service": "giftcards", "acceptance_tests": [{"name": "buy", "passed": True}]},
    )
    for state in ("approved", "building"):
        system.records.move("service-change-proposals", MANAGER, scp.id, state)
    with pytest.raises(Exception, match=re.escape("probes of giftcards failed within the last 24 hours: home")) as err:
        system.records.move("service-change-proposals", MANAGER, scp.id, "live")
    assert err.value.gate == "go_live"
    system.clock.t = T0 + timedelta(hours=21, minutes=10)  # the failure is now more than 24 hours old
    assert system.records.move("service-change-proposals", MANAGER, scp.id, "live").status == "live"
    other = system.records.create("service-change-proposals", MANAGER, {"title": "Loyalty", "service": "loyalty"})
    for state in ("approved", "building"):
        system.records.move("service-change-proposals", MANAGER, other.id, state)
    with pytest.raises(Exception, match=re.escape("loyalty is not in the catalogue; no acceptance tests recorded")):
        system.records.move("service-change-proposals", MANAGER, other.id, "live")


def test_an_approved_change_window_turns_the_maintenance_gauge_on(system):
    now = datetime.now(UTC)
    window = {
        "planned_start": (now - timedelta(minutes=10)).isoformat(),
        "planned_end": (now + timedelta(minutes=50)).isoformat(),
        "maintenance_window": True,
    }
    system.records.create("changes", MANAGER, {"title": "later", "services": ["search"], **window})  # requested
    system.records.create(
        "changes", MANAGER, {"title": "patch", "services": ["checkout"], "type": "standard", **window}
    )  # standard: approved at once
    with TestClient(create_app(system.settings, system=system)) as api:
        text = api.get("/metrics").text
    assert 'sms_maintenance_active{service="checkout"} 1.0' in text
    assert 'sms_maintenance_active{service="search"} 0.0' in text
