"""`sms-metrics forecast` end to end on a real Prometheus serving backfilled capacity history."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest

from tests.integration import capacity_scenario as sc
from tests.integration.conftest import run_cli

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    path = tmp_path_factory.mktemp("capcat") / "sms.yaml"
    path.write_text(sc.CATALOGUE)
    return path


@pytest.fixture(scope="module")
def all_forecasts(capacity_prometheus, catalogue):
    got = run_cli("forecast", "--catalogue", str(catalogue), "--prometheus", capacity_prometheus.url)
    assert got.returncode == 0, got.stderr
    return {(d["service"], d["resource"]): d for d in json.loads(got.stdout)}, got.stderr


def _after_end(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() - sc.END


def test_free_bytes_never_go_below_zero_after_exhaustion(all_forecasts):
    d = all_forecasts[0][("files", "disk")]
    assert d["unit"] == "bytes" and d["bounds"] == {"min": 0.0, "max": None}
    lows = [p["lower_95"] for p in d["forecast"]]
    assert min(lows) == 0.0 and all(p[k] >= 0 for p in d["forecast"] for k in ("value", "lower_80", "upper_95"))
    assert d["forecast"][-1]["value"] == 0.0  # four days past the exhaustion: empty, not -80 GB
    assert d["order_by"] == _iso(_at(d["exhaustion"]["at"]) - 7 * sc.DAY)


def _at(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_disk_exhaustion_is_dated_and_rated_plan(all_forecasts):
    d = all_forecasts[0][("files", "disk")]
    assert d["status"] == "plan" and d["limit"] == 0 and d["lead_time_seconds"] == 7 * sc.DAY
    assert _after_end(d["exhaustion"]["at"]) == pytest.approx(sc.DISK_LEFT, abs=0.5 * sc.DAY)
    assert _after_end(d["exhaustion"]["earliest_95"]) <= _after_end(d["exhaustion"]["at"])
    # default horizon: twice the 7-day lead time, at 2-hour steps
    assert len(d["forecast"]) == 168 and d["history"]["step_seconds"] == 7200
    p = d["forecast"][0]
    assert p["lower_95"] <= p["lower_80"] <= p["value"] <= p["upper_80"] <= p["upper_95"]
    assert d["backtest"]["mase"] < 1.5 and 0 <= d["backtest"]["smape"] <= 200


def test_queue_running_out_inside_its_lead_time_is_urgent(all_forecasts):
    d = all_forecasts[0][("queue", "depth")]
    assert d["status"] == "urgent"
    assert _after_end(d["exhaustion"]["at"]) == pytest.approx(sc.QUEUE_LEFT, abs=0.3 * sc.DAY)


def test_seasonal_connections_are_ok_with_both_seasons_found(all_forecasts):
    d = all_forecasts[0][("db", "connections")]
    assert d["status"] == "ok" and d["exhaustion"] == {"at": None, "earliest_95": None}
    assert d["seasons_seconds"] == [86400, 604800]
    values = [p["value"] for p in d["forecast"]]
    assert max(values) - min(values) > 150  # the daily swing (±80) and the weekend dip carry on


def test_counter_resets_are_undone_before_forecasting(all_forecasts):
    d = all_forecasts[0][("logs", "written")]
    assert d["history"]["last_value"] == pytest.approx(28 * 24 * 1e6, rel=0.02)
    assert d["status"] == "plan"
    assert _after_end(d["exhaustion"]["at"]) == pytest.approx(sc.LOGS_LEFT, rel=0.1)


def test_too_little_history_is_left_out_with_a_warning(all_forecasts):
    docs, stderr = all_forecasts
    assert ("tiny", "fresh") not in docs and len(docs) == 4
    assert "tiny/fresh" in stderr and "insufficient data" in stderr


def test_one_resource_with_too_little_history_exits_3(capacity_prometheus, catalogue):
    got = run_cli(
        "forecast", "-c", str(catalogue), "-p", capacity_prometheus.url, "--service", "tiny", "--resource", "fresh"
    )
    assert got.returncode == 3 and got.stdout == ""
    assert "insufficient data" in got.stderr and "at least 48" in got.stderr


def test_one_resource_gives_one_object_with_a_chosen_horizon(capacity_prometheus, catalogue):
    got = run_cli(
        "forecast",
        "-c",
        str(catalogue),
        "-p",
        capacity_prometheus.url,
        "-s",
        "queue",
        "-r",
        "depth",
        "--horizon",
        "1d",
        "--jobs",
        "1",
    )
    assert got.returncode == 0, got.stderr
    d = json.loads(got.stdout)
    assert d["resource"] == "depth" and d["horizon_seconds"] == sc.DAY
    assert d["exhaustion"]["at"] is None and d["status"] == "ok"  # two days away: beyond one day
    assert "shorter than twice the lead time" in " ".join(d["notes"])
    assert len(d["forecast"]) == 96 and d["history"]["step_seconds"] == 900  # 1 day at 15 minutes


def test_csv_and_html_order_by_urgency(capacity_prometheus, catalogue, tmp_path):
    got = run_cli("forecast", "-c", str(catalogue), "-p", capacity_prometheus.url, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(got.stdout)))
    assert {(r["service"], r["status"]) for r in rows} == {
        ("files", "plan"),
        ("queue", "urgent"),
        ("db", "ok"),
        ("logs", "plan"),
    }
    html = tmp_path / "capacity.html"
    got = run_cli(
        "forecast", "-c", str(catalogue), "-p", capacity_prometheus.url, "--format", "html", "--out", str(html)
    )
    text = html.read_text()
    assert got.returncode == 0 and text.count('class="forecast-chart"') == 4
    assert text.index('id="queue-depth"') < text.index('id="files-disk"') < text.index('id="db-connections"')
    assert "tiny/fresh" in text  # listed under "Not forecast"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--format", "xml"], "--format 'xml' is not supported"),
        (["--horizon", "soon"], "--horizon: invalid duration 'soon'"),
        (["--service", "nope"], "nope"),
        (["--resource", "disk"], "--resource needs --service"),
        (["--service", "files", "--resource", "ram"], "has no capacity resource named 'ram' (known: disk)"),
    ],
)
def test_bad_arguments_are_explained(capacity_prometheus, catalogue, args, message):
    got = run_cli("forecast", "-c", str(catalogue), "-p", capacity_prometheus.url, *args)
    assert got.returncode == 2 and message in got.stderr


def test_unreachable_prometheus_is_one_clear_line(catalogue):
    got = run_cli("forecast", "-c", str(catalogue), "-p", "http://127.0.0.1:9", env={"SMS_PROMETHEUS_RETRIES": "0"})
    assert got.returncode == 4 and "cannot reach Prometheus at http://127.0.0.1:9" in got.stderr


def test_saved_plans_survive_a_later_run_without_enough_data(capacity_prometheus, catalogue, tmp_path):
    env = {"SMS_DATABASE_URL": f"sqlite:///{tmp_path / 'register.db'}"}
    args = ["forecast", "-c", str(catalogue), "-p", capacity_prometheus.url, "-s", "files", "-r", "disk", "--save"]
    assert run_cli(*args, env=env).returncode == 0
    before = json.loads(run_cli("plans", "list", "--format", "json", env=env).stdout)
    assert [(p["resource"], p["status"], p["forecast_status"]) for p in before] == [("disk", "draft", "plan")]
    # two hours of history are too few: nothing is written and the draft keeps its figures
    starved = run_cli(*args, "--history", "2h", env=env)
    assert starved.returncode == 3 and "insufficient data" in starved.stderr
    assert json.loads(run_cli("plans", "list", "--format", "json", env=env).stdout) == before
    approved = run_cli("plans", "approve", str(before[0]["id"]), env=env)
    assert approved.returncode == 0 and "approved" in approved.stdout
    refused = run_cli("plans", "retire", "999", env=env)
    assert refused.returncode == 2 and "capacity plan 999 does not exist" in refused.stderr


def test_a_bad_query_is_named_and_does_not_stop_the_others(capacity_prometheus, tmp_path):
    cat = tmp_path / "sms.yaml"
    cat.write_text(
        sc.CATALOGUE
        + """
  - name: broken
    capacity:
      - {name: typo, query: 'rate(queue_messages[5m]', limit: 1, direction: up, lead_time: 1d}
"""
    )
    both = run_cli("forecast", "-c", str(cat), "-p", capacity_prometheus.url, "--format", "csv")
    assert both.returncode == 0 and len(both.stdout.strip().splitlines()) == 1 + 4
    assert "broken/typo" in both.stderr and "rejected" in both.stderr
    alone = run_cli("forecast", "-c", str(cat), "-p", capacity_prometheus.url, "-s", "broken", "-r", "typo")
    assert alone.returncode == 4 and "rate(queue_messages[5m]" in alone.stderr and "rejected" in alone.stderr
