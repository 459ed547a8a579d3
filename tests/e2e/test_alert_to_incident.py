"""End to end with real processes: the prober in `sms-metrics serve` feeds a real Prometheus,
whose generated rules fire into a real Alertmanager, whose webhook reaches `serve`: the incident
opens with the right priority and due times, and resolves when the target recovers."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import yaml

from sms_metrics.catalogue import load_catalogue
from sms_metrics.localstack.alertmanager import LocalAlertmanager
from sms_metrics.localstack.prometheus import LocalPrometheus, free_port
from sms_metrics.rules.generator import catalogue_rules
from sms_metrics.rules.windows import parse_alert_windows
from sms_metrics.rules.writer import write_rules

pytestmark = pytest.mark.integration
TOKEN, ADMIN = "e2e-hook", "e2e-admin"

# Seconds-long burn-rate windows (Sloth's AlertWindows format) so the test needs a minute, not an hour.
WINDOWS = """
apiVersion: sloth.slok.dev/v1
kind: AlertWindows
spec:
  sloPeriod: 30d
  page:
    quick: {errorBudgetPercent: 0.0111, shortWindow: 5s, longWindow: 20s}
    slow: {errorBudgetPercent: 0.0093, shortWindow: 10s, longWindow: 40s}
  ticket:
    quick: {errorBudgetPercent: 0.0069, shortWindow: 20s, longWindow: 60s}
    slow: {errorBudgetPercent: 0.0035, shortWindow: 30s, longWindow: 90s}
"""
CATALOGUE = """
apiVersion: sms-metrics/v1
services:
  - name: shop
    criticality: high
    sla:
      availability_target: 99.9
      response_minutes: {P1: 15, P2: 60, P3: 240, P4: 1440}
      resolution_minutes: {P1: 240, P2: 480, P3: 2880, P4: 10080}
    slos:
      - name: availability
        objective: 99.9
        alert_windows: windows.yaml
        sli: {probe: 'probe_success{service="shop"}'}
"""


class Switch(BaseHTTPRequestHandler):
    healthy = True

    def do_GET(self):
        self.send_response(200 if Switch.healthy else 503)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *a):
        pass


# seconds for `serve` to answer /healthz: it imports, migrates and starts its writer process, which takes
# about 10 s on 2 quiet cores and several times that while the suite runs on every core
SERVE_START = 120


def _wait(fn, timeout, what, log=None):
    """Poll fn until it returns something truthy; on timeout the error carries the end of the process's log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(1)
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:]) if log else ""
    raise AssertionError(f"timed out waiting for {what}" + (f"; the log ends:\n{tail}" if tail else ""))


def test_probe_failure_opens_an_incident_that_resolves_on_recovery(tmp_path):
    target = ThreadingHTTPServer(("127.0.0.1", 0), Switch)
    threading.Thread(target=target.serve_forever, daemon=True).start()
    (tmp_path / "windows.yaml").write_text(WINDOWS)
    (tmp_path / "sms.yaml").write_text(CATALOGUE)
    probes = tmp_path / "probes"
    probes.mkdir()
    (probes / "shop.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "sms-metrics/v1",
                "modules": {"web": {"prober": "http", "timeout": "1s"}},
                "targets": [
                    {
                        "name": "shop-home",
                        "service": "shop",
                        "module": "web",
                        "target": f"http://127.0.0.1:{target.server_port}/",
                        "interval": "1s",
                    }
                ],
            }
        )
    )
    cat = load_catalogue(tmp_path / "sms.yaml")
    rules = write_rules(
        catalogue_rules(cat, {"windows.yaml": parse_alert_windows(WINDOWS, "w")}), tmp_path / "rules", source="sms.yaml"
    )
    port = free_port()
    api = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "SMS_WEBHOOK_TOKEN": TOKEN,
        "SMS_ADMIN_TOKEN": ADMIN,
        "SMS_DATABASE_URL": f"sqlite:///{tmp_path / 'register.db'}",
    }
    serve = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sms_metrics.cli",
            "serve",
            "--catalogue",
            str(tmp_path / "sms.yaml"),
            "--probes",
            str(probes),
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait(lambda: _up(f"{api}/healthz"), SERVE_START, "serve")
        with (
            LocalAlertmanager(tmp_path / "am", webhook_url=f"{api}/api/v1/webhooks/alertmanager", token=TOKEN) as am,
            LocalPrometheus(
                tmp_path / "prom",
                rule_files=[str(r) for r in rules],
                scrape_interval="1s",
                alertmanagers=[f"127.0.0.1:{am.port}"],
                scrape_configs=[
                    {"job_name": "sms", "scrape_interval": "1s", "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]}
                ],
            ),
        ):
            time.sleep(8)  # healthy history first
            Switch.healthy = False
            page = _wait(lambda: _incident(api, "P1"), 60, "the page incident")
            assert page["service"] == "shop" and page["slo"] == "availability" and page["status"] == "new"
            opened = datetime.fromisoformat(page["opened_at"])
            assert datetime.fromisoformat(page["response_due_at"]) - opened == timedelta(minutes=15)
            assert datetime.fromisoformat(page["resolution_due_at"]) - opened == timedelta(minutes=240)
            Switch.healthy = True
            resolved = _wait(lambda: _incident(api, "P1", status="resolved"), 120, "the page incident to resolve")
            assert resolved["id"] == page["id"] and resolved["resolution_reason"] == "alert resolved"
    finally:
        serve.terminate()
        serve.wait(10)
        target.shutdown()


def _up(url):
    try:
        return requests.get(url, timeout=1).ok
    except requests.RequestException:
        return False


def _incident(api, prio, status=None):
    params = {"status": status} if status else {}
    got = requests.get(
        f"{api}/api/v1/incidents", params=params, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=5
    ).json()
    return next((i for i in got if i["priority"] == prio), None)
