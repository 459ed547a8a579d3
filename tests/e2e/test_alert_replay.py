"""A replayed alert whose startsAt changed precision (Alertmanager's webhook speaks nanoseconds, its API
milliseconds) is the same occurrence, and the resolved notification closes the incident: no phantom
occurrence keeps it open. Through a real Alertmanager into a real `sms-metrics serve`."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests

from sms_metrics.localstack.alertmanager import LocalAlertmanager
from sms_metrics.localstack.prometheus import free_port
from tests.e2e.test_alert_to_incident import SERVE_START, _up, _wait

pytestmark = pytest.mark.integration
TOKEN, ADMIN = "replay-hook", "replay-admin"
CATALOGUE = """
apiVersion: sms-metrics/v1
services:
  - name: shop
    criticality: high
    sla: {availability_target: 99.9, response_minutes: {P1: 15}, resolution_minutes: {P1: 240}}
"""
LABELS = {"alertname": "ErrorBudgetBurn", "service": "shop", "slo": "availability", "severity": "page"}


def _post(am, starts: str, ends: str | None = None):
    alert = {
        "labels": LABELS,
        "annotations": {"summary": "shop burns"},
        "startsAt": starts,
        "generatorURL": "http://prometheus/graph",
    }
    if ends:
        alert["endsAt"] = ends
    requests.post(f"{am.url}/api/v2/alerts", json=[alert], timeout=5).raise_for_status()


def _incidents(api, **params):
    return requests.get(
        f"{api}/api/v1/incidents", params=params, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=5
    ).json()


def test_a_replay_at_another_precision_is_one_occurrence_and_the_incident_resolves(tmp_path):
    (tmp_path / "sms.yaml").write_text(CATALOGUE)
    port = free_port()
    api = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "SMS_WEBHOOK_TOKEN": TOKEN,
        "SMS_ADMIN_TOKEN": ADMIN,
        "SMS_DATABASE_URL": f"sqlite:///{tmp_path / 'register.db'}",
    }
    serve = subprocess.Popen(
        [sys.executable, "-m", "sms_metrics.cli", "serve", "-c", str(tmp_path / "sms.yaml"), "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    start = (datetime.now(UTC) - timedelta(minutes=5)).replace(microsecond=123000)
    nanos = start.strftime("%Y-%m-%dT%H:%M:%S.123456789Z")
    millis = start.strftime("%Y-%m-%dT%H:%M:%S.123Z")
    try:
        _wait(lambda: _up(f"{api}/healthz"), SERVE_START, "serve")
        with LocalAlertmanager(
            tmp_path / "am", webhook_url=f"{api}/api/v1/webhooks/alertmanager", token=TOKEN, repeat_interval="2s"
        ) as am:
            _post(am, nanos)
            [incident] = _wait(lambda: _incidents(api, status="open"), 30, "the incident")
            assert incident["occurrence_count"] == 1
            _post(am, millis)  # Alertmanager keeps the earliest start: the next notifications carry .123Z
            time.sleep(6)  # two repeat intervals: the replay is delivered
            [again] = _incidents(api, status="open")
            assert again["id"] == incident["id"] and again["occurrence_count"] == 1
            _post(am, millis, ends=(datetime.now(UTC) - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
            [done] = _wait(lambda: _incidents(api, status="resolved"), 30, "the incident to resolve")
            assert done["id"] == incident["id"] and done["resolution_reason"] == "alert resolved"
            assert _incidents(api, status="open") == []
    finally:
        serve.terminate()
        serve.wait(10)
