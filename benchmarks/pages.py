"""Benchmark: how long the pages take on the server with 100,000 incidents in the register.

The register (SQLite by default, --database postgresql for a local PostgreSQL) gets --incidents incidents
over the scenario's three services (2% open, the rest resolved or closed, three history rows each), a few
changes and status updates; a real Prometheus serves the scenario's 91 days of probe history. Each page
is requested --repeat times in-process (FastAPI's test client: the server's own time, no network), signed
in as an agent; the first request of each page is reported apart (it fills the live-figure cache that
later requests share for SMS_PAGES_CACHE_SECONDS). The peer in the same run is the JSON API listing the
same 50 incidents, so the ratio page/API shows what rendering adds to the records service's reads.

Usage: .venv/bin/python benchmarks/pages.py [--incidents 100000 --repeat 20 --database sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient
from sqlalchemy import text

from sms_metrics.app import create_app
from sms_metrics.bootstrap import build
from sms_metrics.catalogue import parse_catalogue
from sms_metrics.config import Settings
from sms_metrics.localstack.prometheus import LocalPrometheus
from sms_metrics.register.records.access import SYSTEM
from tests.web import scenario
from tests.web.conftest import signed_in_client

ADMIN = "bench-admin"
WORDS = [
    "checkout",
    "payment",
    "timeout",
    "card",
    "database",
    "pool",
    "latency",
    "disk",
    "search",
    "index",
    "queue",
    "worker",
    "login",
    "cache",
]
SERVICES = ("checkout", "search", "payments")


def fill(system, n: int, seed: int = 7) -> None:
    """``n`` incidents and three history rows each, written in bulk (the records service would take minutes)."""
    rng, t0 = random.Random(seed), scenario.NOW - timedelta(days=365)
    incidents, history = [], []
    for i in range(1, n + 1):
        at = t0 + timedelta(minutes=5 * i * 365 * 288 // n)
        status = "new" if rng.random() < 0.02 else rng.choice(("resolved", "closed", "closed"))
        svc = rng.choice(SERVICES)
        title = " ".join(rng.sample(WORDS, 3))
        incidents.append(
            {
                "id": i,
                "status": status,
                "created_at": at,
                "updated_at": at,
                "priority": rng.choice(("P1", "P2", "P3", "P4")),
                "impact": 2,
                "urgency": 2,
                "service": svc,
                "fingerprint": f"fp{i}",
                "title": f"{svc}: {title}",
                "labels": "{}",
                "needs_triage": False,
                "opened_at": at,
                "occurrence_count": 1,
                "resolution_due_at": at + timedelta(hours=8),
            }
        )
        for k, (old, new) in enumerate(((None, "new"), ("new", "acknowledged"), ("acknowledged", status))):
            history.append(
                {
                    "kind": "incident",
                    "rid": i,
                    "actor": "bench",
                    "at": at + timedelta(minutes=k),
                    "field": "status",
                    "old": old,
                    "new": new,
                }
            )
    cols = ", ".join(incidents[0])
    with system.engine.begin() as con:
        con.execute(
            text(f"INSERT INTO incidents ({cols}) VALUES ({', '.join(':' + c for c in incidents[0])})"), incidents
        )
        con.execute(
            text(
                "INSERT INTO history (record_kind, record_id, actor, at, field, old, new) VALUES (:kind, :rid, :actor, :at, :field, :old, :new)"
            ),
            history,
        )
        if con.dialect.name == "postgresql":
            con.execute(text("SELECT setval('incidents_id_seq', :n)"), {"n": n})
            con.execute(text("ANALYZE"))
        else:
            con.execute(text("ANALYZE"))


def pages_of(system) -> dict[str, str]:
    mgr = SYSTEM
    change = system.records.create(
        "changes", mgr, {"title": "Upgrade the checkout database", "services": ["checkout"], "type": "emergency"}
    )
    system.records.move("changes", mgr, change.id, "approved")
    open_one = system.records.list("incidents", mgr, status="open", filters={"service": "checkout"}, limit=1)[0][0]
    system.records.create(
        "status-updates",
        mgr,
        {
            "title": "Checkout is slow",
            "message": "Looking into it.",
            "services": ["checkout"],
            "incidents": [open_one.id],
        },
    )
    return {
        "sign-in": "/sign-in",
        "home": "/",
        "register index": "/register",
        "incidents, newest 50": "/register/incidents",
        "incidents, open + service": "/register/incidents?status=open&service=checkout",
        "incidents, text search": "/register/incidents?q=pool+latency",
        "incidents, page 1000": "/register/incidents?page=1000",
        "incident": f"/register/incidents/{open_one.id}",
        "incident edit form": f"/register/incidents/{open_one.id}/edit",
        "new incident form": "/register/incidents/new",
        "change": f"/register/changes/{change.id}",
        "reports": "/reports",
        "status page": "/status",
        "status.json": "/status.json",
        "status feed": "/status/feed.atom",
    }


def measure(client, path: str, repeat: int, **kw) -> tuple[float, float]:
    t = time.perf_counter()
    r = client.get(path, **kw)
    first = (time.perf_counter() - t) * 1000
    assert r.status_code == 200, (path, r.status_code, r.text[:300])
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        client.get(path, **kw)
        times.append((time.perf_counter() - t) * 1000)
    return first, statistics.median(times)


def database_url(kind: str, work: Path, stack) -> str:
    if kind == "sqlite":
        return f"sqlite:///{work / 'register.db'}"
    from sms_metrics.localstack.postgres import LocalPostgres

    pg = stack.enter_context(LocalPostgres())
    return pg.create_database("pages")


def main() -> None:
    import contextlib

    ap = argparse.ArgumentParser()
    ap.add_argument("--incidents", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sms-pages-bench-"))
    scenario.write_history(work)
    with contextlib.ExitStack() as stack:
        prom = stack.enter_context(LocalPrometheus(work))
        settings = Settings(
            database_url=database_url(args.database, work, stack), prometheus_url=prom.url, admin_token=ADMIN
        )
        system = build(settings, catalogue=parse_catalogue(scenario.CATALOGUE), now=lambda: scenario.NOW)
        started = time.perf_counter()
        fill(system, args.incidents)
        print(
            f"{args.incidents:,} incidents and {3 * args.incidents:,} history rows on {args.database} in {time.perf_counter() - started:.0f}s"
        )
        app = create_app(settings, system=system)
        with TestClient(app) as admin:
            agent = admin.post(
                "/api/v1/tokens", json={"name": "alice", "role": "agent"}, headers={"Authorization": f"Bearer {ADMIN}"}
            ).json()["secret"]
        paths = pages_of(system)
        client = signed_in_client(app, agent)
        print(f"{'page':<28} {'first':>9} {'median':>9}   (of {args.repeat} after the first; limit 200 ms)")
        worst = 0.0
        for name, path in paths.items():
            first, med = measure(client, path, args.repeat)
            worst = max(worst, med)
            print(f"{name:<28} {first:8.1f}ms {med:8.1f}ms", flush=True)
        _, api = measure(
            TestClient(app), "/api/v1/incidents?limit=50", args.repeat, headers={"Authorization": f"Bearer {agent}"}
        )
        _, page = measure(client, paths["incidents, newest 50"], args.repeat)
        print(f"peer: JSON API, newest 50 incidents {api:.1f} ms; the page {page:.1f} ms: ratio {page / api:.2f}x")
        print(f"slowest page median {worst:.1f} ms: {'under' if worst < 200 else 'OVER'} 200 ms")
        system.close()


if __name__ == "__main__":
    main()
