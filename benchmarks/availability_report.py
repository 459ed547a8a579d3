"""Benchmark: monthly availability report for N services against a real Prometheus.

One 1-minute probe series per service over a 31-day month (October 2026) plus a day either
side, with a few outages and gaps per service, backfilled with promtool and served by a local
Prometheus. Prints, as medians over --repeat runs:
  * sms-metrics: the whole catalogue's monthly report (measure_catalogue), end to end;
  * Prometheus alone: avg_over_time(probe_success[31d]) for the same series (one instant query);
  * naive: one full-resolution range query per service (split at 11,000 points), on a sample
    of services and scaled to N.

Usage: .venv/bin/python benchmarks/availability_report.py [--services 1000] [--work DIR] [--reuse]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sms_metrics.adapters.prometheus import PrometheusHTTP
from sms_metrics.catalogue.model import Catalogue
from sms_metrics.localstack.prometheus import LocalPrometheus, backfill
from sms_metrics.reports.availability import measure_catalogue
from sms_metrics.reports.render import render
from sms_metrics.reports.sla_document import report_dict

START = datetime(2026, 9, 30, tzinfo=UTC)
END = datetime(2026, 11, 2, tzinfo=UTC)
PERIOD_END = datetime(2026, 11, 1, tzinfo=UTC)


def name(i: int) -> str:
    return f"svc-{i:04d}"


def write_history(path: Path, n: int, seed: int = 1) -> int:
    rng = np.random.default_rng(seed)
    minutes = int((END - START).total_seconds() // 60)
    ts = [f" {int(START.timestamp()) + 60 * k + 7}\n" for k in range(minutes)]
    lines = 0
    with open(path, "w") as out:
        out.write("# TYPE probe_success gauge\n")
        for i in range(n):
            values = np.ones(minutes, dtype=np.int8)
            for _ in range(int(rng.integers(0, 4))):  # 0-3 outages of 1-60 minutes
                a = int(rng.integers(0, minutes - 60))
                values[a : a + int(rng.integers(1, 60))] = 0
            gap = rng.random() < 0.2  # a fifth of the services have a gap
            g = int(rng.integers(0, minutes - 30)) if gap else -1
            prefix = f'probe_success{{service="{name(i)}",probe="{name(i)}-eu"}} '
            out.write(
                "".join(
                    prefix + ("1" if v else "0") + t
                    for k, (v, t) in enumerate(zip(values, ts))
                    if not (g <= k < g + 30)
                )
            )
            lines += minutes
        out.write("# EOF\n")
    return lines


def catalogue(n: int) -> Catalogue:
    return Catalogue.model_validate(
        {
            "apiVersion": "sms-metrics/v1",
            "services": [
                {
                    "name": name(i),
                    "sla": {"availability_target": 99.9},
                    "slos": [
                        {
                            "name": "availability",
                            "objective": 99.9,
                            "sli": {"probe": f'probe_success{{service="{name(i)}"}}'},
                        }
                    ],
                }
                for i in range(n)
            ],
        }
    )


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--services", type=int, default=1000)
    ap.add_argument("--work", type=Path, default=Path("/tmp/sms-bench-availability"))
    ap.add_argument("--reuse", action="store_true", help="reuse the TSDB of a previous run")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--naive-sample", type=int, default=100)
    args = ap.parse_args()
    n = args.services
    tsdb = args.work / "tsdb"
    if not (args.reuse and tsdb.exists()):
        args.work.mkdir(parents=True, exist_ok=True)
        om = args.work / "history.om"
        t = time.perf_counter()
        lines = write_history(om, n)
        print(f"history: {lines:,} samples written in {time.perf_counter() - t:.1f}s", flush=True)
        t = time.perf_counter()
        backfill(om, tsdb)
        print(f"promtool backfill: {time.perf_counter() - t:.1f}s", flush=True)
        om.unlink()
    cat = catalogue(n)
    with LocalPrometheus(args.work) as proc:
        prom = PrometheusHTTP(proc.url, timeout=600)
        prom.query("count(probe_success)", PERIOD_END)  # warm the block index
        base, res = timed(lambda: prom.query("avg_over_time(probe_success[31d])", PERIOD_END), args.repeat)
        print(f"prometheus alone: avg_over_time(probe_success[31d]) over {len(res)} series: {base:.2f}s", flush=True)
        now = PERIOD_END + timedelta(days=1)

        def report():
            reps = measure_catalogue(prom, cat, "2026-10", now=now, concurrency=args.concurrency)
            render([report_dict(r) for r in reps], "json", single=False)  # the JSON report, as the CLI writes it
            return reps

        ours, reports = timed(report, args.repeat)
        queries = round(sum(r.queries for r in reports))
        no_data = sum(1 for r in reports if r.figures.availability_percent is None)
        print(f"sms-metrics report: {n} services in {ours:.2f}s ({queries} queries, {no_data} without data)")
        sample = cat.services[: args.naive_sample]
        start = datetime(2026, 10, 1, tzinfo=UTC) + timedelta(minutes=1)

        def naive():
            return [prom.query_range(s.slos[0].sli.probe, start, PERIOD_END, 60) for s in sample]

        naive_t, _ = timed(naive, 1)
        naive_all = naive_t * n / len(sample)
        print(
            f"naive full-resolution range queries: {naive_t:.2f}s for {len(sample)} services, "
            f"~{naive_all:.1f}s scaled to {n}"
        )
        print(f"ratio sms-metrics / prometheus alone: {ours / base:.2f}x (target <= 3x)")
        print(f"ratio naive / sms-metrics: {naive_all / ours:.1f}x")
        print(f"target under 30 s: {'met' if ours < 30 else 'NOT met'} ({ours:.2f}s)")


if __name__ == "__main__":
    main()
