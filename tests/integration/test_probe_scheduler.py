"""The scheduler: spread starts, no stacking, and a real Prometheus scraping the prober."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import numpy as np
import pytest
import requests
import yaml
from prometheus_client import CollectorRegistry

from sms_metrics.localstack.prometheus import LocalPrometheus, free_port
from sms_metrics.probing.config import Module, Target
from sms_metrics.probing.scheduler import Scheduler, offset
from tests.integration import probe_servers as srv

pytestmark = pytest.mark.integration


def test_offsets_spread_targets_over_the_interval():
    offsets = np.array([offset(f"target-{i}", 15.0) for i in range(5000)])
    counts, _ = np.histogram(offsets, bins=15, range=(0, 15))
    assert offsets.min() >= 0 and offsets.max() < 15
    assert counts.max() < 5000 / 15 * 1.25  # no second gets more than 25% above its share
    assert offset("a", 15.0) == offset("a", 15.0)  # stable across runs


def test_a_slow_target_is_skipped_not_stacked():
    silent = srv.Silent()
    module = Module(prober="http", timeout="5s")
    # interval shorter than the timeout (a probe file would refuse this; the scheduler must cope)
    target = Target(
        name="slow",
        service="shop",
        module="m",
        target=f"http://127.0.0.1:{silent.port}/",
        interval="1s",
        timeout="2500ms",
    )
    registry = CollectorRegistry()
    sched = Scheduler([target], {"m": module}, registry=registry)
    asyncio.run(sched.run(duration=4.2))
    runs = registry.get_sample_value("sms_probe_runs_total", {"result": "failure"})
    skipped = registry.get_sample_value("sms_probe_skipped_runs_total")
    assert runs == 2 and skipped >= 2  # at most one run in flight at any time
    assert max(len(silent.conns), 0) == 2


def test_prometheus_scrapes_the_prober(tmp_path):
    http = srv.serve_http()
    base = f"http://127.0.0.1:{http.server_port}"
    probes = tmp_path / "probes.yaml"
    probes.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "sms-metrics/v1",
                "modules": {"web": {"prober": "http", "timeout": "1s"}},
                "targets": [
                    {
                        "name": "home",
                        "service": "shop",
                        "module": "web",
                        "target": f"{base}/ok",
                        "interval": "1s",
                        "supplier": "acme",
                    },
                    {"name": "broken", "service": "shop", "module": "web", "target": f"{base}/fail", "interval": "1s"},
                ],
            }
        )
    )
    port = free_port()
    prober = subprocess.Popen(
        [sys.executable, "-m", "sms_metrics.cli", "probe", "--config", str(probes), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        scrape = [
            {"job_name": "sms-prober", "scrape_interval": "1s", "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]}
        ]
        with LocalPrometheus(tmp_path / "prom", scrape_configs=scrape, scrape_interval="1s") as prom:
            deadline, got = time.monotonic() + 30, {}
            while time.monotonic() < deadline and len(got) < 2:
                res = requests.get(f"{prom.url}/api/v1/query", params={"query": "probe_success"}).json()
                got = {s["metric"]["probe"]: s for s in res["data"]["result"]}
                time.sleep(0.5)
            assert float(got["home"]["value"][1]) == 1 and float(got["broken"]["value"][1]) == 0
            assert got["home"]["metric"]["supplier"] == "acme" and got["home"]["metric"]["service"] == "shop"
            assert "supplier" not in got["broken"]["metric"]  # empty label = absent
            code = requests.get(
                f"{prom.url}/api/v1/query", params={"query": 'probe_http_status_code{probe="broken"}'}
            ).json()
            assert float(code["data"]["result"][0]["value"][1]) == 500
    finally:
        prober.terminate()
        prober.wait(10)
