"""Benchmark: the generated rules for N SLOs on a real Prometheus with 30 days of backfilled data.

Backfills, up to a minute ago, 30 days of one 1-minute probe series per service and of its
recorded ``slo:sli_error:ratio_rate5m`` series (what the rules would have recorded), starts
Prometheus with the generated rules (evaluation every 1m) and reports:
  * rule group evaluation time per interval (sum and max of every group's ``evaluationTime``,
    the value behind ``prometheus_rule_group_last_duration_seconds``), median of 3 cycles;
  * a 30-day availability query via the recorded series versus a raw ``[30d]`` range over the
    source series: samples touched (``stats=all``) and time, for one SLO and for all of them.

Usage: .venv/bin/python benchmarks/rules_evaluation.py [--services 1000] [--work DIR] [--reuse]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sms_metrics.catalogue.model import Catalogue
from sms_metrics.localstack.prometheus import LocalPrometheus, backfill
from sms_metrics.rules.generator import catalogue_rules
from sms_metrics.rules.writer import write_rules

DAYS = 30


def name(i: int) -> str:
    return f"svc-{i:04d}"


def catalogue(n: int) -> Catalogue:
    return Catalogue.model_validate(
        {
            "apiVersion": "sms-metrics/v1",
            "services": [
                {
                    "name": name(i),
                    "slos": [
                        {
                            "name": "availability",
                            "objective": 99.9,
                            "window": "30d",
                            "sli": {"probe": f'probe_success{{service="{name(i)}"}}'},
                        }
                    ],
                }
                for i in range(n)
            ],
        }
    )


def write_history(path: Path, n: int, end: datetime) -> int:
    rng = np.random.default_rng(3)
    minutes = DAYS * 1440
    t0 = int(end.timestamp()) // 60 * 60 - minutes * 60
    ts = [f" {t0 + 60 * k}\n" for k in range(minutes)]
    recorded = []
    with open(path, "w") as out:
        out.write("# TYPE probe_success gauge\n")
        for i in range(n):
            up = np.ones(minutes)
            for _ in range(int(rng.integers(0, 4))):
                a = int(rng.integers(0, minutes - 60))
                up[a : a + int(rng.integers(1, 60))] = 0
            prefix = f'probe_success{{service="{name(i)}",probe="{name(i)}-eu"}} '
            out.write("".join(prefix + ("1" if v else "0") + t for v, t in zip(up, ts)))
            recorded.append(up)
        for window, size in (("1h", 60),):  # what the rules would have recorded each minute (the 30d reads it)
            out.write(f"# TYPE slo:sli_error:ratio_rate{window} gauge\n")
            for i, up in enumerate(recorded):
                ratio = np.clip(1 - np.convolve(up, np.ones(size) / size, mode="full")[:minutes], 0, 1)
                lab = (
                    f'service="{name(i)}",slo="availability",sloth_id="{name(i)}-availability",'
                    f'sloth_service="{name(i)}",sloth_slo="availability",sloth_window="{window}"'
                )
                prefix = f"slo:sli_error:ratio_rate{window}{{{lab}}} "
                out.write("".join(f"{prefix}{v:.4g}{t}" for v, t in zip(ratio, ts)))
        out.write("# EOF\n")
    return 2 * n * minutes


def evaluation_cycles(url: str, cycles: int, timeout: float) -> list[tuple[float, float, int]]:
    """(sum, max, groups) of evaluationTime over ``cycles`` fresh evaluation rounds."""
    seen, out = None, []
    deadline = time.monotonic() + timeout
    while len(out) < cycles and time.monotonic() < deadline:
        groups = requests.get(f"{url}/api/v1/rules", timeout=30).json()["data"]["groups"]
        stamp = min(g.get("lastEvaluation", "") for g in groups)
        if stamp.startswith("20") and stamp != seen:
            if seen is not None:
                times = [g["evaluationTime"] for g in groups]
                out.append((sum(times), max(times), len(groups)))
                by_rule: dict[str, float] = {}
                for g in groups:
                    for r in g["rules"]:
                        by_rule[r["name"]] = by_rule.get(r["name"], 0) + r.get("evaluationTime", 0)
                top = ", ".join(f"{k} {v:.2f}s" for k, v in sorted(by_rule.items(), key=lambda kv: -kv[1])[:4])
                print(
                    f"  cycle: {len(groups)} groups, sum {sum(times):.2f}s, max {max(times):.3f}s; top: {top}",
                    flush=True,
                )
            seen = stamp
        time.sleep(2)
    return out


def query_cost(url: str, expr: str, at: float, repeat: int = 5) -> tuple[int, float]:
    times, samples = [], 0
    for _ in range(repeat):
        t = time.perf_counter()
        body = requests.get(
            f"{url}/api/v1/query", params={"query": expr, "time": at, "stats": "all"}, timeout=600
        ).json()
        times.append(time.perf_counter() - t)
        assert body["status"] == "success", body
        samples = body["data"].get("stats", {}).get("samples", {}).get("totalQueryableSamples", 0)
    return samples, statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--services", type=int, default=1000)
    ap.add_argument("--work", type=Path, default=Path("/tmp/sms-bench-rules"))
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument("--cycles", type=int, default=3)
    args = ap.parse_args()
    n, work = args.services, args.work
    cat = catalogue(n)
    rules_dir = work / "rules"
    write_rules(catalogue_rules(cat), rules_dir, source="benchmark")
    if not (args.reuse and (work / "tsdb").exists()):
        work.mkdir(parents=True, exist_ok=True)
        end = datetime.now(UTC) - timedelta(minutes=1)
        t = time.perf_counter()
        lines = write_history(work / "history.om", n, end)
        print(f"history: {lines:,} samples in {time.perf_counter() - t:.1f}s", flush=True)
        t = time.perf_counter()
        backfill(work / "history.om", work / "tsdb")
        print(f"promtool backfill: {time.perf_counter() - t:.1f}s", flush=True)
        (work / "history.om").unlink()
    files = sorted(str(p) for p in rules_dir.glob("*.yml"))
    n_rules = sum(Path(f).read_text().count("- record:") + Path(f).read_text().count("- alert:") for f in files)
    with LocalPrometheus(work, rule_files=files, scrape_interval="1m") as prom:
        print(f"Prometheus with {n_rules} rules for {n} SLOs; waiting for {args.cycles} evaluation cycles", flush=True)
        cycles = evaluation_cycles(prom.url, args.cycles, timeout=60 * (args.cycles + 3))
        at = time.time()
        one = name(0)
        rec1 = query_cost(prom.url, f'slo:sli_error:ratio_rate30d{{sloth_id="{one}-availability"}}', at)
        raw1 = query_cost(prom.url, f'1 - avg_over_time(probe_success{{service="{one}"}}[30d])', at)
        rec_all = query_cost(prom.url, "slo:sli_error:ratio_rate30d", at, 3)
        raw_all = query_cost(prom.url, "1 - avg_over_time(probe_success[30d])", at, 3)
    med_sum = statistics.median(c[0] for c in cycles) if cycles else float("nan")
    med_max = statistics.median(c[1] for c in cycles) if cycles else float("nan")
    print(f"rule evaluation per 1m interval: sum of groups {med_sum:.2f}s (target < 5s), slowest group {med_max:.3f}s")
    for label, rec, raw in (("one SLO", rec1, raw1), (f"all {n} SLOs", rec_all, raw_all)):
        print(
            f"30-day availability, {label}: recorded {rec[0]:,} samples in {rec[1] * 1000:.1f} ms; "
            f"raw [30d] {raw[0]:,} samples in {raw[1] * 1000:.1f} ms; "
            f"{raw[0] / max(rec[0], 1):,.0f}x fewer samples (target >= 20x), {raw[1] / rec[1]:.1f}x faster"
        )


if __name__ == "__main__":
    main()
