"""Benchmark: register reads through the HTTP API of `sms-metrics serve` on SQLite, with 100,000 records
across kinds and 1,000,000 history rows; and the impact of a CI in a 10,000-CI graph of depth 6.

Figures: median and p95 over --requests requests each of (1) a filtered list page, (2) one record,
(3) one record's history, (4) a CI's impact — and, beside them, the same SQL run straight on the SQLite
file (the floor that the API adds its work to).

Usage: .venv/bin/python benchmarks/register_api.py [--records 100000 --history 1000000 --requests 300]
       [--keep DIR]   (reuse a register built by an earlier run in DIR)
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sms_metrics.localstack.prometheus import free_port
from sms_metrics.register.db import make_engine
from sms_metrics.register.migrations import upgrade

TOKEN = "bench-admin"
SHARE = {
    "incidents": 0.55,
    "changes": 0.15,
    "problems": 0.05,
    "configuration_items": 0.10,
    "releases": 0.08,
    "service_change_proposals": 0.02,
    "capacity_plans": 0.05,
}
KIND_OF = {
    "incidents": "incident",
    "changes": "change",
    "problems": "problem",
    "configuration_items": "configuration_item",
    "releases": "release",
    "service_change_proposals": "service_change_proposal",
    "capacity_plans": "capacity_plan",
}
T0 = datetime(2026, 6, 1, tzinfo=UTC)


def ts(t: datetime) -> str:
    return t.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def rows_for(table: str, n: int, rng: random.Random):
    for i in range(1, n + 1):
        t = ts(T0 + timedelta(minutes=i))
        svc = f"svc-{rng.randrange(200)}"
        base = (i, rng.choice(STATES[table]), t, t)
        if table == "incidents":
            yield (*base, "P2", 2, 2, svc, f"fp{i}", f"{svc} burns its error budget", "{}", 0, t, 1)
        elif table == "changes":
            yield (*base, f"change {i} on {svc}", rng.choice(["normal", "standard", "emergency"]), "medium", 0)
        elif table == "problems":
            yield (*base, f"problem {i}", svc, "repeats")
        elif table == "configuration_items":
            yield (*base, f"ci-{i}", "server", svc, "{}")
        elif table == "releases":
            yield (*base, f"{svc} 1.{i}", svc, f"1.{i}", "[]")
        elif table == "service_change_proposals":
            yield (*base, f"proposal {i}", svc, "new", "[]")
        else:
            yield (*base, svc, f"res-{i}")


COLUMNS = {
    "incidents": "id, status, created_at, updated_at, priority, impact, urgency, service, fingerprint, title, labels,"
    " needs_triage, opened_at, occurrence_count",
    "changes": "id, status, created_at, updated_at, title, type, risk, maintenance_window",
    "problems": "id, status, created_at, updated_at, title, service, description",
    "configuration_items": "id, status, created_at, updated_at, name, type, service, attributes",
    "releases": "id, status, created_at, updated_at, title, service, version, test_evidence",
    "service_change_proposals": "id, status, created_at, updated_at, title, service, change, acceptance_tests",
    "capacity_plans": "id, status, created_at, updated_at, service, resource",
}
STATES = {
    "incidents": ["new", "acknowledged", "resolved", "closed", "closed", "closed"],
    "changes": ["requested", "approved", "completed", "closed", "closed"],
    "problems": ["proposed", "investigating", "resolved", "closed"],
    "configuration_items": ["active"],
    "releases": ["planned", "deployed", "verified", "closed"],
    "service_change_proposals": ["proposed", "approved", "live"],
    "capacity_plans": ["superseded"],
}


def build(path: Path, records: int, history: int, seed: int = 7) -> dict:
    """Fill a migrated register with records, links, a CI graph of depth 6 and history rows."""
    upgrade(make_engine(f"sqlite:///{path}"))
    rng = random.Random(seed)
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=OFF")
    counts = {t: int(records * s) for t, s in SHARE.items()}
    started = time.perf_counter()
    for table, n in counts.items():
        cols = COLUMNS[table]
        con.executemany(
            f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' * len(cols.split(',')))})", rows_for(table, n, rng)
        )
    con.executemany(
        "INSERT INTO links (kind, record_id, field, target) VALUES ('change', ?, 'services', ?)",
        ((i, f"svc-{rng.randrange(200)}") for i in range(1, counts["changes"] + 1)),
    )
    root = ci_graph(con, counts["configuration_items"], rng)
    per = history // records
    kinds = [(KIND_OF[t], n) for t, n in counts.items()]

    def history_rows():
        for kind, n in kinds:
            for rid in range(1, n + 1):
                for k in range(per):
                    yield (kind, rid, "bench", ts(T0 + timedelta(minutes=rid, seconds=k)), "status", "a", "b", None)

    con.executemany(
        "INSERT INTO history (record_kind, record_id, actor, at, field, old, new, reason) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        history_rows(),
    )
    con.commit()
    con.execute("ANALYZE")
    con.close()
    print(
        f"built {sum(counts.values()):,} records, {per * sum(counts.values()):,} history rows in "
        f"{time.perf_counter() - started:.0f}s",
        flush=True,
    )
    return {"root": root}


def ci_graph(con, n: int, rng: random.Random) -> int:
    """CIs 1..n, six levels under CI 1: each CI of a level depends on 1-3 CIs of the level above."""
    levels, sizes = [[1]], [1, 5, 40, 300, 1500, 3000, 4000]
    next_id = 2
    for size in sizes[1:]:
        level = list(range(next_id, next_id + size))
        next_id += size
        for ci in level:
            for target in rng.sample(levels[-1], min(len(levels[-1]), rng.randint(1, 3))):
                con.execute(
                    "INSERT INTO links (kind, record_id, field, target) VALUES "
                    "('configuration_item', ?, 'depends_on', ?)",
                    (ci, str(target)),
                )
        levels.append(level)
    rest = range(next_id, n + 1)  # the others hang off random CIs, outside the root's tree
    con.executemany(
        "INSERT INTO links (kind, record_id, field, target) VALUES ('configuration_item', ?, 'runs_on', ?)",
        ((ci, str(rng.choice(rest))) for ci in rest if rng.random() < 0.5),
    )
    return 1


def timed(fn, n: int) -> list[float]:
    out = []
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t) * 1000)
    return out


def summary(name: str, ms: list[float], floor: list[float] | None = None) -> None:
    med, p95 = statistics.median(ms), sorted(ms)[int(len(ms) * 0.95)]
    extra = f"   (SQL alone {statistics.median(floor):.2f} ms)" if floor else ""
    print(f"{name:<34} median {med:7.2f} ms   p95 {p95:7.2f} ms{extra}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--history", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--keep", type=Path)
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="sms-register-bench-"))
    db = work / "register.db"
    if not db.exists():
        build(db, args.records, args.history)
    port = free_port()
    env = {**os.environ, "SMS_DATABASE_URL": f"sqlite:///{db}", "SMS_ADMIN_TOKEN": TOKEN, "SMS_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen([sys.executable, "-m", "sms_metrics.cli", "serve", "--port", str(port)], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as http:
            for _ in range(100):
                try:
                    if http.get("/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            run(http, db, args.requests)
    finally:
        server.terminate()
        server.wait(10)
    print(f"register kept in {work} (--keep {work} reuses it)")


def run(http: httpx.Client, db: Path, n: int) -> None:
    rng = random.Random(1)
    con = sqlite3.connect(db)
    ids = [rng.randrange(1, 50_000) for _ in range(n)]
    svcs = [f"svc-{rng.randrange(200)}" for _ in range(n)]

    def ok(r):
        assert r.status_code == 200, r.text
        return r

    for _ in range(20):  # warm up
        ok(http.get("/api/v1/incidents", params={"status": "open", "service": "svc-1", "limit": 50}))
    summary(
        "list incidents status=open&service",
        timed(
            lambda i: ok(http.get("/api/v1/incidents", params={"status": "open", "service": svcs[i], "limit": 50})), n
        ),
        timed(
            lambda i: con.execute(
                "SELECT * FROM incidents WHERE status IN ('acknowledged','assigned','escalated',"
                "'new','pending') AND service = ? ORDER BY id DESC LIMIT 50",
                (svcs[i],),
            ).fetchall(),
            n,
        ),
    )
    summary(
        "list changes service=",
        timed(lambda i: ok(http.get("/api/v1/changes", params={"service": svcs[i], "limit": 50})), n),
    )
    summary(
        "get one incident",
        timed(lambda i: ok(http.get(f"/api/v1/incidents/{ids[i]}")), n),
        timed(lambda i: con.execute("SELECT * FROM incidents WHERE id = ?", (ids[i],)).fetchall(), n),
    )
    summary(
        "history of one incident",
        timed(lambda i: ok(http.get(f"/api/v1/incidents/{ids[i]}/history")), n),
        timed(
            lambda i: con.execute(
                "SELECT * FROM history WHERE record_kind = 'incident' AND record_id = ? ORDER BY id", (ids[i],)
            ).fetchall(),
            n,
        ),
    )
    impact = timed(lambda i: ok(http.get("/api/v1/configuration-items/1/impact")), max(20, n // 10))
    found = len(http.get("/api/v1/configuration-items/1/impact").json()["impacted"])
    summary(f"impact of CI-000001 ({found:,} CIs)", impact)


if __name__ == "__main__":
    main()
