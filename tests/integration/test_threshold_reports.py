"""Threshold SLIs with every bound and on PromQL expressions (as OpenSLO thresholdMetric gives
them), measured by ``report availability`` against a real Prometheus and its known history."""

from __future__ import annotations

import json

import pytest

from sms_metrics.core.periods import month_period
from tests.integration import scenario as sc
from tests.integration.conftest import run_cli

pytestmark = pytest.mark.integration

# the "lat" probe: 0.2 s every minute, 0.9 s for 30 minutes on 12 October
CATALOGUE = """
apiVersion: sms-metrics/v1
services:
  - name: at-least
    slos: [{name: fast, objective: 99, sli: {threshold: {query: 'probe_duration_seconds{service="lat"}', min: 0.2}}}]
  - name: strictly-above
    slos: [{name: fast, objective: 99, sli: {threshold: {query: 'probe_duration_seconds{service="lat"}', above: 0.2}}}]
  - name: expression
    slos:
      - name: fast
        objective: 99
        sli: {threshold: {query: 'max(probe_duration_seconds{service="lat"}) * 1000', max: 500}}
  - name: expression-floor
    slos:
      - name: slow
        objective: 99
        sli: {threshold: {query: 'min(probe_duration_seconds{service="lat"}) * 1000', min: 500}}
"""
MONTH = 44640  # minutes in October
CASES = {  # good value, expected minutes down: >= and > differ on the values equal to the bound
    "at-least": (lambda v: v >= 0.2, 0),
    "strictly-above": (lambda v: v > 0.2, MONTH - 30),
    "expression": (lambda v: v * 1000 <= 500, 30),
    "expression-floor": (lambda v: v * 1000 >= 500, MONTH - 30),
}


@pytest.mark.parametrize("service", list(CASES))
def test_every_bound_and_expressions_count_the_minutes_the_truth_counts(history_prometheus, tmp_path, service):
    path = tmp_path / "sms.yaml"
    path.write_text(CATALOGUE)
    done = run_cli(
        "report", "availability", "-c", str(path), "-p", history_prometheus.url,
        "--service", service, "--period", "2026-10", "--format", "json",
    )  # fmt: skip
    report = json.loads(done.stdout)
    p = month_period(2026, 10)
    good, minutes_down = CASES[service]
    truth = sc.truth(sc.latency_series(), start=p.start, end=p.end, good=good)
    assert truth["downtime_seconds"] == minutes_down * 60
    assert report["downtime_seconds"] == truth["downtime_seconds"]
    assert report["up_seconds"] == truth["up_seconds"] and report["unknown_seconds"] == 0
    got = [(o["start"], o["end"]) for o in report["outages"]]
    want = [(a.strftime("%Y-%m-%dT%H:%M:%SZ"), b.strftime("%Y-%m-%dT%H:%M:%SZ")) for a, b in truth["outages"]]
    assert got == want
