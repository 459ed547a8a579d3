"""Against the real server process: concurrent duplicate deliveries, replays after a restart,
and SIGKILL during ingestion (every delivery that got a 2xx survives, integrity intact)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from sms_metrics.localstack.prometheus import free_port
from tests.e2e.test_alert_to_incident import SERVE_START
from tests.register.conftest import ADMIN, CATALOGUE, WEBHOOK, alert, payload

pytestmark = pytest.mark.integration


class Served:
    def __init__(self, tmp_path):
        self.db = tmp_path / "register.db"
        (tmp_path / "sms.yaml").write_text(CATALOGUE)
        self.cat = tmp_path / "sms.yaml"
        self.proc = None

    def start(self):
        self.port = free_port()
        env = {
            **os.environ,
            "SMS_WEBHOOK_TOKEN": WEBHOOK,
            "SMS_ADMIN_TOKEN": ADMIN,
            "SMS_DATABASE_URL": f"sqlite:///{self.db}",
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sms_metrics.cli", "serve", "--catalogue", str(self.cat), "--port", str(self.port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + SERVE_START
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1).ok:
                    return self
            except requests.RequestException:
                time.sleep(0.1)
        self.proc.kill()  # leave no server behind
        self.proc.wait(10)
        raise AssertionError("serve did not start")

    def post(self, body):
        return requests.post(
            f"http://127.0.0.1:{self.port}/api/v1/webhooks/alertmanager",
            json=body,
            headers={"Authorization": f"Bearer {WEBHOOK}"},
            timeout=30,
        )

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        self.proc.wait(10)

    def rows(self, sql):
        con = sqlite3.connect(self.db)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()


def test_concurrent_duplicates_and_replays_after_restart_make_one_incident(tmp_path):
    s = Served(tmp_path).start()
    try:
        body = payload(alert("dup1"), alert("dup2", severity="warning"))
        with ThreadPoolExecutor(16) as pool:
            codes = list(pool.map(lambda _: s.post(body).status_code, range(32)))
        assert set(codes) <= {200, 503} and codes.count(200) >= 1
        assert s.rows("select fingerprint, occurrence_count from incidents order by fingerprint") == [
            ("dup1", 1),
            ("dup2", 1),
        ]
        s.stop()
        s.start()
        assert s.post(body).status_code == 200  # Alertmanager replays after our restart
        assert s.rows("select count(*) from incidents") == [(2,)]
        assert s.rows("select count(*) from incident_occurrences") == [(2,)]
    finally:
        s.stop()


def test_sigkill_during_ingestion_loses_no_acknowledged_delivery(tmp_path):
    s = Served(tmp_path)
    acknowledged: set[str] = set()
    n = 0
    for _round in range(4):
        s.start()
        deadline = time.monotonic() + 1.5
        killer_at = time.monotonic() + 0.8
        while time.monotonic() < deadline:
            fp = f"k{n}"
            n += 1
            try:
                if s.post(payload(alert(fp, starts="2026-11-02T10:00:00Z"))).status_code == 200:
                    acknowledged.add(fp)
            except requests.RequestException:
                break
            if time.monotonic() > killer_at:
                s.proc.send_signal(signal.SIGKILL)
                s.proc.wait(10)
                break
    assert s.rows("pragma integrity_check") == [("ok",)]
    stored = {r[0] for r in s.rows("select fingerprint from incidents")}
    assert acknowledged and acknowledged <= stored
    orphans = s.rows(
        "select count(*) from incident_occurrences o left join incidents i on i.id = o.incident_id where i.id is null"
    )
    assert orphans == [(0,)]
