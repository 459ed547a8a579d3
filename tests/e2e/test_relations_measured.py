"""Relationship records kept true by measurements, against a real Prometheus over backfilled history:
supplier performance (probes labelled with two suppliers, several probes each, known outages and gaps)
equals the truth computed minute by minute here, and the breaching supplier is listed with its outages;
a service review is created with the figures the API and the availability report give for its period."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from prometheus_client import CollectorRegistry

from sms_metrics.app import AppState, ServiceMetrics
from sms_metrics.jobs.relations import run_supplier_performance
from sms_metrics.localstack.openmetrics import write_eof, write_family
from sms_metrics.localstack.prometheus import LocalPrometheus, backfill
from tests.integration.conftest import run_cli
from tests.register.clocked import clocked_client

pytestmark = pytest.mark.integration
ADMIN = "relations-admin"
H0, H1 = datetime(2026, 9, 29, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC)
MINUTES = int((H1 - H0).total_seconds() // 60)
BERLIN = ZoneInfo("Europe/Berlin")
CATALOGUE = """
apiVersion: sms-metrics/v1
services:
  - name: checkout
    criticality: high
    sla:
      availability_target: 99.9
      response_minutes:   {P1: 15,  P2: 60,  P3: 240,  P4: 1440}
      resolution_minutes: {P1: 240, P2: 480, P3: 2880, P4: 10080}
    slos:
      - {name: availability, objective: 99.9, window: 30d, sli: {probe: 'probe_success{service="checkout"}'}}
      - {name: latency, objective: 99, window: 30d, sli: {threshold: {query: 'probe_duration_seconds{service="checkout"}', max: 0.5}}}
"""


def utc(*a) -> datetime:
    return datetime(*a, tzinfo=UTC)


def berlin(*a) -> datetime:
    return datetime(*a, tzinfo=BERLIN).astimezone(UTC)


def minute(t: datetime) -> int:
    return int((t - H0).total_seconds() // 60)


def series(value=1.0, changes=(), gaps=()) -> np.ndarray:
    """One value per minute from H0; ``changes`` (start, end, value) and ``gaps`` (start, end) as datetimes."""
    v = np.full(MINUTES, float(value))
    for a, b, x in changes:
        v[minute(a) : minute(b)] = x
    for a, b in gaps:
        v[minute(a) : minute(b)] = np.nan
    return v


# acme-cdn: target 99.9, 24x7; two overlapping outages (10:00-10:50 together), one short, one probe's gap
ACME = {
    "a1": series(
        changes=[(utc(2026, 10, 5, 10), utc(2026, 10, 5, 10, 30), 0)],
        gaps=[(utc(2026, 10, 12), utc(2026, 10, 12, 0, 10))],
    ),
    "a2": series(changes=[(utc(2026, 10, 5, 10, 20), utc(2026, 10, 5, 10, 50), 0)]),
    "a3": series(changes=[(utc(2026, 10, 20, 3), utc(2026, 10, 20, 3, 7), 0)]),
}
# blue-dns: target 99.5 on weekdays 08:00-18:00 Berlin; an hour down on a Wednesday, two down on a Saturday
BLUE = {
    "b1": series(
        changes=[(berlin(2026, 10, 7, 9), berlin(2026, 10, 7, 10), 0)], gaps=[(utc(2026, 10, 14), utc(2026, 10, 15))]
    ),
    "b2": series(changes=[(berlin(2026, 10, 10, 12), berlin(2026, 10, 10, 14), 0)]),
}
CHECKOUT = series(changes=[(utc(2026, 10, 9, 14), utc(2026, 10, 9, 14, 45), 0)])
LATENCY = series(0.2, changes=[(utc(2026, 10, 15, 2), utc(2026, 10, 15, 4), 0.9)])


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    work = tmp_path_factory.mktemp("relations")
    ts = H0.timestamp() + 60 * np.arange(MINUTES) + 7  # one sample 7 s into each minute
    probes = [({"supplier": "acme-cdn", "probe": p, "service": "shop-cdn"}, ts, v) for p, v in ACME.items()]
    probes += [({"supplier": "blue-dns", "probe": p, "service": "dns"}, ts, v) for p, v in BLUE.items()]
    probes += [({"service": "checkout", "probe": "home", "supplier": ""}, ts, CHECKOUT)]
    with open(work / "h.om", "w") as out:
        write_family(out, "probe_success", "gauge", probes)
        write_family(out, "probe_duration_seconds", "gauge", [({"service": "checkout", "probe": "home"}, ts, LATENCY)])
        write_eof(out)
    backfill(work / "h.om", work / "tsdb")
    with LocalPrometheus(work) as prom:
        yield prom


def truth(probes: dict[str, np.ndarray], start: datetime, end: datetime, excluded) -> dict:
    """Minute by minute: down when a present probe fails, up when every present one passes, unknown
    when none reports; excluded minutes (outside the contract's hours) are not counted."""
    up = down = unknown = excl = 0
    outages, run = [], None
    t = start
    while t < end:
        values = [v[minute(t)] for v in probes.values() if not np.isnan(v[minute(t)])]
        state = "excluded" if excluded(t) else "unknown" if not values else "down" if min(values) < 1 else "up"
        up, down, unknown, excl = (
            up + (state == "up"),
            down + (state == "down"),
            unknown + (state == "unknown"),
            excl + (state == "excluded"),
        )
        if state == "down" and run is None:
            run = t
        if state != "down" and run is not None:
            outages.append((run, t))
            run = None
        t += timedelta(minutes=1)
    if run is not None:
        outages.append((run, end))
    return {
        "availability": 100 * up / (up + down),
        "downtime": 60.0 * down,
        "unknown": 60.0 * unknown,
        "excluded": 60.0 * excl,
        "outages": [(a.strftime("%Y-%m-%dT%H:%M:%SZ"), b.strftime("%Y-%m-%dT%H:%M:%SZ")) for a, b in outages],
    }


@pytest.fixture()
def api(prometheus, tmp_path):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    with clocked_client(
        url, utc(2026, 11, 3), CATALOGUE, ADMIN, prometheus_url=prometheus.url, prometheus_retries=0
    ) as c:
        c.env = {"SMS_DATABASE_URL": url, "SMS_PROMETHEUS_URL": prometheus.url}
        yield c


def _post(api, path, body, status=201):
    r = api.post(path, json=body)
    assert r.status_code == status, r.text
    return r.json()


def _suppliers(api):
    for name in ("acme-cdn", "blue-dns", "gray-pay"):
        _post(api, "/api/v1/suppliers", {"name": name, "supplies": "test"})
    acme = _post(
        api,
        "/api/v1/contracts",
        {"title": "CDN", "supplier": "acme-cdn", "availability_target": 99.9, "term_start": "2026-01-01"},
    )
    blue = _post(
        api,
        "/api/v1/contracts",
        {
            "title": "DNS",
            "supplier": "blue-dns",
            "availability_target": 99.5,
            "service_hours": "Mon-Fri 08:00-18:00",
            "timezone": "Europe/Berlin",
            "term_start": "2026-01-01",
        },
    )
    for c in (acme, blue):
        _post(api, f"/api/v1/contracts/{c['id']}/transitions", {"to": "active"}, 200)
    return acme


def test_supplier_performance_equals_the_minute_by_minute_truth_and_lists_the_breach(api):
    acme_contract = _suppliers(api)
    done = run_cli("supplier-performance", "measure", "--period", "2026-10", "--format", "json", env=api.env)
    assert done.returncode == 0, done.stderr
    outcomes = {o["supplier"]: o for o in json.loads(done.stdout)["suppliers"]}
    assert outcomes["gray-pay"]["action"] == "no_data"  # no probe: reported, not written
    assert {s: o["action"] for s, o in outcomes.items()} == {
        "acme-cdn": "created",
        "blue-dns": "created",
        "gray-pay": "no_data",
    }

    records = {r["supplier"]: r for r in api.get("/api/v1/supplier-performance", params={"period": "2026-10"}).json()}
    assert set(records) == {"acme-cdn", "blue-dns"}
    expected = {
        "acme-cdn": truth(ACME, utc(2026, 10, 1), utc(2026, 11, 1), lambda t: False),
        "blue-dns": truth(
            BLUE,
            berlin(2026, 10, 1),
            berlin(2026, 11, 1),
            lambda t: t.astimezone(BERLIN).weekday() >= 5 or not 8 <= t.astimezone(BERLIN).hour < 18,
        ),
    }
    assert expected["acme-cdn"]["downtime"] == 57 * 60.0 and expected["blue-dns"]["downtime"] == 60 * 60.0
    for name, want in expected.items():
        rec = records[name]
        assert rec["availability_percent"] == pytest.approx(want["availability"], abs=1e-6), name
        assert (rec["downtime_seconds"], rec["unknown_seconds"], rec["excluded_seconds"]) == (
            want["downtime"],
            want["unknown"],
            want["excluded"],
        ), name
        assert [(o["start"], o["end"]) for o in rec["outages"]] == want["outages"], name
        assert rec["outage_count"] == len(want["outages"]) and rec["source"] == "probes"
    assert records["acme-cdn"]["result"] == "breached" and records["acme-cdn"]["target_percent"] == 99.9
    assert records["acme-cdn"]["outages"][0] == {
        "start": "2026-10-05T10:00:00Z",
        "end": "2026-10-05T10:50:00Z",
        "duration_seconds": 3000.0,
    }
    assert records["blue-dns"]["result"] == "met" and records["blue-dns"]["period_start"] == "2026-09-30T22:00:00Z"
    breached = api.get("/api/v1/supplier-performance", params={"period": "2026-10", "result": "breached"}).json()
    assert [r["supplier"] for r in breached] == ["acme-cdn"]
    table = run_cli("supplier-performance", "measure", "--period", "2026-10", env=api.env)
    assert "2026-10: 1 supplier(s) breached their target: acme-cdn" in table.stdout

    # a re-run replaces the figures, each change in the history, and sends a reviewed month back to measured
    acme = records["acme-cdn"]
    _post(api, f"/api/v1/supplier-performance/{acme['id']}/transitions", {"to": "reviewed"}, 200)
    r = api.patch(f"/api/v1/contracts/{acme_contract['id']}", json={"availability_target": 99.8})
    assert r.status_code == 200
    again = _post(api, "/api/v1/supplier-performance/measure", {"period": "2026-10"}, 200)
    assert {o["supplier"]: o["action"] for o in again["suppliers"]} == {
        "acme-cdn": "updated",
        "blue-dns": "unchanged",
        "gray-pay": "no_data",
    }
    now = api.get(f"/api/v1/supplier-performance/{acme['id']}").json()
    assert (now["result"], now["target_percent"], now["status"]) == ("met", 99.8, "measured")
    assert now["availability_percent"] == acme["availability_percent"]
    rows = {
        h["field"]: h
        for h in api.get(f"/api/v1/supplier-performance/{acme['id']}/history").json()
        if h["reason"] == "re-measured: figures changed"
    }
    assert {f: (h["old"], h["new"]) for f, h in rows.items()} == {
        "target_percent": ("99.9", "99.8"),
        "result": ("breached", "met"),
        "status": ("reviewed", "measured"),
        "measured_at": (acme["measured_at"].replace("+00:00", "Z"), "2026-11-03T00:00:00Z"),
    }
    # figures measured from probes do not change by hand
    r = api.patch(f"/api/v1/supplier-performance/{acme['id']}", json={"availability_percent": 100})
    assert r.status_code == 409 and "measuring again" in r.json()["detail"]

    # the monthly job measures the previous month: nothing changed since
    api.clock.t = utc(2026, 11, 2, 12)
    state = AppState(api.system, ServiceMetrics(CollectorRegistry()), None)
    assert run_supplier_performance(state) == 0


# -- service reviews ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def postgres():
    from sms_metrics.localstack.postgres import LocalPostgres

    with LocalPostgres() as pg:
        yield pg


@pytest.fixture(params=["sqlite", "postgresql"])
def review_api(request, prometheus, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'r.db'}"
    else:
        url = request.getfixturevalue("postgres").create_database(f"rev{uuid.uuid4().hex[:12]}")
    with clocked_client(
        url, utc(2026, 9, 30, 12), CATALOGUE, ADMIN, prometheus_url=prometheus.url, prometheus_retries=0
    ) as c:
        c.env = {"SMS_DATABASE_URL": url, "SMS_PROMETHEUS_URL": prometheus.url}
        c.catalogue_path = tmp_path / "sms.yaml"
        c.catalogue_path.write_text(CATALOGUE)
        yield c


def _at(api, t, path, body, **kw):
    api.clock.t = t
    return _post(api, path, body, **kw)


def _october_records(api):
    """Incidents, changes, complaints, requests and surveys of checkout around October 2026."""
    from sms_metrics.register.db import transaction
    from sms_metrics.register.incidents.sla import check_sla_clocks

    inc = lambda t, urgency: _at(api, t, "/api/v1/incidents", {"title": "x", "service": "checkout", "urgency": urgency})  # noqa: E731
    inc(utc(2026, 9, 30, 23, 50), 1)  # September
    first = inc(utc(2026, 10, 3, 9), 1)  # P1
    inc(utc(2026, 10, 10, 9), 3)  # P2
    inc(utc(2026, 10, 20, 9), 4)  # P4
    _post(api, f"/api/v1/incidents/{first['id']}/transitions", {"to": "acknowledged"}, 200)
    with transaction(api.system.sessions) as s:  # the SLA clock job at Oct 3 13:01, then at Oct 25 09:16
        check_sla_clocks(s, now=utc(2026, 10, 3, 13, 1))
    late = inc(utc(2026, 10, 25, 9), 1)
    with transaction(api.system.sessions) as s:
        check_sla_clocks(s, now=utc(2026, 10, 25, 9, 16))
    assert late["priority"] == "P1"
    inc(utc(2026, 11, 1, 0, 0), 1)  # November
    ch = lambda t, **kw: _at(api, t, "/api/v1/changes", {"title": "c", "services": ["checkout"], **kw})  # noqa: E731
    ch(utc(2026, 9, 20), planned_start="2026-10-04T01:00:00Z", planned_end="2026-10-04T02:00:00Z")
    done = ch(
        utc(2026, 9, 21), type="standard", planned_start="2026-10-06T01:00:00Z", planned_end="2026-10-06T02:00:00Z"
    )
    _post(api, f"/api/v1/changes/{done['id']}/transitions", {"to": "in_progress"}, 200)
    ch(utc(2026, 10, 7), type="emergency")  # no planned start: counted by its creation
    ch(utc(2026, 10, 8), planned_start="2026-11-04T01:00:00Z", planned_end="2026-11-04T02:00:00Z")  # November
    for t, sev in ((utc(2026, 9, 30, 20), "low"), (utc(2026, 10, 9, 16), "high"), (utc(2026, 10, 11, 8), "low")):
        _at(api, t, "/api/v1/complaints", {"title": "k", "service": "checkout", "severity": sev})
    _at(
        api,
        utc(2026, 10, 12, 9),
        "/api/v1/service-requests",
        {"title": "r", "request_type": "password-reset", "service": "checkout", "requester": "a"},
    )
    for period, score, n, close in (
        ("2026-10", 4.0, 30, True),
        ("2026-10", 3.0, 10, True),
        ("2026-10", 1.0, 99, False),
        ("2026-09", 2.0, 5, True),
    ):
        s = _at(
            api,
            utc(2026, 11, 2),
            "/api/v1/satisfaction-surveys",
            {"service": "checkout", "period": period, "score": score, "respondents": n},
        )
        if close:
            _post(api, f"/api/v1/satisfaction-surveys/{s['id']}/transitions", {"to": "closed"}, 200)


def _in_october(text: str | None) -> bool:
    return text is not None and "2026-10-01T00:00:00Z" <= text.replace("+00:00", "Z") < "2026-11-01T00:00:00Z"


def _listed(api, path, **params) -> list[dict]:
    return api.get(f"/api/v1/{path}", params={"service": "checkout", "limit": 1000, **params}).json()


def test_a_service_review_starts_with_the_figures_the_api_and_the_report_give(review_api):
    api = review_api
    _october_records(api)
    api.clock.t = utc(2026, 11, 12, 9)
    review = _post(api, "/api/v1/service-reviews", {"services": ["checkout"], "period": "2026-10", "owner": "carol"})
    assert review["title"] == "Service review checkout 2026-10" and review["figures_at"] == "2026-11-12T09:00:00Z"
    [fig] = review["figures"]["services"]
    assert fig["period"] == {"start": "2026-10-01T00:00:00Z", "end": "2026-11-01T00:00:00Z"}

    incidents = [i for i in _listed(api, "incidents") if _in_october(i["opened_at"])]
    assert fig["incidents"] == {
        "total": len(incidents),
        "by_priority": {p: sum(i["priority"] == p for i in incidents) for p in ("P1", "P2", "P3", "P4")},
        "response_breaches": sum(i["response_breached_at"] is not None for i in incidents),
        "resolution_breaches": sum(i["resolution_breached_at"] is not None for i in incidents),
        "breached": sum(
            i["response_breached_at"] is not None or i["resolution_breached_at"] is not None for i in incidents
        ),
    }
    # breaches the clock job marked: responses of Oct 10, 20 and 25, resolutions of Oct 3 and 10
    assert (
        fig["incidents"]["total"],
        fig["incidents"]["response_breaches"],
        fig["incidents"]["resolution_breaches"],
    ) == (4, 3, 2)
    changes = [c for c in _listed(api, "changes") if _in_october(c["planned_start"] or c["created_at"])]
    assert fig["changes"]["total"] == len(changes) == 3
    assert fig["changes"]["by_type"] == {
        t: sum(c["type"] == t for c in changes) for t in sorted({c["type"] for c in changes})
    }
    assert fig["changes"]["by_status"] == {
        s: sum(c["status"] == s for c in changes) for s in sorted({c["status"] for c in changes})
    }
    complaints = [c for c in _listed(api, "complaints") if _in_october(c["received_at"])]
    assert fig["complaints"] == {"total": 2, "open": 2, "by_severity": {"high": 1, "low": 1}} and len(complaints) == 2
    requests = [r for r in _listed(api, "service-requests") if _in_october(r["created_at"])]
    assert fig["requests"] == {"total": len(requests), "fulfilled": 0, "breached": 0, "by_type": {"password-reset": 1}}
    surveys = _listed(api, "satisfaction-surveys", period="2026-10", status="closed")
    n = sum(s["respondents"] for s in surveys)
    assert fig["satisfaction"] == {
        "surveys": 2,
        "respondents": n,
        "score": round(sum(s["score"] * s["respondents"] for s in surveys) / n, 3),
    }

    report = run_cli(
        "report",
        "availability",
        "--catalogue",
        str(api.catalogue_path),
        "--service",
        "checkout",
        "--period",
        "2026-10",
        env=api.env,
    )
    assert report.returncode == 0, report.stderr
    sla = json.loads(report.stdout)
    slos = {s["slo"]: s for s in fig["availability"]["slos"]}
    assert (
        slos["availability"]["availability_percent"] == sla["availability_percent"] == round(100 * (1 - 45 / 44640), 6)
    )
    assert slos["availability"]["downtime_seconds"] == sla["downtime_seconds"] == 45 * 60
    assert slos["latency"]["availability_percent"] == round(100 * (1 - 120 / 44640), 6)
    assert (slos["latency"]["met"], slos["latency"]["objective_percent"], slos["latency"]["source"]) == (
        True,
        99,
        "prometheus",
    )
    assert fig["availability"]["sla"] == {
        "slo": "availability",
        "target_percent": 99.9,
        "availability_percent": sla["availability_percent"],
        "met": False,
    }

    # figures are read again on demand, the old ones kept in the history
    _at(
        api,
        utc(2026, 11, 12, 10),
        "/api/v1/complaints",
        {"title": "late", "service": "checkout", "received_at": "2026-10-30T10:00:00Z"},
    )
    again = _post(api, f"/api/v1/service-reviews/{review['id']}/refresh", {}, 200)
    assert again["figures"]["services"][0]["complaints"]["total"] == 3
    rows = [h for h in api.get(f"/api/v1/service-reviews/{review['id']}/history").json() if h["field"] == "figures"]
    assert rows[-1]["reason"] == "figures read again" and '"total": 2' in rows[-1]["old"]
    for to in ("held", "closed"):
        _post(api, f"/api/v1/service-reviews/{review['id']}/transitions", {"to": to}, 200)
    r = api.post(f"/api/v1/service-reviews/{review['id']}/refresh")
    assert r.status_code == 409 and "closed" in r.json()["detail"]
