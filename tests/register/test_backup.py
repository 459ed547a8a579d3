"""Backups while the register is written: every delivery acknowledged before the backup began is in it,
the copy is consistent (every incident with its occurrence and history), and a restore brings it back."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest
import requests

from sms_metrics.localstack.prometheus import free_port
from tests.e2e.test_alert_to_incident import SERVE_START, _up, _wait
from tests.integration.conftest import run_cli
from tests.register.conftest import WEBHOOK, Database, alert, payload

pytestmark = [pytest.mark.integration, pytest.mark.serial]  # load and timing: run alone


class Sender(threading.Thread):
    """Posts one new alert per delivery until stopped; remembers what was acknowledged, and when."""

    def __init__(self, url):
        super().__init__(daemon=True)
        self.url, self.acked, self.stop = url, [], threading.Event()

    def run(self):
        n = 0
        with requests.Session() as s:
            while not self.stop.is_set():
                n += 1
                r = s.post(
                    self.url, json=payload(alert(f"b{n}")), headers={"Authorization": f"Bearer {WEBHOOK}"}, timeout=10
                )
                if r.status_code == 200:
                    self.acked.append((time.monotonic(), f"b{n}"))


def test_a_backup_under_load_holds_every_acknowledged_delivery_and_restores(db, tmp_path):
    port = free_port()
    env = {**os.environ, "SMS_WEBHOOK_TOKEN": WEBHOOK, "SMS_DATABASE_URL": db.url, "SMS_LOG_LEVEL": "WARNING"}
    serve = subprocess.Popen(
        [sys.executable, "-m", "sms_metrics.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(lambda: _up(f"http://127.0.0.1:{port}/healthz"), SERVE_START, "serve")
        sender = Sender(f"http://127.0.0.1:{port}/api/v1/webhooks/alertmanager")
        sender.start()
        _wait(lambda: len(sender.acked) >= 50, 60, "50 deliveries")
        began = time.monotonic()
        out = run_cli("backup", "--out", str(tmp_path / "register.bak"), env={"SMS_DATABASE_URL": db.url})
        time.sleep(1)  # the load goes on after the backup
        sender.stop.set()
        sender.join(15)
        assert out.returncode == 0, out.stderr
    finally:
        serve.terminate()
        serve.wait(15)
    before = {fp for t, fp in sender.acked if t < began}
    assert len(sender.acked) > len(before) >= 50
    target = Database(
        f"sqlite:///{tmp_path / 'restored.db'}"
        if db.url.startswith("sqlite")
        else db.url.rsplit("/", 1)[0] + "/" + _fresh_pg(db.url)
    )
    done = run_cli("restore", str(tmp_path / "register.bak"), "--yes", env={"SMS_DATABASE_URL": target.url})
    assert done.returncode == 0, done.stderr
    restored = {r[0] for r in target.rows("SELECT fingerprint FROM incidents")}
    assert before <= restored <= {fp for _, fp in sender.acked}
    n = len(restored)  # consistent: each incident with its occurrence and its creation row
    assert target.rows("SELECT count(*) FROM incident_occurrences") == [(n,)]
    assert target.rows("SELECT count(*) FROM history WHERE record_kind = 'incident' AND field = 'status'") == [(n,)]
    if db.url.startswith("sqlite"):
        assert target.rows("PRAGMA integrity_check") == [("ok",)]


def _fresh_pg(url: str) -> str:
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    name = f"restored_{free_port()}"
    with psycopg.connect(host=u.host, port=u.port, user=u.username, dbname="postgres", autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    return name


def test_a_backup_is_refused_where_it_does_not_fit(tmp_path):
    env = {"SMS_DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}"}
    (tmp_path / "junk.bak").write_text("not a database")
    out = run_cli("restore", str(tmp_path / "junk.bak"), "--yes", env=env)
    assert out.returncode == 2 and "not a SQLite backup" in out.stderr
    out = run_cli("restore", str(tmp_path / "missing.bak"), "--yes", env=env)
    assert out.returncode == 2 and "no such backup file" in out.stderr
