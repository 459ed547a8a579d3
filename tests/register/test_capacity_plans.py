"""Capacity plans in the register (SQLite and PostgreSQL): forecasts kept as plans, superseded
without losing figures, lifecycle moves through the API, gauges on /metrics."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from sms_metrics.register.capacity.plans import record_forecasts
from sms_metrics.register.db import transaction
from sms_metrics.register.kinds.capacity_plans import CapacityPlan

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def doc(inputs="h1", at="2026-12-01T00:00:00Z", status="plan", value=80.0, resource="disk"):
    return {
        "service": "checkout",
        "resource": resource,
        "model": "mstl_ets",
        "status": status,
        "backtest": {"mase": 0.7, "smape": 3.2, "models": {}},
        "forecast": [
            {
                "t": "2026-11-21T00:00:00Z",
                "value": 50.0,
                "lower_80": 45.0,
                "upper_80": 55.0,
                "lower_95": 40.0,
                "upper_95": 60.0,
            },
            {
                "t": "2026-12-04T00:00:00Z",
                "value": value,
                "lower_80": value - 5,
                "upper_80": value + 5,
                "lower_95": value - 10,
                "upper_95": value + 10,
            },
        ],
        "exhaustion": {"at": at, "earliest_95": "2026-11-29T00:00:00Z" if at else None},
        "limit": 100.0,
        "direction": "up",
        "lead_time_seconds": 7 * 86400.0,
        "inputs_hash": inputs,
    }


def _record(client, *docs, now=NOW):
    with transaction(client.app.state.sms.sessions) as s:
        return record_forecasts(s, list(docs), actor="job:test", now=now)


def _plans(client, **params):
    r = client.get("/api/v1/capacity-plans", params=params, headers=client.admin)
    assert r.status_code == 200
    return r.json()


def _move(client, plan_id, to):
    return client.post(f"/api/v1/capacity-plans/{plan_id}/transitions", json={"to": to}, headers=client.admin)


def test_first_forecast_is_a_draft_and_the_same_inputs_change_nothing(client, db):
    assert _record(client, doc()).created == 1
    assert _record(client, doc()).unchanged == 1
    [plan] = _plans(client)
    assert plan["status"] == "draft" and plan["forecast_status"] == "plan" and plan["model"] == "mstl_ets"
    assert plan["exhaustion_at"] == "2026-12-01T00:00:00Z" and plan["horizon_value"] == 80.0
    assert plan["horizon_upper_95"] == 90.0 and plan["backtest_mase"] == 0.7
    fields = {
        r[0] for r in db.rows(f"SELECT field FROM history WHERE record_kind='capacity_plan' AND record_id={plan['id']}")
    }
    assert {"status", "model", "exhaustion_at", "inputs_hash"} <= fields


def test_approved_and_active_plan_keeps_its_state_when_a_new_forecast_supersedes_its_figures(client, db):
    _record(client, doc())
    [first] = _plans(client)
    assert _move(client, first["id"], "approved").json()["approved_by"] == "admin"
    assert _move(client, first["id"], "active").json()["status"] == "active"
    _record(client, doc(inputs="h2", at="2026-11-28T00:00:00Z", status="urgent", value=120.0))
    [current] = _plans(client, status="current")
    old = client.get(f"/api/v1/capacity-plans/{first['id']}", headers=client.admin).json()
    assert current["status"] == "active" and current["supersedes_id"] == first["id"]
    assert current["forecast_status"] == "urgent" and current["approved_by"] == "admin"
    # the old figures are kept on the superseded record
    assert old["status"] == "superseded" and old["superseded_by_id"] == current["id"]
    assert old["exhaustion_at"] == "2026-12-01T00:00:00Z" and old["summary"]["model"] == "mstl_ets"
    assert len(_plans(client, status="superseded")) == 1


def test_illegal_moves_are_refused_with_the_allowed_ones(client):
    _record(client, doc())
    [plan] = _plans(client)
    r = _move(client, plan["id"], "active")
    assert r.status_code == 409
    assert "cannot go from draft to active" in r.json()["detail"] and "approved, superseded" in r.json()["detail"]
    assert _move(client, 999, "approved").status_code == 404
    assert _plans(client)[0]["status"] == "draft"


def test_database_allows_one_current_plan_per_resource(db):
    from sqlalchemy.orm import Session

    from sms_metrics.register.db import make_engine
    from sms_metrics.register.migrations import upgrade

    engine = make_engine(db.url)
    upgrade(engine)
    row = {
        "service": "s",
        "resource": "r",
        "created_at": NOW,
        "updated_at": NOW,
        "inputs_hash": "x",
        "model": "m",
        "forecast_status": "ok",
        "limit_value": 1.0,
        "direction": "up",
        "lead_time_seconds": 1.0,
        "summary": {},
    }
    with Session(engine) as s, s.begin():
        s.add(CapacityPlan(status="draft", **row))
    with pytest.raises(IntegrityError), Session(engine) as s, s.begin():
        s.add(CapacityPlan(status="active", **row))
    with Session(engine) as s, s.begin():
        s.add(CapacityPlan(status="superseded", **row))
    engine.dispose()


def _samples(text):
    from prometheus_client.parser import text_string_to_metric_families

    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
    }


def test_gauges_on_metrics_follow_the_current_plans(client):
    _record(client, doc(), doc(inputs="z", resource="ram", at=None, status="ok"))
    got = _samples(client.get("/metrics").text)
    disk = (("resource", "disk"), ("service", "checkout"))
    ram = (("resource", "ram"), ("service", "checkout"))
    assert got[("sms_capacity_exhaustion_timestamp_seconds", disk)] == datetime(2026, 12, 1, tzinfo=UTC).timestamp()
    assert got[("sms_capacity_exhaustion_timestamp_seconds", ram)] == float("inf")
    assert (
        got[("sms_capacity_exhaustion_earliest_timestamp_seconds", disk)]
        == datetime(2026, 11, 29, tzinfo=UTC).timestamp()
    )
    assert got[("sms_capacity_forecast_horizon_value", (("band", "upper_95"), *disk))] == 90.0
    assert got[("sms_capacity_forecast_horizon_value", (("band", "value"), *disk))] == 80.0
    assert got[("sms_capacity_forecast_status", (*disk, ("status", "plan")))] == 1.0
    assert got[("sms_capacity_forecast_status", (*disk, ("status", "urgent")))] == 0.0
    assert got[("sms_capacity_lead_time_seconds", disk)] == 604800.0


def test_unknown_status_filter_is_a_clear_422(client):
    r = client.get("/api/v1/capacity-plans", params={"status": "done"}, headers=client.admin)
    assert r.status_code == 422 and "unknown capacity plan status 'done'" in r.json()["detail"]
    assert client.get("/api/v1/capacity-plans").status_code == 401
