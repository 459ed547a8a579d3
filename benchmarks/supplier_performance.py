"""Benchmark: monthly supplier performance for N suppliers × M probes against a real Prometheus.

Every probe has one sample a minute over October 2026 plus an hour either side (promtool backfill with
--max-block-duration=744h, one input file per block range, both backfilled in parallel). Each supplier gets 0–3 outages of 1–60 minutes on 1–5 of its probes, and a
fifth of the suppliers a probe with a 30-minute gap. Each repeat measures every supplier into a fresh
register (SQLite) — reading suppliers and contracts, the availability engine over every probe, one
record per supplier written — and the figures are checked against the truth computed here minute by
minute. Prints medians over --repeat runs, and Prometheus alone (avg_over_time over the month for every
probe series, one instant query) as the peer in the same run.

Usage: nice -n 19 .venv/bin/python benchmarks/supplier_performance.py --prepare-only   # the TSDB, once
       flock /tmp/sms-heavy.lock .venv/bin/python benchmarks/supplier_performance.py --reuse --repeat 5
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sms_metrics.bootstrap import build
from sms_metrics.config import Settings
from sms_metrics.localstack.prometheus import LocalPrometheus
from sms_metrics.register.kinds.supplier_measure import measure
from sms_metrics.register.records.access import SYSTEM

START = datetime(2026, 9, 30, 23, tzinfo=UTC)
END = datetime(2026, 11, 1, 1, tzinfo=UTC)
BLOCK = 744 * 3600  # promtool's --max-block-duration: blocks are aligned to it
MONTH = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
MINUTES = int((END - START).total_seconds() // 60)


def supplier(i: int) -> str:
    return f"sup-{i:03d}"


def plan(n: int, m: int, seed: int = 7) -> list[list[tuple[int, int, int]]]:
    """Per supplier, its outages and gaps: (probe, first minute, last minute + 1, kind 0 down / -1 gap)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        events = []
        for _ in range(int(rng.integers(0, 4))):
            a, length = int(rng.integers(0, MINUTES - 60)), int(rng.integers(1, 61))
            for p in rng.choice(m, size=min(m, int(rng.integers(1, 6))), replace=False):
                events.append((int(p), a, a + length, 0))
        if rng.random() < 0.2:
            a = int(rng.integers(0, MINUTES - 30))
            events.append((int(rng.integers(0, m)), a, a + 30, -1))
        out.append(events)
    return out


def _values(ones: list[str], ts: list[str], events) -> list[str]:
    """One probe's samples a minute: all good, but 0 in its outages and None (no sample) in its gaps."""
    if not events:
        return ones
    values: list = list(ones)
    for _, a, b, kind in events:
        for k in range(a, b):
            values[k] = None if kind < 0 else "0" + ts[k]
    return values


def write_history(paths: list[Path], n: int, m: int, events) -> int:
    """One OpenMetrics file per 744h-aligned block range, so promtool reads each sample once (it re-reads
    its whole input once per output block) and the files can be backfilled in parallel."""
    first = int(START.timestamp())
    cut = min(MINUTES, max(0, (-(-first // BLOCK) * BLOCK - first) // 60))  # the minute a new block starts
    ts = [f" {first + 60 * k + 7}" for k in range(MINUTES)]
    ones = ["1" + t for t in ts]
    with contextlib.ExitStack() as stack:
        outs = [stack.enter_context(open(p, "w")) for p in paths]
        for out in outs:
            out.write("# TYPE probe_success gauge\n")
        for i in range(n):
            for p in range(m):
                values = _values(ones, ts, [e for e in events[i] if e[0] == p])
                prefix = f'probe_success{{probe="p{p:02d}",supplier="{supplier(i)}"}} '
                for out, part in zip(outs, (values[:cut], values[cut:])):
                    part = [v for v in part if v is not None] if values is not ones else part
                    if part:
                        out.write(prefix + ("\n" + prefix).join(part) + "\n")
        for out in outs:
            out.write("# EOF\n")
    return n * m * MINUTES


def prepare(work: Path, n: int, m: int, events) -> None:
    import subprocess

    from sms_metrics.localstack.prometheus import find_binary

    work.mkdir(parents=True, exist_ok=True)
    paths = [work / "history-a.om", work / "history-b.om"]
    t = time.perf_counter()
    lines = write_history(paths, n, m, events)
    size = sum(p.stat().st_size for p in paths) / 1e9
    print(f"history: {lines:,} samples ({size:.1f} GB) in {time.perf_counter() - t:.0f}s", flush=True)
    t = time.perf_counter()
    promtool = find_binary("promtool", install_package="prometheus")
    procs = [
        subprocess.Popen(
            [
                promtool,
                "tsdb",
                "create-blocks-from",
                "openmetrics",
                f"--max-block-duration={BLOCK // 3600}h",
                str(p),
                str(work / "tsdb"),
            ],
            stdout=subprocess.DEVNULL,
        )
        for p in paths
    ]
    if any(p.wait() for p in procs):
        raise SystemExit("promtool backfill failed")
    print(
        f"promtool backfill (two files in parallel, --max-block-duration=744h): {time.perf_counter() - t:.0f}s",
        flush=True,
    )
    for p in paths:
        p.unlink()


def truth(events, m: int) -> float:
    """Availability over October: a minute is down when a probe reporting in it fails."""
    down = np.zeros(MINUTES, dtype=bool)
    present = np.ones((m, MINUTES), dtype=bool)
    for p, a, b, kind in events:
        if kind < 0:
            present[p, a:b] = False
    for p, a, b, kind in events:
        if kind == 0:
            down[a:b] |= present[p, a:b]
    lo = int((MONTH[0] - START).total_seconds() // 60)
    hi = int((MONTH[1] - START).total_seconds() // 60)
    counted = present[:, lo:hi].any(axis=0)
    d = int((down[lo:hi] & counted).sum())
    return 100 * (1 - d / int(counted.sum()))


def register(prom_url: str, n: int, work: Path):
    db = Path(tempfile.mkdtemp(dir=work)) / "r.db"
    settings = Settings(database_url=f"sqlite:///{db}", prometheus_url=prom_url, prometheus_timeout_seconds=600)
    system = build(settings, now=lambda: datetime(2026, 11, 3, tzinfo=UTC))
    for i in range(n):
        system.records.create("suppliers", SYSTEM, {"name": supplier(i)})
        con = system.records.create(
            "contracts",
            SYSTEM,
            {"title": "c", "supplier": supplier(i), "availability_target": 99.9, "term_start": "2026-01-01"},
        )
        system.records.move("contracts", SYSTEM, con.id, "active")
    return system


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suppliers", type=int, default=100)
    ap.add_argument("--probes", type=int, default=50)
    ap.add_argument("--work", type=Path, default=Path("/tmp/sms-bench-suppliers"))
    ap.add_argument("--reuse", action="store_true", help="reuse the TSDB of a previous run")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--prepare-only", action="store_true", help="write the TSDB and stop (run it niced, outside the lock)"
    )
    args = ap.parse_args()
    n, m = args.suppliers, args.probes
    events = plan(n, m)
    if not (args.reuse and (args.work / "tsdb").exists()):
        prepare(args.work, n, m, events)
    if args.prepare_only:
        return
    with LocalPrometheus(args.work) as proc:
        from sms_metrics.adapters.prometheus import PrometheusHTTP

        prom = PrometheusHTTP(proc.url, timeout=600)
        prom.query("count(probe_success)", MONTH[1])  # warm the block index
        peer, ours, results = [], [], None
        for _ in range(args.repeat):
            t = time.perf_counter()
            prom.query("avg_over_time(probe_success[31d])", MONTH[1])
            peer.append(time.perf_counter() - t)
            system = register(proc.url, n, args.work)
            t = time.perf_counter()
            results = measure(system, "2026-10")
            ours.append(time.perf_counter() - t)
            system.close()
            print(f"  run: sms-metrics {ours[-1]:.2f}s, prometheus alone {peer[-1]:.2f}s", flush=True)
    wrong = [
        o.supplier
        for o, ev in zip(results, events)
        if o.availability_percent is None or abs(o.availability_percent - truth(ev, m)) > 1e-5
    ]
    breached = sum(o.result == "breached" for o in results)
    a, b = statistics.median(ours), statistics.median(peer)
    print(
        f"suppliers: {n} × {m} probes; {breached} breached their 99.9% target; figures wrong: {len(wrong)} {wrong[:5]}"
    )
    print(
        f"sms-metrics supplier-performance measure, median of {args.repeat}: {a:.2f}s (target < 30 s: {'met' if a < 30 else 'NOT met'})"
    )
    print(f"prometheus alone, avg_over_time(probe_success[31d]) over {n * m} series, median: {b:.2f}s")
    print(f"ratio sms-metrics / prometheus alone: {a / b:.2f}x")


if __name__ == "__main__":
    main()
