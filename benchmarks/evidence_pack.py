"""Benchmark: the auditor's evidence pack of one service and one month, with 10,000 incidents and 1,000
changes of that service in the month (and as many again outside it: other services, the month before),
through `sms-metrics serve` on SQLite with a real Prometheus over the month's probe history.

Figures (medians over --repeats): (1) GET /api/v1/evidence (the zip), (2) `sms-metrics evidence` as a user
runs it (process start included), and their peer in the same run: reading the same number of records
(10,000 incidents and 1,000 changes) through the list API, 1,000 per page. Target: the pack under 10 s.

Usage: .venv/bin/python benchmarks/evidence_pack.py [--incidents 10000 --changes 1000 --repeats 5]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sms_metrics.localstack.openmetrics import write_eof, write_family
from sms_metrics.localstack.prometheus import LocalPrometheus, backfill, free_port
from sms_metrics.register.base import History, Link
from sms_metrics.register.db import make_engine
from sms_metrics.register.kinds.changes import Change
from sms_metrics.register.kinds.incidents import Incident
from sms_metrics.register.migrations import upgrade

TOKEN = "bench-admin"
OCT, SEP = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 9, 1, tzinfo=UTC)
CATALOGUE = """
apiVersion: sms-metrics/v1
services:
  - name: checkout
    criticality: high
    sla: {availability_target: 99.9, response_minutes: {P1: 15, P2: 60, P3: 240, P4: 1440},
          resolution_minutes: {P1: 240, P2: 480, P3: 2880, P4: 10080}}
    slos:
      - {name: availability, objective: 99.9, window: 30d, sli: {probe: 'probe_success{service="checkout"}'}}
  - name: search
    criticality: medium
    sla: {availability_target: 99.5}
"""


def incident(i: int, service: str, start: datetime, rng: random.Random) -> tuple[dict, list[dict]]:
    t = start + timedelta(seconds=rng.randrange(28 * 86400))
    state = rng.choice(["resolved", "closed", "closed", "new", "acknowledged"]) if start == OCT else "closed"
    row = {
        "id": i, "status": state, "created_at": t, "updated_at": t + timedelta(hours=2), "priority": "P2", "impact": 1, "urgency": 2,
        "service": service, "fingerprint": f"fp{i}", "alertname": "ErrorBudgetBurn", "title": f"{service} burns its budget",
        "labels": {"severity": "page"}, "needs_triage": False, "opened_at": t, "occurrence_count": 1,
        "response_due_at": t + timedelta(hours=1), "resolution_due_at": t + timedelta(hours=8),
        "acknowledged_at": t + timedelta(minutes=rng.randrange(5, 90)),
        "resolved_at": t + timedelta(hours=2) if state in ("resolved", "closed") else None,
    }  # fmt: skip
    fields = ["status", "priority", "title", "urgency", "impact", "service", "occurrence_count", "resolution_due_at"]
    hist = [
        {
            "record_kind": "incident",
            "record_id": i,
            "actor": "alertmanager",
            "at": t,
            "field": f,
            "old": None,
            "new": "x",
        }
        for f in fields
    ]
    hist += [
        {
            "record_kind": "incident",
            "record_id": i,
            "actor": "alice",
            "at": t + timedelta(hours=2),
            "field": "status",
            "old": "new",
            "new": state,
        }
    ]
    return row, hist


def change(i: int, start: datetime, rng: random.Random) -> tuple[dict, list[dict]]:
    t = start + timedelta(seconds=rng.randrange(28 * 86400))
    row = {"id": i, "status": rng.choice(["requested", "approved", "closed"]), "created_at": t, "updated_at": t, "title": f"change {i}",
               "type": "normal", "risk": "medium", "maintenance_window": False}  # fmt: skip
    hist = [
        {"record_kind": "change", "record_id": i, "actor": "mia", "at": t, "field": f, "old": None, "new": "x"}
        for f in ("status", "title", "type", "risk", "services")
    ]
    if i % 10 == 0:
        hist.append(
            {
                "record_kind": "change",
                "record_id": i,
                "actor": "mia",
                "at": t,
                "field": "override:error_budget",
                "old": "spent",
                "new": "CAB",
            }
        )
    return row, hist


def fill(url: str, n_inc: int, n_chg: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    rng = random.Random(7)
    incs, chgs, hist, links = [], [], [], []
    for i in range(1, 3 * n_inc + 1):  # checkout in October, search in October, checkout in September
        service, start = [("checkout", OCT), ("search", OCT), ("checkout", SEP)][(i - 1) // n_inc]
        row, h = incident(i, service, start, rng)
        incs.append(row)
        hist += h
    for i in range(1, 2 * n_chg + 1):
        row, h = change(i, OCT, rng)
        chgs.append(row)
        hist += h
        links.append(
            {"kind": "change", "record_id": i, "field": "services", "target": "checkout" if i <= n_chg else "search"}
        )
    with engine.begin() as con:
        for table, rows in ((Incident, incs), (Change, chgs), (Link, links), (History, hist)):
            for k in range(0, len(rows), 5000):
                con.execute(table.__table__.insert(), rows[k : k + 5000])
        con.exec_driver_sql("ANALYZE")
    engine.dispose()
    print(f"register: {len(incs):,} incidents, {len(chgs):,} changes, {len(hist):,} history rows", flush=True)


def prometheus(work: Path) -> LocalPrometheus:
    ts = (
        np.arange(datetime(2026, 9, 30, tzinfo=UTC).timestamp(), datetime(2026, 11, 2, tzinfo=UTC).timestamp(), 60.0)
        + 15
    )
    values = np.where((ts % 86400) < 300, 0.0, 1.0)  # five minutes down every day
    with open(work / "h.om", "w") as out:
        write_family(out, "probe_success", "gauge", [({"service": "checkout", "probe": "home"}, ts, values)])
        write_eof(out)
    backfill(work / "h.om", work / "tsdb")
    return LocalPrometheus(work).start()


def timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--incidents", type=int, default=10_000)
    ap.add_argument("--changes", type=int, default=1_000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sms-evidence-bench-"))
    url = f"sqlite:///{work / 'register.db'}"
    fill(url, args.incidents, args.changes)
    (work / "sms.yaml").write_text(CATALOGUE)
    prom = prometheus(work)
    port = free_port()
    env = {
        **os.environ,
        "SMS_DATABASE_URL": url,
        "SMS_ADMIN_TOKEN": TOKEN,
        "SMS_LOG_LEVEL": "WARNING",
        "SMS_CATALOGUE": str(work / "sms.yaml"),
        "SMS_PROMETHEUS_URL": prom.url,
        "SMS_SLA_CHECK_SECONDS": "86400",
    }  # fmt: skip  (the clock job would escalate the open incidents meanwhile)
    server = subprocess.Popen(
        [sys.executable, "-m", "sms_metrics.cli", "serve", "--port", str(port), "--catalogue", str(work / "sms.yaml")],
        env=env,
    )
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=120
        ) as http:
            for _ in range(150):
                try:
                    if http.get("/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            run(http, env, work, args)
    finally:
        server.terminate()
        server.wait(10)
        prom.stop()


def run(http: httpx.Client, env: dict, work: Path, args) -> None:
    params = {"service": "checkout", "period": "2026-10"}
    r = http.get("/api/v1/evidence", params=params)  # warm up, and check what the pack holds
    assert r.status_code == 200, r.text
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        manifest = json.loads(z.read("evidence-checkout-2026-10/manifest.json"))
    counts = {s["path"]: s["records"] for s in manifest["sections"]}
    assert counts["incidents"] == args.incidents and counts["changes"] == args.changes, counts
    print(f"pack: {len(r.content) / 1e6:.1f} MB zip, {len(manifest['files'])} files, "
          f"availability {manifest['sla']['availability_percent']}%", flush=True)  # fmt: skip
    api = timed(lambda: http.get("/api/v1/evidence", params=params).raise_for_status(), args.repeats)
    cli = [sys.executable, "-m", "sms_metrics.cli", "evidence", "-s", "checkout", "--period", "2026-10"]
    shell = timed(
        lambda: subprocess.run([*cli, "-o", str(work / "out")], env=env, check=True, capture_output=True), args.repeats
    )

    def peer():
        for path, n in (("incidents", args.incidents), ("changes", args.changes)):
            for offset in range(0, n, 1000):
                http.get(f"/api/v1/{path}", params={"limit": 1000, "offset": offset}).raise_for_status()

    listed = timed(peer, args.repeats)
    base = statistics.median(listed)
    for name, values in (
        ("GET /api/v1/evidence", api),
        ("sms-metrics evidence (CLI)", shell),
        ("peer: list API, same count", listed),
    ):
        med = statistics.median(values)
        print(f"{name:<30} median {med:6.2f} s  (min {min(values):.2f}, max {max(values):.2f})  x{med / base:.1f} peer")


if __name__ == "__main__":
    main()
