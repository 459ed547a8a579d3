"""Capacity forecasts in their units, per-step aggregates, point times and what reaches /metrics, on a
real Prometheus (the history of ``capacity_scenario``)."""

from __future__ import annotations

import json

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from tests.integration import capacity_scenario as sc
from tests.integration.conftest import run_cli

pytestmark = pytest.mark.integration

# clock_seconds has a sample every 5 minutes whose value is its own timestamp: the value of a step
# (t - 15 min, t] is t for the worst (max) of an "up" resource, t - 5 min for the mean, t - 30 s for the
# 95th percentile (interpolated between t - 5 min and t) and t - 10 min for the worst (min) of a "down" one.
CLOCK = """
  - name: clock
    capacity:
      - {name: worst, query: 'clock_seconds{service="clock"}', limit: 1e12, lead_time: 1h}
      - {name: mean, query: 'clock_seconds{service="clock"}', limit: 1e12, lead_time: 1h, aggregate: mean}
      - {name: p95, query: 'clock_seconds{service="clock"}', limit: 1e12, lead_time: 1h, aggregate: p95}
      - {name: low, query: 'clock_seconds{service="clock"}', limit: 0, direction: down, lead_time: 1h}
"""
OFFSETS = {"worst": 0, "mean": 300, "p95": 30, "low": 600}


@pytest.fixture(scope="module")
def prometheus(capacity_prometheus):
    return capacity_prometheus


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    path = tmp_path_factory.mktemp("capunitscat") / "sms.yaml"
    path.write_text(sc.CATALOGUE + CLOCK)
    return path


@pytest.fixture(scope="module")
def clock(prometheus, catalogue):
    got = run_cli("forecast", "-c", str(catalogue), "-p", prometheus.url, "-s", "clock", "--horizon", "1d")
    assert got.returncode == 0, got.stderr
    return {d["resource"]: d for d in json.loads(got.stdout)}


@pytest.mark.parametrize("resource", list(OFFSETS))
def test_each_step_is_the_aggregate_of_its_samples_dated_at_its_end(clock, resource):
    d = clock[resource]
    assert d["history"]["step_seconds"] == 900 and d["aggregate"] == ("worst" if resource == "low" else resource)
    end = sc.at(d["history"]["end"])
    assert end == sc.CLOCK_T[-1]  # the last whole step with data
    assert d["history"]["last_value"] == pytest.approx(end - OFFSETS[resource], abs=1e-3)
    first = d["forecast"][0]
    assert sc.at(first["t"]) == end + 900  # the first forecast step is (end, end + 15 min]
    assert first["value"] == pytest.approx(sc.at(first["t"]) - OFFSETS[resource], abs=60)


def test_a_markdown_capacity_report_reads_in_units_and_local_time(prometheus, catalogue):
    got = run_cli("forecast", "-c", str(catalogue), "-p", prometheus.url, "-f", "md")
    assert got.returncode == 0, got.stderr
    text = got.stdout
    assert text.startswith("# Capacity report") and "| Order by |" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line][1:]
    services = [r.split("|")[1].strip() for r in rows]
    assert services[0] == "queue" and services.index("files") < services.index("db")  # by order-by date
    disk = next(r for r in rows if r.startswith("| files |"))
    assert " GiB |" in disk and "e+" not in text and ":00.0" not in text
    assert "| 0 B |" in disk  # the limit, in bytes


def test_gauges_of_a_saved_forecast_stay_within_the_units_bounds(prometheus, catalogue, tmp_path):
    url = f"sqlite:///{tmp_path / 'register.db'}"
    got = run_cli(
        "forecast", "-c", str(catalogue), "-p", prometheus.url, "-s", "files", "-r", "disk", "--save",
        env={"SMS_DATABASE_URL": url},
    )  # fmt: skip
    assert got.returncode == 0, got.stderr
    from sms_metrics.register.capacity.metrics import CapacityCollector
    from sms_metrics.register.db import make_engine, session_factory

    registry = CollectorRegistry()
    registry.register(CapacityCollector(session_factory(make_engine(url))))
    text = generate_latest(registry).decode()
    lines = [line for line in text.splitlines() if line.startswith("sms_capacity_forecast_horizon_value{")]
    assert len(lines) == 5 and all(float(line.split()[-1]) >= 0 for line in lines)
    assert any('band="lower_95"' in line and line.endswith(" 0.0") for line in lines)
