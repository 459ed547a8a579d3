"""Benchmark: the webhook writer's cost per alert, in-process, against SQLite's own share of it.

The writer process is what limits the webhook at 10 and 100 alerts per delivery (docs/benchmarks.md).
This measures it without HTTP: groups of --deliveries deliveries of --alerts new alerts each (50 services,
as in webhook_ingest.py) are written with the writer's own `write_group` into a register on SQLite (WAL,
synchronous=FULL), and the exact rows each group inserted are then replayed, pre-built, through the bare
`sqlite3` driver into a second register with the same schema: three `executemany` and a commit per group,
no Python decisions. The first figure is what the writer costs; the second is the floor that no Python
above SQLite can go below with this schema and durability.

CPU time per alert (process time: the fsync's wait is not CPU) and wall time per alert, medians over the
groups; the first group (problem proposals for the 50 services) is not counted.

Usage: .venv/bin/python benchmarks/webhook_writer.py [--alerts 100] [--deliveries 25] [--groups 30]
"""

from __future__ import annotations

import argparse
import gc
import itertools
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sms_metrics.bootstrap import build
from sms_metrics.config import Settings
from sms_metrics.register.incidents import bulk
from sms_metrics.register.incidents.alert import AlertEvent
from sms_metrics.register.webhook import writer

START = datetime(2026, 11, 2, 10, tzinfo=UTC)


def deliveries(n_deliveries: int, n_alerts: int, ids) -> list[list[AlertEvent]]:
    return [
        [
            AlertEvent(
                status="firing",
                fingerprint=f"{i:016x}",
                starts_at=START,
                labels={
                    "alertname": "ErrorBudgetBurn",
                    "service": f"svc-{i % 50}",
                    "slo": "availability",
                    "severity": "page",
                },
                annotations={"summary": "burning"},
                generator_url="http://prometheus/graph",
            )
            for i in itertools.islice(ids, n_alerts)
        ]
        for _ in range(n_deliveries)
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--alerts", type=int, default=100, help="alerts per delivery")
    ap.add_argument("--deliveries", type=int, default=25, help="deliveries per group (one transaction)")
    ap.add_argument("--groups", type=int, default=30)
    args = ap.parse_args()
    per_group = args.alerts * args.deliveries
    work = Path(tempfile.mkdtemp(prefix="sms-bench-writer-"))
    settings = Settings(database_url=f"sqlite:///{work / 'register.db'}")
    system = build(settings)
    window = timedelta(hours=1)
    writer._warm_up(system, None, window)

    captured: list[list[tuple[str, list]]] = []  # per group: (statement, rows) as sent to the driver
    insert_columns = bulk.insert_columns

    def capturing(session, table, columns):
        connection = session.connection()

        class Spy:
            def exec_driver_sql(self, sql, rows):
                captured[-1].append((sql, rows))
                return connection.exec_driver_sql(sql, rows)

        class Session:
            def connection(self):
                return Spy()

        insert_columns(Session(), table, columns)

    bulk.insert_columns = capturing  # type: ignore[assignment]
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)  # as the writer process runs
    ids = itertools.count()
    cpu, wall = [], []
    for g in range(args.groups + 1):
        group = deliveries(args.deliveries, args.alerts, ids)
        captured.append([])
        t, c = time.perf_counter(), time.process_time()
        replies = writer.write_group(system.sessions, group, catalogue=None, now=datetime.now(UTC), window=window)
        c, t = time.process_time() - c, time.perf_counter() - t
        if replies[0][0] != "ok":
            raise SystemExit(f"group {g} was not written: {replies[0]}")
        if g:  # the first group proposes a problem for each service
            cpu.append(c / per_group * 1e6)
            wall.append(t / per_group * 1e6)
    bulk.insert_columns = insert_columns  # type: ignore[assignment]

    # the floor: the same rows into the same schema, through the bare driver
    floor_db = work / "floor.db"
    source = sqlite3.connect(work / "register.db")
    schema = [
        r[0] for r in source.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'")
    ]
    source.close()
    con = sqlite3.connect(floor_db, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("PRAGMA foreign_keys=ON")
    for statement in schema:
        con.execute(statement)
    con.execute(f"ATTACH '{work / 'register.db'}' AS src")
    con.execute("INSERT INTO main.problems SELECT * FROM src.problems")  # the incidents' problem ids
    con.execute("DETACH src")
    floor_cpu, floor_wall = [], []
    for group_rows in captured[1:]:
        t, c = time.perf_counter(), time.process_time()
        con.execute("BEGIN IMMEDIATE")
        for sql, rows in group_rows:
            con.executemany(sql, rows)
        con.execute("COMMIT")
        floor_cpu.append((time.process_time() - c) / per_group * 1e6)
        floor_wall.append((time.perf_counter() - t) / per_group * 1e6)
    con.close()
    system.close()

    med = statistics.median
    print(
        f"{args.groups} groups of {args.deliveries} deliveries x {args.alerts} alerts ({per_group} alerts per transaction)"
    )
    print(f"  writer (write_group):        CPU {med(cpu):6.1f} us/alert, wall {med(wall):6.1f} us/alert")
    print(f"  SQLite floor (same rows):    CPU {med(floor_cpu):6.1f} us/alert, wall {med(floor_wall):6.1f} us/alert")
    print(
        f"  writer / floor: {med(cpu) / med(floor_cpu):.2f}x CPU; the writer's ceiling on one core: "
        f"{1e6 / med(cpu):,.0f} alerts/s, SQLite's: {1e6 / med(floor_cpu):,.0f} alerts/s"
    )


if __name__ == "__main__":
    main()
