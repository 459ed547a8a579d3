"""Delivery records measured from a real Prometheus over backfilled probe history: continuity tests get
their downtime and recovery time from the probes (hand-computed here), and availability reports saved
with ``report availability --save`` (and by the monthly job) stay one record per service and period, each
new measurement a version in the history. The register's clock is set after the test windows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from sms_metrics.app import create_app
from sms_metrics.bootstrap import build
from sms_metrics.catalogue import parse_catalogue
from sms_metrics.config import Settings
from sms_metrics.core.periods import previous_month
from sms_metrics.jobs.service_reports import run_monthly_reports
from sms_metrics.localstack.openmetrics import write_eof, write_family
from sms_metrics.localstack.prometheus import LocalPrometheus, backfill
from tests.integration.conftest import run_cli
from tests.register.delivery_fixtures import Clock

pytestmark = pytest.mark.integration
ADMIN = "delivery-admin"
T0 = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=2)
MIN = timedelta(minutes=1)
CATALOGUE = """
apiVersion: sms-metrics/v1
services:
  - name: checkout
    criticality: high
    owner: carol
    sla: {availability_target: 99.9}
    slos:
      - {name: availability, objective: 99.9, window: 30d, sli: {probe: 'probe_success{service="checkout"}'}}
  - name: search
    criticality: medium
    sla: {availability_target: 99.5}
    slos:
      - {name: availability, objective: 99.5, window: 30d, sli: {probe: 'probe_success{service="search"}'}}
"""


def _probe(start, end, down: list[tuple[int, int]], gaps: list[tuple[int, int]]):
    """One sample a minute; value 0 in ``down`` and no sample in ``gaps`` (minutes after T0 + 1h)."""
    ts = np.arange(start.timestamp(), end.timestamp(), 60.0)
    vs = np.ones(len(ts))
    base = (T0 + timedelta(hours=1)).timestamp()
    for values, spans in ((0.0, down), (np.nan, gaps)):
        for a, b in spans:
            vs[(ts >= base + a * 60) & (ts < base + b * 60)] = values
    return ts, vs


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    """checkout: the home probe fails 20-35 and 40-45 min after T0+1h, the api probe 44-50; neither
    answers 36-38 (no samples). A step is up only when both probes are (the SLI's default ``min``)."""
    work = tmp_path_factory.mktemp("delivery")
    a, b = T0 - timedelta(hours=26), T0 + timedelta(hours=26)
    with open(work / "h.om", "w") as out:
        write_family(
            out,
            "probe_success",
            "gauge",
            [
                ({"service": "checkout", "probe": "home"}, *_probe(a, b, [(20, 35), (40, 45)], [(36, 38)])),
                ({"service": "checkout", "probe": "api"}, *_probe(a, b, [(44, 50)], [(36, 38)])),
            ],
        )
        write_eof(out)
    backfill(work / "h.om", work / "tsdb")
    with LocalPrometheus(work) as prom:
        yield prom


@pytest.fixture()
def api(prometheus, tmp_path):
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'r.db'}",
        prometheus_url=prometheus.url,
        admin_token=ADMIN,
        prometheus_retries=0,
    )
    clock = Clock(T0 + timedelta(hours=4))
    system = build(settings, catalogue=parse_catalogue(CATALOGUE), now=clock)
    with TestClient(create_app(settings, system=system)) as c:
        c.headers["Authorization"] = f"Bearer {ADMIN}"
        c.system, c.clock = system, clock
        yield c
    system.close()


def _at(minutes: float) -> str:
    return (T0 + timedelta(hours=1) + minutes * MIN).isoformat().replace("+00:00", "Z")


def _plan(api, rto: int) -> int:
    plan = api.post("/api/v1/continuity-plans", json={"service": "checkout", "rto_minutes": rto, "rpo_minutes": 5})
    for to in ("approved", "active"):
        assert api.post(f"/api/v1/continuity-plans/{plan.json()['id']}/transitions", json={"to": to}).status_code == 200
    return plan.json()["id"]


def _test(api, start: float, end: float, **kw) -> int:
    body = {"service": "checkout", "window_start": _at(start), "window_end": _at(end), **kw}
    r = api.post("/api/v1/continuity-tests", json=body)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_a_continuity_test_gets_its_downtime_and_recovery_time_from_the_probes(api):
    strict, lenient = _plan(api, rto=20), _plan(api, rto=45)
    assert api.get(f"/api/v1/continuity-plans/{strict}").json()["owner"] == "carol"  # the catalogue's owner
    # window T0+1h .. T0+3h: down 20-35 (15 min), unknown 36-38, down 40-50 (home 40-45, api 44-50: 10 min)
    # downtime 25 min; recovery from the first failure (20) to the first up step after the last (50): 30 min
    failed = _test(api, 0, 120, plan_id=strict, scenario="database failover")
    met = _test(api, 0, 120, plan_id=lenient)
    rec = api.post(f"/api/v1/continuity-tests/{failed}/measure").json()
    assert (rec["status"], rec["downtime_seconds"], rec["unknown_seconds"]) == ("completed", 1500.0, 120.0)
    assert (rec["first_failure_at"], rec["recovered_at"], rec["recovery_seconds"]) == (_at(20), _at(50), 1800.0)
    assert (rec["rto_minutes"], rec["rto_met"]) == (20, False)
    assert [(o["start"], o["end"]) for o in rec["measurement"]["outages"]] == [(_at(20), _at(35)), (_at(40), _at(50))]
    other = api.post(f"/api/v1/continuity-tests/{met}/measure").json()
    assert (other["recovery_seconds"], other["rto_minutes"], other["rto_met"]) == (1800.0, 45, True)
    history = api.get(f"/api/v1/continuity-tests/{failed}/history").json()
    assert ("recovery_seconds", None, "1800.0") in [(h["field"], h["old"], h["new"]) for h in history]
    assert [h["new"] for h in history if h["field"] == "status"] == ["planned", "completed"]
    # a window that ends before the service recovered: no recovery time; the RTO (20 min) has not run out
    # by the window's end (10 min after the first failure), so whether it was met is not known
    open_ = api.post(f"/api/v1/continuity-tests/{_test(api, 0, 30, plan_id=strict)}/measure").json()
    assert (open_["downtime_seconds"], open_["recovered_at"], open_["recovery_seconds"]) == (600.0, None, None)
    assert open_["rto_met"] is None and "had not recovered" in open_["measurement"]["notes"][0]
    # the current plan by default (the newest active one); a quiet window: no downtime, RTO met
    quiet = api.post(f"/api/v1/continuity-tests/{_test(api, 60, 90)}/measure").json()
    assert (quiet["downtime_seconds"], quiet["recovery_seconds"], quiet["rto_minutes"], quiet["rto_met"]) == (
        0.0,
        0.0,
        45,
        True,
    )
    assert api.post(f"/api/v1/continuity-tests/{failed}/transitions", json={"to": "closed"}).status_code == 200


def test_a_window_without_probe_data_or_not_over_yet_is_not_measured(api):
    body = {"service": "search", "window_start": _at(0), "window_end": _at(60)}
    none = api.post("/api/v1/continuity-tests", json=body).json()["id"]
    r = api.post(f"/api/v1/continuity-tests/{none}/measure")
    assert r.status_code == 409 and "no probe data for search" in r.json()["detail"]
    later = _test(api, 170, 200)  # ends after the register's clock (T0+4h = 180 min after T0+1h)
    r = api.post(f"/api/v1/continuity-tests/{later}/measure")
    assert r.status_code == 409 and "once it is over" in r.json()["detail"]
    assert api.get(f"/api/v1/continuity-tests/{later}").json()["measured_at"] is None
    r = api.post(f"/api/v1/continuity-tests/{later}/transitions", json={"to": "completed"})
    r = api.post(f"/api/v1/continuity-tests/{later}/transitions", json={"to": "closed"})
    assert r.status_code == 409 and r.json()["gate"] == "evidence"


@dataclass
class State:
    system: object


def test_saving_a_report_twice_keeps_one_record_with_two_versions(api, prometheus):
    system = api.system
    db = system.settings.database_url
    cat = Path(db.removeprefix("sqlite:///")).with_name("sms.yaml")
    cat.write_text(CATALOGUE)
    period = f"{(T0 - timedelta(days=1)).date()}..{(T0 + timedelta(days=2)).date()}"  # the outages (T0 + 1 h 20 min) may fall on the next day
    args = ["report", "availability", "-c", str(cat), "-p", prometheus.url, "-s", "checkout", "--period", period]
    first = run_cli(*args, "--save", env={"SMS_DATABASE_URL": db})
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["downtime_seconds"] == 1500
    # an agreed maintenance window over the second outage: measuring again changes the figures
    change = {"title": "db failover", "services": ["checkout"], "type": "standard", "maintenance_window": True}
    change |= {"planned_start": _at(39), "planned_end": _at(51)}
    assert api.post("/api/v1/changes", json=change).status_code == 201
    again = run_cli(*args, "--save", env={"SMS_DATABASE_URL": db})
    assert again.returncode == 0 and json.loads(again.stdout)["downtime_seconds"] == 900, again.stderr
    listed = api.get("/api/v1/service-reports", params={"service": "checkout"})
    assert listed.headers["X-Total-Count"] == "1"
    rec = listed.json()[0]
    assert (rec["period"], rec["version"], rec["source"], rec["downtime_seconds"]) == (period, 2, "cli", 900.0)
    assert rec["figures"]["downtime_seconds"] == 900 and rec["figures"]["outages"][0]["duration_seconds"] == 900
    history = api.get(f"/api/v1/service-reports/{rec['id']}/history").json()
    assert [(h["old"], h["new"]) for h in history if h["field"] == "version"] == [(None, "1"), ("1", "2")]
    assert [(h["old"], h["new"]) for h in history if h["field"] == "downtime_seconds"] == [
        (None, "1500.0"),
        ("1500.0", "900.0"),
    ]
    old = json.loads(next(h["old"] for h in history if h["field"] == "figures" and h["old"]))
    assert old["downtime_seconds"] == 1500  # the first version's figures stay in the history
    md = api.get(f"/api/v1/service-reports/{rec['id']}/files/md")
    assert md.headers["content-type"].startswith("text/markdown") and "| checkout |" in md.text
    html = api.get(rec["files"]["html"])
    assert html.status_code == 200 and "checkout" in html.text and html.text.lstrip().startswith("<!")
    assert api.get(f"/api/v1/service-reports/{rec['id']}/files/json").json()["downtime_seconds"] == 900
    # the monthly job measures every service: the same record once more, and a new one for search
    assert run_monthly_reports(State(system), period) == 2
    reports = {r["service"]: r for r in api.get("/api/v1/service-reports").json()}
    assert (reports["checkout"]["id"], reports["checkout"]["version"], reports["checkout"]["source"]) == (
        rec["id"],
        3,
        "job",
    )
    assert reports["search"]["availability_percent"] is None and reports["search"]["version"] == 1


def test_the_daily_run_saves_only_the_reports_last_month_still_lacks(api, monkeypatch):
    now = datetime.now(UTC).replace(microsecond=0)
    month = previous_month(now)
    state = State(api.system)
    monkeypatch.setattr(api.system.settings, "service_report_day", 2)
    api.clock.t = month.end + timedelta(hours=3)  # the 1st: before SMS_SERVICE_REPORT_DAY, nothing is saved
    assert run_monthly_reports(state) == 0 and api.get("/api/v1/service-reports").json() == []
    monkeypatch.undo()
    api.clock.t = month.end - timedelta(days=1)  # saved before the month was over: not complete
    assert run_monthly_reports(state, month.label) == 2
    api.clock.t = now
    r = api.post("/api/v1/service-reports/measure", json={"period": month.label, "service": "checkout"})
    assert r.status_code == 200, r.text  # checkout measured again after the month ended: complete
    assert run_monthly_reports(state) == 1  # only search is measured again
    reports = {x["service"]: x for x in api.get("/api/v1/service-reports").json()}
    assert {s: (x["period"], x["version"], x["source"]) for s, x in reports.items()} == {
        "checkout": (month.label, 2, "api"),
        "search": (month.label, 2, "job"),
    }
    assert all(x["measured_at"] == now.isoformat().replace("+00:00", "Z") for x in reports.values())
    assert run_monthly_reports(state) == 0  # every report of the month is complete: nothing is measured
    assert api.get("/api/v1/service-reports").headers["X-Total-Count"] == "2"


def test_a_report_that_cannot_be_saved_does_not_stop_the_others(api, monkeypatch):
    from sms_metrics.errors import Conflict, SmsError
    from sms_metrics.jobs import service_reports as job

    real = job.save_report

    def save(records, who, report, *, source):
        if report["service"] == "checkout":
            raise Conflict("checkout: the database refused the write")
        return real(records, who, report, source=source)

    monkeypatch.setattr(job, "save_report", save)  # an injected failure: the rest is the real job
    api.clock.t = datetime.now(UTC)
    with pytest.raises(SmsError, match=r"not saved for: checkout \(1 saved\)"):
        run_monthly_reports(State(api.system))
    assert [x["service"] for x in api.get("/api/v1/service-reports").json()] == ["search"]
