"""Soak: `sms-metrics serve` for --minutes under a fixed mixed load (Alertmanager deliveries, API reads,
probes of a local target, the SLA and release jobs); memory (service + writer), open files and p99 latency
every --sample seconds, and their growth per hour (least squares after the first sample).

Usage: .venv/bin/python benchmarks/soak.py [--minutes 60 --sample 60 --webhook-rate 20 --read-rate 20]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sms_metrics.localstack.soak import run_soak


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--sample", type=float, default=60)
    ap.add_argument("--webhook-rate", type=float, default=20)
    ap.add_argument("--read-rate", type=float, default=20)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sms-soak-"))
    print(f"{'minute':>7} {'RSS MB':>8} {'files':>6} {'p99 ms':>8} {'requests':>9} {'errors':>7}", flush=True)
    result = run_soak(
        work,
        seconds=args.minutes * 60,
        sample_every=args.sample,
        webhook_rate=args.webhook_rate,
        read_rate=args.read_rate,
        on_sample=lambda s: print(
            f"{s.at / 60:7.1f} {s.rss_mb:8.1f} {s.open_files:6d} {s.p99_ms:8.1f} {s.requests:9d} {s.errors:7d}",
            flush=True,
        ),
    )
    print(
        f"growth per hour: RSS {result.slope('rss_mb'):+.1f} MB, open files {result.slope('open_files'):+.1f}, "
        f"p99 {result.slope('p99_ms'):+.1f} ms; register in {work}"
    )


if __name__ == "__main__":
    main()
