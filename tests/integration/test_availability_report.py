"""`report availability` against a real Prometheus holding 35 days of known history."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from sms_metrics.core.periods import month_period
from tests.integration import scenario as sc
from tests.integration.conftest import run_cli

pytestmark = pytest.mark.integration
STEP = 60


def _report(history_prometheus, catalogue_file, service, fmt="json"):
    done = run_cli(
        "report",
        "availability",
        "--catalogue",
        str(catalogue_file),
        "--prometheus",
        history_prometheus.url,
        "--service",
        service,
        "--period",
        "2026-10",
        "--format",
        fmt,
    )
    assert done.stdout, done.stderr
    return done


def _check_against_truth(report: dict, truth: dict, target: float):
    for key in ("up_seconds", "downtime_seconds", "unknown_seconds", "excluded_seconds"):
        assert report[key] == pytest.approx(truth[key], abs=STEP), key
    assert report["availability_percent"] == pytest.approx(truth["availability_percent"], abs=1e-3)
    assert report["met"] == (truth["availability_percent"] >= target)
    period = report["up_seconds"] + report["downtime_seconds"] + report["unknown_seconds"] + report["excluded_seconds"]
    start = datetime.fromisoformat(report["period"]["start"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(report["period"]["end"].replace("Z", "+00:00"))
    assert period == (end - start).total_seconds()
    budget = (1 - target / 100) * (period - truth["excluded_seconds"])
    assert report["error_budget_seconds"] == pytest.approx(budget, abs=STEP)
    assert report["error_budget_remaining_percent"] == pytest.approx(
        100 * (budget - truth["downtime_seconds"]) / budget, abs=100 * STEP / budget
    )
    counted = period - truth["excluded_seconds"]
    assert report["data_coverage_percent"] == pytest.approx(
        100 * (truth["up_seconds"] + truth["downtime_seconds"]) / counted, abs=100 * STEP / counted
    )
    got = [(o["start"], o["end"]) for o in report["outages"]]
    want = [(a.strftime("%Y-%m-%dT%H:%M:%SZ"), b.strftime("%Y-%m-%dT%H:%M:%SZ")) for a, b in truth["outages"]]
    assert got == want
    assert all(o["duration_seconds"] > 0 for o in report["outages"])


def test_web_report_matches_ground_truth(history_prometheus, catalogue_file):
    done = _report(history_prometheus, catalogue_file, "web")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    p = month_period(2026, 10)
    truth = sc.truth(
        sc.web_series(),
        start=p.start,
        end=p.end,
        good=lambda v: v >= 1,
        maintenance=[(sc.at(2026, 10, 4, 1), sc.at(2026, 10, 4, 3))],
    )
    # Hand check of the truth itself: 10 + 30 + 45 + 3 + 5 minutes down, 2 h gap, 2 h maintenance.
    assert truth["downtime_seconds"] == 93 * 60
    assert truth["unknown_seconds"] == 7200 and truth["excluded_seconds"] == 7200
    assert report["period"] == {
        "start": "2026-10-01T00:00:00Z",
        "end": "2026-11-01T00:00:00Z",
        "label": "2026-10",
        "start_local": "2026-10-01T00:00:00+00:00",
        "end_local": "2026-11-01T00:00:00+00:00",
    }
    assert report["partial"] is False and report["timezone"] == "UTC"
    assert report["calendar"]["outside_hours_seconds"] == 0 and report["calendar"]["maintenance_seconds"] == 7200
    assert [(w["start"], w["excluded_seconds"], w["source"]) for w in report["calendar"]["maintenance"]] == [
        ("2026-10-04T01:00:00Z", 7200, "catalogue")
    ]
    assert report["error_budget_consumed_percent"] == pytest.approx(100 - report["error_budget_remaining_percent"])
    assert report["service"] == "web" and report["target_percent"] == 99.9
    _check_against_truth(report, truth, 99.9)
    assert report["met"] is False  # 93 min down against a 44.6 min budget
    assert report["mttr_seconds"] == pytest.approx(93 * 60 / 5, abs=STEP)
    assert report["mtbf_seconds"] == pytest.approx(truth["up_seconds"] / 5, abs=STEP)
    ratio = truth["downtime_seconds"] / (truth["up_seconds"] + truth["downtime_seconds"])
    assert report["burn_rate_period"] == pytest.approx(ratio / 0.001, rel=1e-3)
    days = {d["day"]: d for d in report["daily"]}
    assert len(days) == 31
    assert days["2026-10-10"]["availability_percent"] == pytest.approx(100 * (1440 - 45) / 1440, abs=1e-6)
    assert days["2026-10-15"]["data_coverage_percent"] == pytest.approx(100 * (1440 - 120) / 1440, abs=1e-6)
    assert days["2026-10-04"]["availability_percent"] == pytest.approx(100 * (1320 - 30) / 1320, abs=1e-6)
    assert days["2026-10-02"]["availability_percent"] == 100.0
    assert any("data covers only" in w for w in report["warnings"])


def test_office_hours_in_berlin_across_dst_with_two_probes(history_prometheus, catalogue_file):
    done = _report(history_prometheus, catalogue_file, "office")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    p = month_period(2026, 10, "Europe/Berlin")
    assert report["period"]["start"] == "2026-09-30T22:00:00Z" and report["period"]["end"] == "2026-10-31T23:00:00Z"
    truth = sc.truth(
        sc.office_series(), start=p.start, end=p.end, good=lambda v: v >= 1, tz="Europe/Berlin", hours=(8, 18)
    )
    assert truth["downtime_seconds"] == (20 + 30) * 60  # Saturday outage excluded, DST honoured
    _check_against_truth(report, truth, 99.5)
    assert [o["start"] for o in report["outages"]] == ["2026-10-06T09:00:00Z", "2026-10-26T07:00:00Z"]
    # shown in the SLA's zone: 11:00 CEST, and 08:00 CET after the clocks went back
    assert [o["start_local"] for o in report["outages"]] == ["2026-10-06T11:00:00+02:00", "2026-10-26T08:00:00+01:00"]
    assert report["period"]["start_local"] == "2026-10-01T00:00:00+02:00" and report["timezone"] == "Europe/Berlin"
    assert report["unknown_seconds"] == 0  # one probe missing is not a gap
    cal = report["calendar"]
    assert cal["service_hours"] == "Mon-Fri 08:00-18:00" and cal["maintenance"] == []
    assert (
        cal["outside_hours_seconds"] == report["excluded_seconds"] == pytest.approx(truth["excluded_seconds"], abs=STEP)
    )
    md = _report(history_prometheus, catalogue_file, "office", "md").stdout
    assert "Service hours: Mon-Fri 08:00-18:00 (Europe/Berlin)" in md
    assert "| 2026-10-06 09:00 UTC (11:00 CEST) | 2026-10-06 09:20 UTC (11:20 CEST) | 20.0 min |" in md


def test_threshold_sli_counts_slow_minutes_as_down(history_prometheus, catalogue_file):
    report = json.loads(_report(history_prometheus, catalogue_file, "lat").stdout)
    p = month_period(2026, 10)
    truth = sc.truth(sc.latency_series(), start=p.start, end=p.end, good=lambda v: v <= 0.5)
    assert truth["downtime_seconds"] == 30 * 60
    _check_against_truth(report, truth, 99.0)


def test_events_sli_is_good_over_total_events(history_prometheus, catalogue_file):
    report = json.loads(_report(history_prometheus, catalogue_file, "api").stdout)
    errors = 360 * 10
    total = 44640 * 100 + errors
    assert report["availability_percent"] == pytest.approx(100 * (1 - errors / total), abs=1e-3)
    assert report["up_seconds"] is None and report["downtime_seconds"] is None
    assert report["data_coverage_percent"] == pytest.approx(100.0, abs=0.2)
    assert report["met"] is True
    assert report["error_budget_seconds"] == pytest.approx(0.01 * 31 * 86400)


def test_latency_sli_counts_requests_slower_than_the_threshold_as_bad(history_prometheus, catalogue_file):
    report = json.loads(_report(history_prometheus, catalogue_file, "hist").stdout)
    bad = 44640 * 10 + 120 * 40  # 10 slow a minute, 50 during the two slow hours
    assert report["availability_percent"] == pytest.approx(100 * (1 - bad / (44640 * 100)), abs=1e-3)
    assert report["met"] is True
    slow_day = next(d for d in report["daily"] if d["day"] == "2026-10-22")
    assert slow_day["availability_percent"] == pytest.approx(100 * (1 - (1440 * 10 + 120 * 40) / 144000), abs=1e-3)


def test_a_service_without_data_is_null_and_exits_3(history_prometheus, catalogue_file):
    done = _report(history_prometheus, catalogue_file, "ghost")
    assert done.returncode == 3, done.stderr
    report = json.loads(done.stdout)
    assert report["availability_percent"] is None and report["met"] is None
    assert report["unknown_seconds"] == 31 * 86400 and report["data_coverage_percent"] == 0.0
    assert any("no data" in w for w in report["warnings"])


def test_whole_catalogue_is_a_list_and_exits_3_because_of_ghost(history_prometheus, catalogue_file):
    done = run_cli(
        "report",
        "availability",
        "--catalogue",
        str(catalogue_file),
        "--prometheus",
        history_prometheus.url,
        "--period",
        "2026-10",
    )
    assert done.returncode == 3
    reports = json.loads(done.stdout)
    assert [r["service"] for r in reports] == ["web", "office", "lat", "api", "hist", "ghost"]
    assert "no data for ghost" in done.stderr
    # web and ghost were read together (batched); the figures equal the single-service read.
    single = json.loads(_report(history_prometheus, catalogue_file, "web").stdout)
    assert reports[0] == single


@pytest.mark.parametrize(
    "fmt, needle",
    [("md", "| web | 2026-10 | 99.9% |"), ("csv", "service,slo,sli,period_start"), ("html", 'class="daily-chart"')],
)
def test_other_formats(history_prometheus, catalogue_file, fmt, needle):
    done = _report(history_prometheus, catalogue_file, "web", fmt)
    assert done.returncode == 0, done.stderr
    assert needle in done.stdout
    if fmt == "html":
        assert "2026-10-10T12:00:00Z" in done.stdout  # the worst outage is listed
        assert "data covers only" in done.stdout


def test_rolling_window_report(history_prometheus, catalogue_file):
    done = run_cli(
        "report",
        "availability",
        "--catalogue",
        str(catalogue_file),
        "--prometheus",
        history_prometheus.url,
        "--service",
        "web",
        "--period",
        "2026-10-01..2026-10-11",
    )
    report = json.loads(done.stdout)
    assert report["downtime_seconds"] == pytest.approx((10 + 30 + 45) * 60, abs=STEP)


def test_every_slo_of_a_service_has_its_own_figures(history_prometheus, catalogue_file):
    report = json.loads(_report(history_prometheus, catalogue_file, "web").stdout)
    sla, latency = report["slos"]
    assert sla["slo"] == "availability" and sla["sla"] is True and sla["target_percent"] == 99.9
    assert sla["availability_percent"] == report["availability_percent"] and sla["met"] is False
    assert latency["slo"] == "latency" and latency["sla"] is False and latency["objective_percent"] == 99.0
    assert latency["downtime_seconds"] == pytest.approx(30 * 60, abs=STEP)  # 30 slow minutes on Oct 12
    counted = 31 * 86400 - 7200  # web's maintenance window is excluded from every SLO
    assert latency["availability_percent"] == pytest.approx(100 * (1 - 1800 / counted), abs=1e-3)
    assert latency["met"] is True
    assert latency["error_budget_consumed_percent"] == pytest.approx(100 * 1800 / (0.01 * counted), abs=0.1)
    md = _report(history_prometheus, catalogue_file, "web", "md").stdout
    assert "| latency | threshold | 99.0% |" in md and "met: NO" in md and "True" not in md and "False" not in md


def test_a_month_not_over_yet_is_flagged_partial_in_the_summary(history_prometheus, catalogue_file):
    this_month = datetime.now(UTC).strftime("%Y-%m")
    done = run_cli(
        "report", "availability", "-c", str(catalogue_file), "-p", history_prometheus.url,
        "-s", "web", "--period", this_month, "-f", "md",
    )  # fmt: skip
    summary = next(line for line in done.stdout.splitlines() if line.startswith("| web |"))
    assert f"| web | {this_month} (partial: not over yet) |" in summary


@pytest.mark.parametrize("service", ["web", "api"])
def test_a_twelve_month_trend_ends_with_the_months_own_figures(history_prometheus, catalogue_file, service):
    done = run_cli(
        "report", "availability", "-c", str(catalogue_file), "-p", history_prometheus.url,
        "-s", service, "--period", "2026-10", "--trend", "12",
    )  # fmt: skip
    report = json.loads(done.stdout)
    trend = report["trend"]
    assert [m["month"] for m in trend] == [f"2025-{m:02d}" for m in range(11, 13)] + [
        f"2026-{m:02d}" for m in range(1, 11)
    ]
    assert trend[-1]["availability_percent"] == pytest.approx(report["availability_percent"], abs=1e-6)
    assert trend[-1]["met"] == report["met"] and trend[-1]["downtime_seconds"] == report["downtime_seconds"]
    assert all(m["availability_percent"] is None for m in trend[:10])  # before the history began
    assert trend[10]["month"] == "2026-09" and trend[10]["data_coverage_percent"] < 20  # three days of data


def test_a_bad_trend_is_refused():
    done = run_cli("report", "availability", "-c", "x.yaml", "--trend", "99")
    assert done.returncode == 2 and "--trend 99: give a number of months between 1 and 36" in done.stderr


def test_the_register_can_add_change_windows_and_incidents(history_prometheus, catalogue_file):
    from sms_metrics.adapters.prometheus import PrometheusHTTP
    from sms_metrics.catalogue import load_catalogue
    from sms_metrics.reports.availability import measure_catalogue
    from sms_metrics.reports.calendar_figures import Window
    from sms_metrics.reports.sla_document import report_dict

    # the 45-minute outage from 12:00 falls half in an approved change window
    change = Window(sc.at(2026, 10, 10, 12), sc.at(2026, 10, 10, 12, 30), "failover test", "change CHG-000007")
    incident = {"ref": "INC-000042", "start": sc.at(2026, 10, 10, 12, 5), "end": sc.at(2026, 10, 10, 14)}
    (rep,) = measure_catalogue(
        PrometheusHTTP(history_prometheus.url),
        load_catalogue(catalogue_file),
        "2026-10",
        service="web",
        extra_windows=lambda service, start, end: [change] if service == "web" else [],
        incidents=lambda service, start, end: [incident],
    )
    d = report_dict(rep)
    plain = json.loads(_report(history_prometheus, catalogue_file, "web").stdout)
    assert d["excluded_seconds"] == plain["excluded_seconds"] + 1800
    windows = {w["source"]: w for w in d["calendar"]["maintenance"]}
    assert windows["change CHG-000007"]["excluded_seconds"] == 1800
    assert d["downtime_seconds"] == plain["downtime_seconds"] - 30 * 60
    overlapping = [o for o in d["outages"] if o["incidents"]]
    assert [(o["start"], o["incidents"][0]["ref"]) for o in overlapping] == [("2026-10-10T12:30:00Z", "INC-000042")]
    assert overlapping[0]["incidents"][0]["start"] == "2026-10-10T12:05:00Z"
