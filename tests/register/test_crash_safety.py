"""Crash safety at scale: 200 SIGKILLs at random moments under a steady webhook load from senders that
retry like Alertmanager (the same delivery until a 2xx). On SQLite, 20 of them kill the whole service (its
process group: server, fork server and writer) and 180 kill the writer process alone, in the middle of its
transactions (it restarts in milliseconds, the whole service in seconds). Afterwards every delivery that got
a 2xx is in the register exactly once, no incident is duplicated and the database is intact. On PostgreSQL
the service is killed 20 times and the database server itself is crashed and restarted under load."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time

import pytest
import requests

from sms_metrics.localstack.prometheus import free_port
from tests.e2e.test_alert_to_incident import SERVE_START
from tests.register.conftest import WEBHOOK, Database, alert, payload

pytestmark = [pytest.mark.integration, pytest.mark.serial]  # load and timing: run alone
SERVICE_KILLS = 20
WRITER_KILLS = 9  # after each service restart


class Sender(threading.Thread):
    """Deliveries of 1-3 new alerts, each retried until a 2xx, like Alertmanager's retries."""

    def __init__(self, url: str, name: str):
        super().__init__(daemon=True)
        self.url, self.name = url, name
        self.acked: list[str] = []
        self.stop = threading.Event()
        self.attempts = 0

    def run(self):
        rng, i = random.Random(self.name), 0
        with requests.Session() as http:
            while not self.stop.is_set():
                fps = [f"{self.name}-{i}-{j}" for j in range(rng.randint(1, 3))]
                body = payload(*(alert(fp) for fp in fps))
                while not self.stop.is_set():
                    self.attempts += 1
                    try:
                        r = http.post(self.url, json=body, headers={"Authorization": f"Bearer {WEBHOOK}"}, timeout=5)
                        if r.status_code == 200:
                            self.acked += fps
                            break
                    except requests.RequestException:
                        pass
                    time.sleep(0.02)
                i += 1


class Service:
    def __init__(self, url: str, tmp_path):
        self.port = free_port()
        self.env = {**os.environ, "SMS_WEBHOOK_TOKEN": WEBHOOK, "SMS_DATABASE_URL": url, "SMS_LOG_LEVEL": "ERROR"}
        self.log = open(tmp_path / "serve.log", "ab")  # noqa: SIM115 - appended to by every run
        self.proc = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sms_metrics.cli", "serve", "--port", str(self.port)],
            env=self.env,
            stdout=self.log,
            stderr=self.log,
            start_new_session=True,
        )
        deadline = time.monotonic() + SERVE_START
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{self.port}/healthz", timeout=0.5).ok:
                    return
            except requests.RequestException:
                time.sleep(0.02)
        raise AssertionError("serve did not start")

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)  # the service, its fork server and its writer
        self.proc.wait(10)

    def kill_writer(self) -> bool:
        """SIGKILL the writer process (the fork server's child; the next delivery starts a new one)."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for server in _children(self.proc.pid):
                for writer in _children(server):
                    os.kill(writer, signal.SIGKILL)
                    return True
            time.sleep(0.01)
        return False

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def _children(pid: int) -> list[int]:
    out = []
    for stat in os.listdir("/proc"):
        if stat.isdigit():
            try:
                with open(f"/proc/{stat}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(stat))
    return out


def _run(db: Database, tmp_path, kills: int, *, writer_kills: int = 0, during=None) -> tuple[list[Sender], int]:
    service = Service(db.url, tmp_path)
    url = f"http://127.0.0.1:{service.port}/api/v1/webhooks/alertmanager"
    senders = [Sender(url, f"s{k}") for k in range(4)]
    rng = random.Random(7)
    service.start()
    for s in senders:
        s.start()
    killed = 0
    try:
        for k in range(kills):
            for _ in range(writer_kills):
                time.sleep(rng.uniform(0.05, 0.3))
                killed += service.kill_writer()
            time.sleep(rng.uniform(0.0, 0.3))
            if during is not None and k % 10 == 5:
                during()
            service.kill()
            killed += 1
            service.start()
        time.sleep(1)
    finally:  # a failure or a timeout leaves no sender or service behind
        for s in senders:
            s.stop.set()
        for s in senders:
            s.join(30)
        if service.proc.poll() is None:
            service.stop()
    return senders, killed


def _check(db: Database, senders: list[Sender]) -> None:
    acked = [fp for s in senders for fp in s.acked]
    deliveries = sum(len({fp.rsplit("-", 1)[0] for fp in s.acked}) for s in senders)
    assert len(acked) >= 40 and sum(s.attempts for s in senders) > deliveries  # kills hit deliveries in flight
    stored = db.rows("SELECT fingerprint, count(*) FROM incidents GROUP BY fingerprint")
    assert [r for r in stored if r[1] > 1] == []  # no incident duplicated
    assert set(acked) <= {r[0] for r in stored}  # every acknowledged delivery is there
    occurrences = db.rows("SELECT fingerprint, count(*) FROM incident_occurrences GROUP BY fingerprint")
    assert [r for r in occurrences if r[1] > 1] == []
    assert db.rows(
        "SELECT count(*) FROM incident_occurrences o LEFT JOIN incidents i ON i.id = o.incident_id WHERE i.id IS NULL"
    ) == [(0,)]


def test_sigkills_under_load_lose_no_acknowledged_delivery_on_sqlite(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'register.db'}")
    senders, killed = _run(db, tmp_path, SERVICE_KILLS, writer_kills=WRITER_KILLS)
    assert killed == SERVICE_KILLS * (1 + WRITER_KILLS) == 200
    _check(db, senders)
    assert db.rows("PRAGMA integrity_check") == [("ok",)]


def test_service_kills_and_database_restarts_under_load_on_postgresql(postgres, tmp_path):
    db = Database(postgres.create_database("crash"))
    senders, killed = _run(db, tmp_path, SERVICE_KILLS, during=postgres.restart)
    assert killed == SERVICE_KILLS
    _check(db, senders)
