"""Real Prometheus over a TSDB backfilled with promtool, shared by the integration tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sms_metrics.localstack.openmetrics import write_eof, write_family
from sms_metrics.localstack.prometheus import LocalPrometheus, backfill
from tests.integration import scenario as sc


@pytest.fixture(scope="session")
def history_prometheus(tmp_path_factory) -> LocalPrometheus:
    work = tmp_path_factory.mktemp("prom")
    om = work / "history.om"
    with open(om, "w") as out:
        probes = [*sc.web_series(), *sc.office_series()]
        write_family(out, "probe_success", "gauge", [(s.labels, s.timestamps(), s.values) for s in probes])
        write_family(
            out, "probe_duration_seconds", "gauge", [(s.labels, s.timestamps(), s.values) for s in sc.latency_series()]
        )
        write_family(out, "http_requests", "counter", sc.api_counters(), sample_name="http_requests_total")
        hist = sc.histogram_counters()
        for family in ("http_request_duration_seconds_bucket", "http_request_duration_seconds_count"):
            write_family(out, family, "gauge", [(lb, t, v) for n, lb, t, v in hist if n == family])
        write_eof(out)
    backfill(om, work / "tsdb")
    prom = LocalPrometheus(work)
    prom.start()
    yield prom
    prom.stop()


@pytest.fixture(scope="session")
def capacity_prometheus(tmp_path_factory) -> LocalPrometheus:
    """A Prometheus over the capacity scenario's 28 days of history."""
    from tests.integration import capacity_scenario

    work = tmp_path_factory.mktemp("capprom")
    capacity_scenario.backfill_history(work)
    with LocalPrometheus(work) as prom:
        yield prom


@pytest.fixture(scope="session")
def catalogue_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cat") / "sms.yaml"
    path.write_text(sc.CATALOGUE)
    return path


def run_cli(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the installed console script the way a user does."""
    return subprocess.run(
        [sys.executable, "-m", "sms_metrics.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=300,
    )
