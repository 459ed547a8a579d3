"""`sms-metrics serve` answers /probe like blackbox_exporter, for allowed targets only."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
import requests
import yaml

from sms_metrics.localstack.prometheus import LocalPrometheus, free_port
from tests.integration import probe_servers as srv

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serve")
    http = srv.serve_http()
    base = f"http://127.0.0.1:{http.server_port}"
    probes = tmp / "probes"
    probes.mkdir()
    (probes / "shop.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "sms-metrics/v1",
                "modules": {"http_2xx": {"prober": "http", "timeout": "2s"}},
                "targets": [
                    {"name": "home", "service": "shop", "module": "http_2xx", "target": f"{base}/ok", "interval": "5s"}
                ],
            }
        )
    )
    port = free_port()
    env = {**os.environ, "SMS_PROBE_ALLOWLIST": f'["{base}/fail"]', "SMS_DATABASE_URL": f"sqlite:///{tmp}/r.db"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "sms_metrics.cli", "serve", "--probes", str(probes), "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"{url}/healthz", timeout=1).ok:
                break
        except requests.RequestException:
            pass
        assert time.monotonic() < deadline and proc.poll() is None, proc.stderr.read().decode()[-500:]
        time.sleep(0.2)
    yield {"url": url, "base": base, "port": port, "tmp": tmp}
    proc.terminate()
    proc.wait(10)


def test_probe_endpoint_probes_known_targets(served):
    r = requests.get(f"{served['url']}/probe", params={"target": f"{served['base']}/ok", "module": "http_2xx"})
    assert r.status_code == 200
    assert 'probe_success{probe="home",service="shop",supplier=""} 1.0' in r.text
    assert 'probe_http_status_code{probe="home",service="shop",supplier=""} 200.0' in r.text


def test_allowlisted_targets_are_probed_others_refused(served):
    r = requests.get(f"{served['url']}/probe", params={"target": f"{served['base']}/fail", "module": "http_2xx"})
    assert r.status_code == 200 and "probe_success" in r.text and "} 0.0" in r.text
    r = requests.get(f"{served['url']}/probe", params={"target": "http://example.org/", "module": "http_2xx"})
    assert r.status_code == 403 and "not an open proxy" in r.json()["detail"]
    r = requests.get(f"{served['url']}/probe", params={"target": f"{served['base']}/ok", "module": "nope"})
    assert r.status_code == 400 and "unknown module 'nope'" in r.json()["detail"]


def test_scheduler_results_on_metrics(served):
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        text = requests.get(f"{served['url']}/metrics").text
        if 'probe_success{probe="home"' in text:
            break
        time.sleep(0.3)
    assert 'probe_success{probe="home",service="shop",supplier=""} 1.0' in text
    assert 'sms_probe_runs_total{result="success"}' in text


def test_a_prometheus_configured_for_blackbox_scrapes_it_unchanged(served):
    target = f"{served['base']}/ok"
    scrape = [
        {
            "job_name": "blackbox",
            "metrics_path": "/probe",
            "params": {"module": ["http_2xx"]},
            "scrape_interval": "1s",
            "static_configs": [{"targets": [target]}],
            "relabel_configs": [
                {"source_labels": ["__address__"], "target_label": "__param_target"},
                {"source_labels": ["__param_target"], "target_label": "instance"},
                {"target_label": "__address__", "replacement": f"127.0.0.1:{served['port']}"},
            ],
        }
    ]
    with LocalPrometheus(served["tmp"] / "prom", scrape_configs=scrape, scrape_interval="1s") as prom:
        deadline, result = time.monotonic() + 30, []
        while time.monotonic() < deadline and not result:
            result = requests.get(
                f"{prom.url}/api/v1/query", params={"query": f'probe_success{{job="blackbox", instance="{target}"}}'}
            ).json()["data"]["result"]
            time.sleep(0.5)
    assert result and float(result[0]["value"][1]) == 1
