"""Section 6 records and the service roles on SQLite and PostgreSQL: the budget variance report (figures
computed by hand), restricted security incidents that no other token ever sees, security controls' review
dates, plans whose owner comes from the catalogue, and the catalogue's services as the register lists them."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from tests.register.delivery_fixtures import create, move, running_api


@pytest.fixture()
def api(db):
    yield from running_api(db)


ITEMS = [  # (service, period, category, currency, planned, actual, final state)
    ("checkout", "2026", "hosting", "EUR", 12000, 12850.5, "approved"),
    ("checkout", "2026-Q1", "licences", "EUR", 3000, 2500, "closed"),
    ("checkout", "2026-03", "licences", "EUR", 1000.25, None, "approved"),
    ("checkout", "2026", "hosting", "USD", 500, 450, "approved"),
    ("desk", "2026", "staff", "EUR", 40000, 41000, "approved"),
    ("desk", "2026", "staff", "EUR", 999, None, "proposed"),  # not agreed: not counted
    ("desk", "2026", "travel", "EUR", 800, 100, "rejected"),  # not counted
    ("checkout", "2025", "hosting", "EUR", 5000, 5000, "approved"),  # another year
]


def _budget(api) -> None:
    for service, period, category, currency, planned, actual, state in ITEMS:
        body = {"service": service, "period": period, "category": category, "currency": currency}
        item = create(api, "budget-items", planned_amount=planned, actual_amount=actual, **body)
        path = {"approved": ["approved"], "closed": ["approved", "closed"], "rejected": ["rejected"]}
        move(api, "budget-items", item["id"], *path.get(state, []))


def _line(service, category, currency, items, planned, actual, variance, pct, without):
    return {
        "service": service,
        "category": category,
        "currency": currency,
        "items": items,
        "planned": planned,
        "actual": actual,
        "variance": variance,
        "variance_percent": pct,
        "planned_without_actual": without,
    }


def test_the_budget_variance_of_a_year_compares_actual_with_planned_amounts(api):
    _budget(api)
    report = api.get("/api/v1/budget-items/variance", params={"period": "2026"}).json()
    strip = lambda rows: [{k: v for k, v in r.items() if k != "items_refs"} for r in rows]  # noqa: E731
    # licences: 2500 booked against the 3000 planned for Q1 (-500, -16.67%); March's 1000.25 not booked yet
    assert strip(report["lines"]) == [
        _line("checkout", "hosting", "EUR", 1, 12000.0, 12850.5, 850.5, 7.09, 0.0),
        _line("checkout", "hosting", "USD", 1, 500.0, 450.0, -50.0, -10.0, 0.0),
        _line("checkout", "licences", "EUR", 2, 4000.25, 2500.0, -500.0, -16.67, 1000.25),
        _line("desk", "staff", "EUR", 1, 40000.0, 41000.0, 1000.0, 2.5, 0.0),
    ]
    assert strip(report["services"]) == [
        _line("checkout", "*", "EUR", 3, 16000.25, 15350.5, 350.5, 2.34, 1000.25),
        _line("checkout", "*", "USD", 1, 500.0, 450.0, -50.0, -10.0, 0.0),
        _line("desk", "*", "EUR", 1, 40000.0, 41000.0, 1000.0, 2.5, 0.0),
    ]
    assert strip(report["totals"]) == [
        _line("*", "*", "EUR", 4, 56000.25, 56350.5, 1350.5, 2.46, 1000.25),
        _line("*", "*", "USD", 1, 500.0, 450.0, -50.0, -10.0, 0.0),
    ]
    one = api.get("/api/v1/budget-items/variance", params={"period": "2026-Q1", "service": "checkout"}).json()
    assert strip(one["totals"]) == [_line("*", "*", "EUR", 2, 4000.25, 2500.0, -500.0, -16.67, 1000.25)]
    text = api.get("/api/v1/budget-items/variance", params={"period": "2026", "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(text.text)))
    assert text.headers["content-type"].startswith("text/csv") and len(rows) == 9
    assert rows[-2] == {
        k: str(v) for k, v in _line("*", "*", "EUR", 4, "56000.25", "56350.50", "1350.50", "2.46", "1000.25").items()
    }
    md = api.get("/api/v1/budget-items/variance", params={"period": "2026", "format": "md"}).text
    assert (
        md.startswith("# Budget variance 2026") and "| desk | staff | EUR | 1 | 40000.00 | 41000.00 | 1000.00 |" in md
    )
    bad = api.get("/api/v1/budget-items/variance", params={"period": "2026-13"})
    assert bad.status_code == 422 and "query.period" in bad.json()["detail"]
    assert (
        api.get("/api/v1/budget-items/variance", params={"period": "2026"}, headers=api.tokens["vera"]).status_code
        == 200
    )


def test_a_closed_budget_item_keeps_its_amounts(api):
    item = create(api, "budget-items", service="checkout", period="2026-10", category="support", planned_amount=10.005)
    assert item["planned_amount"] == 10.01 and item["owner"] == "ops-team"  # cents; the catalogue's manager
    move(api, "budget-items", item["id"], "approved", "closed")
    assert api.patch(f"/api/v1/budget-items/{item['id']}", json={"actual_amount": 5}).status_code == 409
    r = api.post(
        "/api/v1/budget-items", json={"service": "checkout", "period": "26", "category": "x", "planned_amount": 1}
    )
    assert r.status_code == 422 and "invalid period '26'" in r.text


def test_a_service_reports_measured_fields_change_only_by_measuring_again(api):
    figures = {"service": "checkout", "availability_percent": 99.5, "target_percent": 99.9, "met": False}
    rec = create(api, "service-reports", service="checkout", period="2026-10", figures=figures, source="cli")
    history = api.get(f"/api/v1/service-reports/{rec['id']}/history").json()
    for body in (
        {"source": "import"},
        {"figures": {**figures, "met": True}},
        {"period": "2026-09", "description": "x"},
    ):
        r = api.patch(f"/api/v1/service-reports/{rec['id']}", json=body)
        assert r.status_code == 409 and "change only by measuring it again" in r.text, body
        assert all(name in r.json()["detail"] for name in set(body) - {"description"})
    kept = api.get(f"/api/v1/service-reports/{rec['id']}").json()
    assert (kept["source"], kept["period"], kept["met"], kept["description"]) == ("cli", "2026-10", False, None)
    assert api.get(f"/api/v1/service-reports/{rec['id']}/history").json() == history  # nothing partial written
    r = api.patch(f"/api/v1/service-reports/{rec['id']}", json={"description": "checked with the team"})
    assert r.status_code == 200 and r.json()["description"] == "checked with the team"
    assert r.json()["version"] == 1 and r.json()["source"] == "cli"


def test_a_months_report_is_due_until_measured_after_the_month_ended_in_the_services_timezone(api):
    from sms_metrics.jobs.service_reports import ACTOR, due_services
    from sms_metrics.register.kinds.report_saving import save_report

    api.clock.t = datetime(2026, 10, 31, 23, 30, tzinfo=UTC)  # October is over in Berlin (desk), not in UTC
    assert due_services(api.system, "2026-10") == ["checkout", "desk"]
    for service in ("checkout", "desk"):
        create(api, "service-reports", service=service, period="2026-10", figures={"service": service})
    assert due_services(api.system, "2026-10") == ["checkout"]
    api.clock.t = datetime(2026, 11, 1, 2, 15, tzinfo=UTC)
    period = {"start": "2026-10-01T00:00:00Z", "end": "2026-11-01T00:00:00Z", "label": "2026-10"}
    saved = save_report(api.system.records, ACTOR, {"service": "checkout", "period": period}, source="job")
    assert (saved.version, saved.created) == (2, False)
    assert due_services(api.system, "2026-10") == [] and due_services(api.system, "2026-09") == ["checkout", "desk"]


def test_a_security_incident_never_reaches_a_token_without_restricted(api):
    sec = create(
        api, "security-incidents", title="Leaked API key of checkout", services=["checkout"], severity="critical"
    )
    ref, title = sec["ref"], sec["title"]
    create(api, "incidents", title="checkout errors", service="checkout")
    create(api, "budget-items", service="checkout", period="2026", category="x", planned_amount=1)
    mr = create(api, "management-reviews", period="2026-11")
    routes = [
        "/api/v1/security-incidents",
        f"/api/v1/security-incidents?q={ref}",
        "/api/v1/security-incidents?q=Leaked",
        f"/api/v1/security-incidents/{sec['id']}",
        f"/api/v1/security-incidents/{sec['id']}/history",
    ]
    others = [
        "/api/v1/incidents?q=Leaked",
        "/api/v1/services",
        "/api/v1/services/checkout",
        f"/api/v1/management-reviews/{mr['id']}",
        "/api/v1/budget-items/variance?period=2026",
        "/metrics",
    ]
    for who in ("vera", "mia"):
        h = api.tokens[who]
        for url in routes:
            r = api.get(url, headers=h)
            assert r.status_code == 404 and ref not in r.text and title not in r.text, (who, url)
        for url in others:
            r = api.get(url, headers=h)
            assert r.status_code == 200 and ref not in r.text and title not in r.text, (who, url)
        assert "security-incidents" not in api.get("/api/v1/services/checkout", headers=h).json()["open_records"]
        r = api.post(f"/api/v1/security-incidents/{sec['id']}/transitions", json={"to": "triaged"}, headers=h)
        assert r.status_code == 404
    cleared = api.tokens["sam"]
    assert [i["ref"] for i in api.get(f"/api/v1/security-incidents?q={ref}", headers=cleared).json()] == [ref]
    assert api.get("/api/v1/services/checkout", headers=cleared).json()["open_records"]["security-incidents"] == 1
    r = api.post("/api/v1/security-incidents", json={"title": "x"}, headers=cleared)
    assert r.status_code == 403  # a restricted viewer sees them but may not write


def test_a_security_control_is_due_for_review_after_its_interval(api):
    ctl = create(
        api,
        "security-controls",
        reference="A.5.15",
        title="Access control",
        owner="dave",
        last_review="2026-01-31",
        review_interval_days=90,
    )
    assert (ctl["next_review"], ctl["framework"]) == ("2026-05-01", "ISO/IEC 27001:2022")
    r = api.patch(f"/api/v1/security-controls/{ctl['id']}", json={"review_interval_days": 30})
    assert r.json()["next_review"] == "2026-03-02"
    r = api.post(
        "/api/v1/security-controls",
        json={"reference": "A.7.4", "title": "Physical monitoring", "owner": "x", "applicable": False},
    )
    assert r.status_code == 422 and "needs a justification" in r.text
    assert api.get("/api/v1/security-controls", params={"reference": "A.5.15"}).headers["X-Total-Count"] == "1"


def test_plans_take_their_owner_and_target_from_the_catalogue(api):
    plan = create(api, "availability-plans", service="checkout")
    assert (plan["owner"], plan["availability_target"], plan["title"]) == (
        "carol",
        99.9,
        "Availability plan of checkout",
    )
    other = create(api, "continuity-plans", service="desk", rto_minutes=240, rpo_minutes=60, owner="dan")
    assert other["owner"] == "dan"
    approved = move(api, "continuity-plans", other["id"], "approved")
    assert approved["approved_by"] == "admin"


def test_the_services_of_the_catalogue_with_their_roles(api):
    listed = {s["name"]: s for s in api.get("/api/v1/services", headers=api.tokens["vera"]).json()}
    assert {k: listed["checkout"][k] for k in ("owner", "manager", "supplier_contact")} == {
        "owner": "carol",
        "manager": "ops-team",
        "supplier_contact": "acme support <support@acme.example>",
    }
    assert listed["desk"]["owner"] is None and listed["desk"]["availability_target"] == 99.0
    create(api, "documents", title="Checkout runbook", owner="carol", services=["checkout"])
    create(api, "incidents", title="slow", service="checkout")
    one = api.get("/api/v1/services/checkout").json()
    assert (one["open_records"]["documents"], one["open_records"]["incidents"]) == (1, 1)
    assert api.get("/api/v1/services/nope").status_code == 404
    assert api.get("/api/v1/services").status_code == 200
    assert api.get("/api/v1/services", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_serve_runs_the_review_job_and_the_monthly_service_reports(api):
    jobs = {j.id: j for j in api.app.state.jobs.get_jobs()}
    assert jobs["reviews"].trigger.interval.total_seconds() == 3600
    trigger = str(jobs["service-reports"].trigger)
    assert trigger == "cron[hour='2', minute='15']"  # every day: it saves what last month still lacks
