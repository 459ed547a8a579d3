"""A real Prometheus loads the committed rules for the demo catalogue and evaluates them cleanly."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import requests

from sms_metrics.adapters.prometheus import PrometheusHTTP
from sms_metrics.catalogue import load_catalogue
from sms_metrics.core.periods import rfc3339
from sms_metrics.demo import DEMO_CATALOGUE
from sms_metrics.demo.history import write_demo_history
from sms_metrics.localstack.openmetrics import write_eof, write_family
from sms_metrics.localstack.prometheus import LocalPrometheus, backfill
from sms_metrics.reports.availability import measure_catalogue

pytestmark = pytest.mark.integration
RULES = Path(__file__).resolve().parents[2] / "rules"


def _wait_for_evaluations(url: str, timeout: float = 60) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        groups = requests.get(f"{url}/api/v1/rules", timeout=5).json()["data"]["groups"]
        if groups and all(g.get("lastEvaluation", "").startswith("20") for g in groups):
            return groups
        time.sleep(0.5)
    raise AssertionError("rule groups were not evaluated in time")


def test_demo_rules_load_and_evaluate_without_errors(tmp_path):
    now = datetime.now(UTC)
    om = tmp_path / "history.om"
    write_demo_history(load_catalogue(DEMO_CATALOGUE), om, start=now - timedelta(days=4), end=now)
    backfill(om, tmp_path / "tsdb")
    files = sorted(str(p) for p in RULES.glob("*.yml"))
    with LocalPrometheus(tmp_path, rule_files=files, scrape_interval="1s") as prom:
        groups = _wait_for_evaluations(prom.url)
        rules = [r for g in groups for r in g["rules"]]
        slo_groups = [g for g in groups if g["name"].startswith("sms-slo-")]
        assert len(slo_groups) == 6 and len(rules) > 50  # one group per SLO
        assert sorted(g["name"] for g in groups if g not in slo_groups) == [
            "sms-capacity-checkout",
            "sms-capacity-search",
        ]
        broken = [(r["name"], r.get("lastError")) for r in rules if r["health"] != "ok" or r.get("lastError")]
        assert broken == []
        got = requests.get(f"{prom.url}/api/v1/query", params={"query": "slo:sli_error:ratio_rate5m"}).json()
        services = {s["metric"]["service"] for s in got["data"]["result"]}
        assert services == {"checkout", "search", "catalogue-api", "payments-gateway", "demo-target"}
        assert all(0 <= float(s["value"][1]) <= 1 for s in got["data"]["result"])
        info = requests.get(f"{prom.url}/api/v1/query", params={"query": "sloth_slo_info"}).json()["data"]["result"]
        assert len(info) == 6
        _rolling_figures_come_from_the_recordings(prom.url)


def _rolling_figures_come_from_the_recordings(url: str):
    """Right after start the current burn rate is there; the 30-day figures follow within the hour."""
    prom = PrometheusHTTP(url)
    deadline = time.monotonic() + 30
    while len(prom.query("slo:current_burn_rate:ratio", datetime.now(UTC))) < 6:
        assert time.monotonic() < deadline, "burn rates never appeared"
        time.sleep(0.5)
    now = datetime.now(UTC)
    reports = {r.service: r for r in measure_catalogue(prom, load_catalogue(DEMO_CATALOGUE), "1d", now=now)}
    rolling = reports["checkout"].rolling
    assert rolling["source"] == "recording rules" and rolling["window"] == "30d"
    at = datetime.fromisoformat(rolling["at"].replace("Z", "+00:00"))
    [(_, burn)] = prom.query('slo:current_burn_rate:ratio{sloth_id="checkout-availability"}', at)
    assert rolling["current_burn_rate"] == pytest.approx(burn, abs=1e-6)


def test_reports_read_the_recorded_rolling_figures(tmp_path):
    """Recorded series (as the rules write them) become the report's `rolling` object."""
    now = datetime.now(UTC)
    ts = np.arange(int(now.timestamp()) - 3600, int(now.timestamp()) - 30, 60, dtype=float)
    lab = {
        "service": "checkout",
        "slo": "availability",
        "sloth_id": "checkout-availability",
        "sloth_service": "checkout",
        "sloth_slo": "availability",
    }
    with open(tmp_path / "rec.om", "w") as out:
        for name, value in (
            ("slo:period_error_budget_remaining:ratio", -0.25),
            ("slo:current_burn_rate:ratio", 3.5),
            ("slo:period_burn_rate:ratio", 1.25),
        ):
            write_family(out, name, "gauge", [(lab, ts, np.full(len(ts), value))])
        write_eof(out)
    backfill(tmp_path / "rec.om", tmp_path / "tsdb")
    with LocalPrometheus(tmp_path) as proc:
        reports = measure_catalogue(PrometheusHTTP(proc.url), load_catalogue(DEMO_CATALOGUE), "1d", now=now)
    by = {r.service: r for r in reports}
    assert by["checkout"].rolling == {
        "source": "recording rules",
        "window": "30d",
        "at": rfc3339(now),
        "error_budget_remaining_percent": -25.0,
        "current_burn_rate": 3.5,
        "period_burn_rate": 1.25,
    }
    assert by["search"].rolling is None  # nothing recorded for it
