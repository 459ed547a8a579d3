"""The same reports and forecasts from VictoriaMetrics as from Prometheus, over the same history.

A real VictoriaMetrics single node (history imported through its API) beside a real Prometheus
(history backfilled with promtool). Tolerances: step SLIs (probe, threshold) must agree to the
second, outages exactly; events and latency SLIs to 0.01 percentage points (VictoriaMetrics'
``rate()`` does not extrapolate, which the report then states in its warnings); forecasts as
``TOLERANCE`` says. The capacity catalogue adds an expression resource (a subquery, which
VictoriaMetrics evaluates in halves: too many inner points for one request).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

import pytest

from sms_metrics.adapters.prometheus import PrometheusHTTP
from sms_metrics.adapters.servers import RATE_NOTE
from sms_metrics.localstack.prometheus import LocalPrometheus, backfill
from sms_metrics.localstack.victoria import LocalVictoria
from tests.integration import capacity_scenario as cap
from tests.integration import scenario as sc
from tests.integration.conftest import run_cli
from tests.integration.test_availability_report import _check_against_truth

pytestmark = pytest.mark.integration
SECONDS = ("up_seconds", "downtime_seconds", "unknown_seconds", "excluded_seconds")
# Forecasts: within 1% of the resource's last value, exhaustion within one step, the same model and
# status. (They differ at all because Prometheus 2 ranges are closed: a sample on a step boundary
# counts in both steps' means; measured: at most 0.3%.)
TOLERANCE = 0.01


def _seconds(rfc3339: str) -> float:
    return datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp()


def _reports(url: str, catalogue_file) -> dict[str, dict]:
    done = run_cli(
        "report", "availability", "--catalogue", str(catalogue_file), "--prometheus", url, "--period", "2026-10"
    )
    assert done.returncode == 3, done.stderr  # the ghost service has no data, on both
    return {r["service"]: r for r in json.loads(done.stdout)}


@pytest.fixture(scope="module")
def both_reports(history_prometheus, history_victoria, catalogue_file):
    return _reports(history_prometheus.url, catalogue_file), _reports(history_victoria.url, catalogue_file)


def test_the_adapter_tells_the_servers_apart_and_logs_what_it_does(history_prometheus, history_victoria, caplog):
    caplog.set_level(logging.INFO, logger="sms_metrics.adapters.prometheus")
    vm, prom = PrometheusHTTP(history_victoria.url).server(), PrometheusHTTP(history_prometheus.url).server()
    assert (vm.kind, vm.left_open, vm.measured, vm.extrapolates_rate) == ("victoriametrics", True, True, False)
    assert (prom.kind, prom.version, prom.left_open, prom.measured) == ("prometheus", "2.42.0+ds", False, True)
    logged = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert any(history_victoria.url in m and "left-open (t-d, t]" in m and "nocache=1" in m for m in logged)
    assert PrometheusHTTP(history_victoria.url).retention_seconds() == 100 * 365 * 86400


@pytest.mark.parametrize("service", ["web", "office", "lat"])
def test_step_slis_agree_to_the_second_and_match_the_truth(both_reports, service):
    prom, vm = both_reports[0][service], both_reports[1][service]
    assert {k: vm[k] for k in SECONDS} == {k: prom[k] for k in SECONDS}
    assert vm["outages"] == prom["outages"] and vm["availability_percent"] == prom["availability_percent"]
    assert vm["data_coverage_percent"] == prom["data_coverage_percent"] and vm["daily"] == prom["daily"]
    assert vm["warnings"] == prom["warnings"]
    truth = {
        "web": lambda: sc.truth(
            sc.web_series(),
            start=sc.at(2026, 10, 1),
            end=sc.at(2026, 11, 1),
            good=lambda v: v >= 1,
            maintenance=[(sc.at(2026, 10, 4, 1), sc.at(2026, 10, 4, 3))],
        ),
        "office": lambda: sc.truth(
            sc.office_series(),
            start=sc.at(2026, 9, 30, 22),
            end=sc.at(2026, 10, 31, 23),
            good=lambda v: v >= 1,
            tz="Europe/Berlin",
            hours=(8, 18),
        ),
        "lat": lambda: sc.truth(
            sc.latency_series(), start=sc.at(2026, 10, 1), end=sc.at(2026, 11, 1), good=lambda v: v <= 0.5
        ),
    }[service]()
    _check_against_truth(vm, truth, vm["target_percent"])


@pytest.mark.parametrize("service", ["api", "hist"])
def test_event_slis_agree_within_a_hundredth_of_a_point_and_say_why_they_may_not(both_reports, service):
    prom, vm = both_reports[0][service], both_reports[1][service]
    assert vm["availability_percent"] == pytest.approx(prom["availability_percent"], abs=0.01)
    assert vm["met"] == prom["met"] and vm["data_coverage_percent"] == prom["data_coverage_percent"]
    assert RATE_NOTE in vm["warnings"] and RATE_NOTE not in prom["warnings"]


def test_a_service_without_data_is_null_on_both(both_reports):
    prom, vm = both_reports[0]["ghost"], both_reports[1]["ghost"]
    assert prom["availability_percent"] is vm["availability_percent"] is None and vm["met"] is None


CAPACITY_CATALOGUE = (
    cap.CATALOGUE
    + """
  - name: pool
    capacity:
      - {name: busy, query: 'sum(db_connections) / 10', limit: 100, direction: up, lead_time: 7d}
"""
)


def _forecasts(url: str, catalogue) -> dict[tuple[str, str], dict]:
    done = run_cli("forecast", "--catalogue", str(catalogue), "--prometheus", url)
    assert done.returncode == 0, done.stderr
    return {(d["service"], d["resource"]): d for d in json.loads(done.stdout)}


@pytest.fixture(scope="module")
def both_forecasts(tmp_path_factory):
    work = tmp_path_factory.mktemp("capacity")
    om = cap.write_history(work / "history.om")
    backfill(om, work / "prom" / "tsdb")
    catalogue = work / "sms.yaml"
    catalogue.write_text(CAPACITY_CATALOGUE)
    with LocalPrometheus(work / "prom") as prom, LocalVictoria(work / "vm") as vm:
        vm.import_openmetrics(om)
        return _forecasts(prom.url, catalogue), _forecasts(vm.url, catalogue)


def test_forecasts_agree(both_forecasts):
    prom, vm = both_forecasts
    assert sorted(vm) == sorted(prom) and len(prom) == 5  # tiny has too little history on both
    for key, p in prom.items():
        v = vm[key]
        assert (v["status"], v["model"], v["seasons_seconds"]) == (p["status"], p["model"], p["seasons_seconds"]), key
        assert v["history"]["points"] == p["history"]["points"]
        assert v["history"]["last_value"] == pytest.approx(p["history"]["last_value"], rel=TOLERANCE)
        scale = TOLERANCE * abs(p["history"]["last_value"])
        for fp, fv in zip(p["forecast"], v["forecast"]):
            assert fv["t"] == fp["t"]
            for band in ("value", "lower_95", "upper_95"):
                assert fv[band] == pytest.approx(fp[band], abs=scale), key
        for which in ("at", "earliest_95"):
            a, b = p["exhaustion"][which], v["exhaustion"][which]
            assert (a is None) == (b is None), key
            if a:
                assert abs(_seconds(a) - _seconds(b)) <= p["history"]["step_seconds"], key
