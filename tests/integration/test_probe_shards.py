"""Three prober replicas (`probe --shard` and `serve --shard`) behind one real Prometheus."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
import requests
import yaml

from sms_metrics.localstack.prometheus import LocalPrometheus, free_port
from sms_metrics.probing.shard import owner
from tests.integration import probe_servers as srv

pytestmark = pytest.mark.integration
N = 30


def _probe_file(tmp, base: str):
    targets = [
        {
            "name": f"shop-{i}",
            "service": "shop",
            "module": "web",
            "target": f"{base}/{'fail' if i % 7 == 0 else 'ok'}?i={i}",
            "interval": "2s",
        }
        for i in range(N)
    ]
    path = tmp / "probes.yaml"
    doc = {"apiVersion": "sms-metrics/v1", "modules": {"web": {"prober": "http", "timeout": "1s"}}, "targets": targets}
    path.write_text(yaml.safe_dump(doc))
    return path


def _replicas(tmp, probes, ports):
    cli = [sys.executable, "-m", "sms_metrics.cli"]
    env = {**os.environ, "SMS_DATABASE_URL": f"sqlite:///{tmp}/r.db"}
    cmds = [[*cli, "probe", "--config", str(probes), "--port", str(ports[i]), "--shard", f"{i}/3"] for i in (0, 1)]
    cmds.append([*cli, "serve", "--probes", str(probes), "--port", str(ports[2]), "--shard", "2/3"])
    return [subprocess.Popen(c, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for c in cmds]


def _query(url: str, expr: str) -> list[dict]:
    return requests.get(f"{url}/api/v1/query", params={"query": expr}, timeout=5).json()["data"]["result"]


def test_three_shards_probe_every_target_exactly_once(tmp_path):
    http = srv.serve_http()
    probes = _probe_file(tmp_path, f"http://127.0.0.1:{http.server_port}")
    ports = [free_port() for _ in range(3)]
    procs = _replicas(tmp_path, probes, ports)
    scrape = [
        {
            "job_name": "probers",
            "scrape_interval": "1s",
            "static_configs": [{"targets": [f"127.0.0.1:{p}" for p in ports]}],
        }
    ]
    try:
        with LocalPrometheus(tmp_path / "prom", scrape_configs=scrape, scrape_interval="1s") as prom:
            deadline, per_probe = time.monotonic() + 90, {}
            while time.monotonic() < deadline and len(per_probe) < N:
                assert all(p.poll() is None for p in procs), [p.stderr.read().decode()[-400:] for p in procs]
                per_probe = {r["metric"]["probe"]: r for r in _query(prom.url, "count by (probe) (probe_success)")}
                time.sleep(0.5)
            time.sleep(2)  # a few more scrapes: a target probed twice would show by now
            per_probe = {
                r["metric"]["probe"]: float(r["value"][1]) for r in _query(prom.url, "count by (probe) (probe_success)")
            }
            series = _query(prom.url, "probe_success")
            owned = {r["metric"]["shard"]: float(r["value"][1]) for r in _query(prom.url, "sms_probe_targets")}
    finally:
        for p in procs:
            p.terminate()
            p.wait(20)
        http.shutdown()
    assert per_probe == {f"shop-{i}": 1.0 for i in range(N)}  # every target, each by one replica
    by_instance = {}
    for s in series:
        by_instance.setdefault(s["metric"]["instance"], set()).add(s["metric"]["probe"])
        assert float(s["value"][1]) == (0.0 if int(s["metric"]["probe"].split("-")[1]) % 7 == 0 else 1.0)
    for i, port in enumerate(ports):  # replica i holds exactly the targets the hash gives shard i
        assert by_instance[f"127.0.0.1:{port}"] == {f"shop-{k}" for k in range(N) if owner(f"shop-{k}", 3) == i}
    assert owned == {f"{i}/3": float(len(by_instance[f"127.0.0.1:{ports[i]}"])) for i in range(3)}
    assert all(len(v) > 0 for v in by_instance.values())
