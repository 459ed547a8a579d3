"""Customers, complaints, satisfaction surveys, suppliers and contracts (ISO/IEC 20000-1 section 7) on
SQLite and PostgreSQL: the satisfaction trend (API and CLI), complaint response and resolution times,
contracts' renewal flag kept by the daily job, unique supplier names, months recorded by hand."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from sms_metrics.register.kinds.contracts import refresh_renewals
from tests.integration.conftest import run_cli
from tests.register.clocked import clocked_client
from tests.register.conftest import ADMIN, CATALOGUE, WEBHOOK


@pytest.fixture()
def api(db):
    with clocked_client(db.url, datetime(2026, 11, 5, 9, tzinfo=UTC), CATALOGUE, ADMIN, webhook_token=WEBHOOK) as c:
        c.db = db
        yield c


def _new(api, path, body, status=201):
    r = api.post(f"/api/v1/{path}", json=body)
    assert r.status_code == status, r.text
    return r.json()


def _paths(response) -> set[str]:
    """Where FastAPI's body validation found problems."""
    return {".".join(str(p) for p in e["loc"]) for e in response.json()["detail"]}


def _survey(api, period, score, respondents, close=True, service="checkout"):
    s = _new(
        api, "satisfaction-surveys", {"service": service, "period": period, "score": score, "respondents": respondents}
    )
    if close:
        assert api.post(f"/api/v1/satisfaction-surveys/{s['id']}/transitions", json={"to": "closed"}).status_code == 200
    return s


def test_the_satisfaction_trend_gives_the_score_per_period_and_its_change(api):
    _survey(api, "2026-08", 4.0, 10)
    _survey(api, "2026-09", 3.5, 20)
    _survey(api, "2026-09", 4.5, 20)
    _survey(api, "2026-10", 4.4, 10)
    _survey(api, "2026-10", 1.0, 500, close=False)  # still collecting: not counted
    cancelled = _survey(api, "2026-10", 1.0, 500, close=False)
    api.post(f"/api/v1/satisfaction-surveys/{cancelled['id']}/transitions", json={"to": "cancelled"})
    _survey(api, "2026-Q3", 3.9, 50)
    _survey(api, "2026-10", 2.0, 10, service="desk")  # another service
    r = api.get("/api/v1/satisfaction-surveys/trend", params={"service": "checkout"})
    assert r.status_code == 200, r.text
    rows = [
        (p["period"], p["surveys"], p["respondents"], p["score"], p["previous_period"], p["change"], p["direction"])
        for p in r.json()["periods"]
    ]
    assert rows == [
        ("2026-Q3", 1, 50, 3.9, None, None, None),
        ("2026-08", 1, 10, 4.0, None, None, None),
        ("2026-09", 2, 40, 4.0, "2026-08", 0.0, "same"),
        ("2026-10", 1, 10, 4.4, "2026-09", 0.4, "up"),
    ]
    assert api.get("/api/v1/satisfaction-surveys/trend").status_code == 422  # the service is required
    listed = api.get("/api/v1/satisfaction-surveys", params={"service": "checkout", "period": "2026-09"}).json()
    assert [s["title"] for s in listed] == ["checkout satisfaction 2026-09"] * 2
    bad = api.post(
        "/api/v1/satisfaction-surveys", json={"service": "checkout", "period": "2026-13", "score": 6, "respondents": 0}
    )
    assert bad.status_code == 422 and _paths(bad) == {"body.period", "body.score", "body.respondents"}
    done = run_cli("satisfaction-surveys", "trend", "--service", "checkout", env={"SMS_DATABASE_URL": api.db.url})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1].split() == ["2026-10", "1", "10", "4.40", "+0.40"]
    assert lines[-2].split() == ["2026-09", "2", "40", "4.00", "+0.00"]
    as_json = run_cli(
        "satisfaction-surveys", "trend", "-s", "checkout", "-f", "json", env={"SMS_DATABASE_URL": api.db.url}
    )
    assert json.loads(as_json.stdout)["periods"] == r.json()["periods"]


def test_a_complaint_keeps_its_response_and_resolution_times(api):
    customer = _new(api, "customers", {"name": "Acme Retail", "services": ["checkout"], "account_manager": "carol"})
    body = {
        "title": "down during our sale",
        "service": "checkout",
        "customer_id": customer["id"],
        "received_at": "2026-11-05T08:00:00Z",
    }
    c = _new(api, "complaints", body)
    assert c["status"] == "received" and c["response_seconds"] is None
    r = api.post(f"/api/v1/complaints/{c['id']}/transitions", json={"to": "responded"})
    assert r.status_code == 422 and "body.response" in r.json()["detail"]
    api.post(f"/api/v1/complaints/{c['id']}/transitions", json={"to": "responded", "response": "looking into it"})
    api.clock.t = datetime(2026, 11, 6, 8, tzinfo=UTC)
    done = api.post(
        f"/api/v1/complaints/{c['id']}/transitions", json={"to": "resolved", "resolution": "credit applied"}
    ).json()
    assert (done["response_seconds"], done["resolution_seconds"]) == (3600.0, 86400.0)
    assert (done["response"], done["resolution"]) == ("looking into it", "credit applied")
    assert [x["id"] for x in api.get("/api/v1/complaints", params={"customer": customer["id"]}).json()] == [c["id"]]
    bad = api.post("/api/v1/complaints", json={**body, "customer_id": 999, "service": "nope"})
    assert bad.status_code == 422 and bad.json()["problems"] == ["body.customer_id: customer 999 does not exist"]
    bad = api.post("/api/v1/complaints", json={**body, "service": "nope"})
    assert bad.status_code == 422 and "body.service: unknown service 'nope'" in bad.json()["detail"]
    bad = api.post("/api/v1/complaints", json={**body, "received_at": "2026-12-01T00:00:00Z"})
    assert bad.status_code == 422 and "future" in bad.json()["detail"]


def test_a_contracts_renewal_is_flagged_from_the_warning_until_the_notice_deadline(api):
    con = _new(
        api,
        "contracts",
        {
            "title": "CDN",
            "supplier": "acme-cdn",
            "term_start": "2026-01-01",
            "term_end": "2026-12-31",
            "notice_period_days": 30,
            "renewal_warning_days": 14,
            "availability_target": 99.9,
        },
    )
    assert (con["renewal"], con["notice_deadline"]) == ("none", "2026-12-02")  # a draft is not renewed
    active = api.post(f"/api/v1/contracts/{con['id']}/transitions", json={"to": "active"}).json()
    assert (active["renewal"], active["renewal_due"]) == ("ok", False)  # Nov 5: the warning starts Nov 18
    api.clock.t = datetime(2026, 11, 18, 4, tzinfo=UTC)
    assert refresh_renewals(api.system) == [(con["ref"], "ok", "due")]
    assert refresh_renewals(api.system) == []
    due = api.get("/api/v1/contracts", params={"renewal": "due"}).json()
    assert [(c["id"], c["renewal_due"]) for c in due] == [(con["id"], True)]
    history = [h for h in api.get(f"/api/v1/contracts/{con['id']}/history").json() if h["field"] == "renewal"]
    assert (history[-1]["old"], history[-1]["new"], history[-1]["actor"], history[-1]["reason"]) == (
        "ok",
        "due",
        "sms-metrics",
        "renewal due: notice deadline 2026-12-02",
    )
    api.clock.t = datetime(2026, 12, 3, tzinfo=UTC)
    renewed = api.patch(
        f"/api/v1/contracts/{con['id']}", json={"term_end": "2027-12-31"}, params={"reason": "renewed"}
    ).json()
    assert (renewed["renewal"], renewed["notice_deadline"]) == ("ok", "2027-12-02")
    bad = api.post(
        "/api/v1/contracts",
        json={"title": "x", "supplier": "Acme CDN", "term_start": "2026-01-01", "timezone": "Mars/Olympus"},
    )
    assert bad.status_code == 422 and _paths(bad) == {"body.supplier", "body.timezone"}


def test_supplier_names_are_unique_and_months_can_be_recorded_by_hand(api):
    _new(api, "suppliers", {"name": "acme-cdn"})
    r = api.post("/api/v1/suppliers", json={"name": "acme-cdn"})
    assert r.status_code == 409 and "exists already" in r.json()["detail"]
    assert api.patch("/api/v1/suppliers/1", json={"name": "other"}).status_code == 422  # the probes' label stays
    con = _new(
        api,
        "contracts",
        {"title": "CDN", "supplier": "acme-cdn", "term_start": "2026-01-01", "availability_target": 99.9},
    )
    api.post(f"/api/v1/contracts/{con['id']}/transitions", json={"to": "active"})
    month = _new(
        api, "supplier-performance", {"supplier": "acme-cdn", "period": "2026-10", "availability_percent": 99.8}
    )
    assert (month["target_percent"], month["result"], month["contract_id"], month["source"]) == (
        99.9,
        "breached",
        con["id"],
        "manual",
    )
    assert month["period_start"] == "2026-10-01T00:00:00Z"
    again = api.post("/api/v1/supplier-performance", json={"supplier": "acme-cdn", "period": "2026-10"})
    assert again.status_code == 409 and month["ref"] in again.json()["detail"]
    fixed = api.patch(f"/api/v1/supplier-performance/{month['id']}", json={"availability_percent": 99.95}).json()
    assert fixed["result"] == "met"


class ReportBase(DeclarativeBase):
    pass


class StoredReport(ReportBase):
    """The shape of a stored service report the review reads: service, period, state and figures."""

    __tablename__ = "stored_reports_under_test"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    service: Mapped[str] = mapped_column(String(200))
    period: Mapped[str] = mapped_column(String(30))
    figures: Mapped[dict] = mapped_column(JSON)


def test_a_review_takes_the_sla_slo_from_the_periods_stored_service_report(db):
    """When the register keeps service reports (kind ``service_report``: service, period, figures), the
    review's SLA SLO comes from the period's report, not from Prometheus."""
    start = datetime(2026, 11, 12, tzinfo=UTC)
    with clocked_client(
        db.url, start, CATALOGUE, ADMIN, prometheus_url="http://127.0.0.1:9", prometheus_retries=0
    ) as api:
        ReportBase.metadata.create_all(api.system.engine)
        figures = {"slo": "availability", "target_percent": 99.9, "availability_percent": 99.95, "met": True}
        figures |= {"downtime_seconds": 1320.0, "data_coverage_percent": 100.0, "outages": [{}, {}]}
        with api.system.sessions.begin() as s:
            s.add(StoredReport(id=7, status="withdrawn", service="checkout", period="2026-10", figures={"slo": "x"}))
            s.add(StoredReport(id=8, status="issued", service="checkout", period="2026-10", figures=figures))
        api.system.records.kinds["service_report"] = SimpleNamespace(model=StoredReport, ref=lambda i: f"SR-{i:06d}")
        try:
            review = _new(api, "service-reviews", {"services": ["checkout"], "period": "2026-10"})
        finally:
            del api.system.records.kinds["service_report"]
        availability = review["figures"]["services"][0]["availability"]
        assert availability["slos"] == [
            {
                "slo": "availability",
                "objective_percent": 99.9,
                "availability_percent": 99.95,
                "met": True,
                "downtime_seconds": 1320.0,
                "data_coverage_percent": 100.0,
                "outages": 2,
                "source": "SR-000008",
            }
        ]
        assert availability["sla"] == {
            "slo": "availability",
            "target_percent": 99.9,
            "availability_percent": 99.95,
            "met": True,
        }
        # without a stored report, Prometheus: unreachable here, so the review says so and is still created
        other = _new(api, "service-reviews", {"services": ["checkout"], "period": "2026-09"})
        warnings = other["figures"]["services"][0]["availability"]["warnings"]
        assert other["figures"]["services"][0]["availability"]["slos"] == []
        assert len(warnings) == 1 and warnings[0].startswith("availability: not measured: cannot reach Prometheus")
