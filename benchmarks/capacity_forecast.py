"""Benchmark: capacity forecasts for N resources with 28 days (``--days``) of 5-minute history, end to
end, against two Nixtla statsforecast peers on the same series.

Generates varied 5-minute series (trends up and down, daily and weekly seasons of different strengths,
AR noise, level shifts, saturating growth), backfills all but the last 7 days into a real Prometheus
with promtool and keeps the last 7 as the truth. Then:
  * ours: `forecast_targets` for every resource (history read from Prometheus, model choice by
    rolling-origin backtest among five models and their averages, calibrated bands, exhaustion),
    on all cores: resources per second, end to end;
  * peers: statsforecast AutoETS (season_length=24) and MSTL (season_length=[24, 168], AutoETS trend)
    on the very hourly series our reader got, fit and forecast 168 hours with 80/95% levels,
    n_jobs = cores; run in their own virtual environment (statsforecast needs pandas < 3), created
    on first use;
  * accuracy of both one week ahead against the truth: mean MASE (scale: in-sample weekly seasonal
    naive of each training series), sMAPE, and the 95% interval's coverage.

Usage: .venv/bin/python benchmarks/capacity_forecast.py [--resources 1000] [--days 28] [--work DIR]
       [--reuse] [--peer-venv DIR] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sms_metrics.adapters.prometheus import PrometheusHTTP
from sms_metrics.capacity.run import forecast_targets, select_targets
from sms_metrics.catalogue.model import Catalogue
from sms_metrics.forecasting.backtest import mase, smape
from sms_metrics.localstack.prometheus import LocalPrometheus, backfill

DAY, HOUR, STEP = 86400, 3600, 300
TRUTH_DAYS = 7
PEER = Path(__file__).resolve().parent / "peers" / "statsforecast_peers.py"
PEERS = {"autoets": "statsforecast AutoETS(season_length=24)", "mstl": "statsforecast MSTL([24, 168]) + AutoETS trend"}


def name(i: int) -> str:
    return f"svc-{i:04d}"


def catalogue(n: int) -> Catalogue:
    return Catalogue.model_validate(
        {
            "apiVersion": "sms-metrics/v1",
            "services": [
                {
                    "name": name(i),
                    "capacity": [
                        {
                            "name": "usage",
                            "query": f'bench_usage{{service="{name(i)}"}}',
                            "limit": 1e9,
                            "direction": "up",
                            "lead_time": "3d",
                        }
                    ],
                }
                for i in range(n)
            ],
        }
    )


def make_series(rng, t: np.ndarray) -> np.ndarray:
    """One plausible capacity series over ``t`` (5-minute steps)."""
    n = len(t)
    days = (t - t[0]) / DAY
    level = rng.uniform(100, 1000)
    kind = rng.choice(["linear", "linear", "saturating", "flat", "shift"])
    slope = rng.uniform(-0.01, 0.02) * level  # per day
    trend = {
        "linear": slope * days,
        "flat": 0 * days,
        "shift": slope * days,
        "saturating": 0.3 * level * (1 - np.exp(-days / rng.uniform(10, 40))),
    }[kind]
    if kind == "shift":
        trend = trend + np.where(days > rng.uniform(5, 20), rng.uniform(-0.3, 0.3) * level, 0.0)
    phase = 2 * np.pi * (t % DAY) / DAY
    daily = rng.uniform(0, 0.25) * level * (np.sin(phase - rng.uniform(0, 2 * np.pi)) + 0.3 * np.sin(2 * phase))
    weekend = ((t // DAY + 3) % 7 >= 5).astype(float)
    weekly = -rng.uniform(0, 0.2) * level * weekend * rng.choice([0.0, 1.0], p=[0.3, 0.7])
    eps = rng.normal(0, rng.uniform(0.01, 0.05) * level, n)
    noise = np.empty(n)
    acc = 0.0
    phi = rng.uniform(0.3, 0.95)
    for k in range(n):  # AR(1) noise
        acc = phi * acc + eps[k]
        noise[k] = acc
    return level + trend + daily + weekly + noise * np.sqrt(1 - phi**2)


def generate(work: Path, n: int, end: int, days: int) -> np.ndarray:
    """Backfill ``days`` of history into work/tsdb; returns the hourly truth of the following week."""
    rng = np.random.default_rng(5)
    # Samples up to `end` inclusive are history; the truth is each hour (t - 1h, t] of the week after.
    t = np.arange(end - days * DAY + STEP, end + TRUTH_DAYS * DAY + 1, STEP, dtype=float)
    hist = t <= end
    truth = np.empty((n, TRUTH_DAYS * 24))
    om = work / "history.om"
    stamps = [f" {int(x)}\n" for x in t[hist]]
    with open(om, "w") as out:
        out.write("# TYPE bench_usage gauge\n")
        for i in range(n):
            y = make_series(rng, t)
            prefix = f'bench_usage{{service="{name(i)}"}} '
            out.write("".join(f"{prefix}{v:.6g}{s}" for v, s in zip(y[hist], stamps)))
            truth[i] = y[~hist].reshape(-1, HOUR // STEP).max(axis=1)  # the default aggregate: worst (up)
        out.write("# EOF\n")
    backfill(om, work / "tsdb")
    om.unlink()
    return truth


def ensure_peer(venv: Path) -> Path:
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"creating {venv} with statsforecast (pandas < 3) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "statsforecast", "pandas<3"], check=True)
    return python


def score(truth: np.ndarray, train: list[np.ndarray], mean: np.ndarray, lo95: np.ndarray, hi95: np.ndarray):
    mases = [mase(truth[i], mean[i], train[i], 168) for i in range(len(train))]
    smapes = [smape(truth[i], mean[i]) for i in range(len(train))]
    cover = float(np.mean((truth >= lo95) & (truth <= hi95)))
    return float(np.mean(mases)), float(np.median(mases)), float(np.mean(smapes)), cover


def run_peers(args, train: list[np.ndarray], truth: np.ndarray) -> tuple[dict, dict]:
    """Scores and seconds of each statsforecast peer on the same hourly series."""
    np.savez(args.work / "peer_input.npz", *train)
    python = ensure_peer(args.peer_venv)
    got = subprocess.run(
        [str(python), str(PEER), str(args.work / "peer_input.npz"), str(args.work / "peer_out.npz"), str(args.workers)],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = json.loads(got.stdout.strip().splitlines()[-1])["seconds"]
    out = np.load(args.work / "peer_out.npz")
    scores = {k: score(truth, train, out[f"{k}_mean"], out[f"{k}_lo95"], out[f"{k}_hi95"]) for k in PEERS}
    return scores, seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--resources", type=int, default=1000)
    ap.add_argument("--days", type=int, default=28, help="days of history in Prometheus")
    ap.add_argument("--work", type=Path, default=Path("/tmp/sms-capacity-bench"))
    ap.add_argument("--reuse", action="store_true", help="reuse the TSDB of a previous run with the same --work")
    ap.add_argument("--peer-venv", type=Path, default=Path("/tmp/sms-peer-statsforecast"))
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    meta = args.work / "meta.json"
    wanted = {"resources": args.resources, "days": args.days}
    if args.reuse and meta.exists() and {k: json.loads(meta.read_text()).get(k) for k in wanted} == wanted:
        end = json.loads(meta.read_text())["end"]
        truth = np.load(args.work / "truth.npy")
    else:
        end = (int(time.time()) // DAY - TRUTH_DAYS) * DAY  # history ends a week ago, at midnight
        t0 = time.perf_counter()
        truth = generate(args.work, args.resources, end, args.days)
        np.save(args.work / "truth.npy", truth)
        meta.write_text(json.dumps({**wanted, "end": end}))
        print(
            f"generated and backfilled {args.resources} x {args.days} d of 5-minute samples "
            f"in {time.perf_counter() - t0:.0f} s",
            flush=True,
        )
    cat = catalogue(args.resources)
    now = datetime.fromtimestamp(end, UTC)
    with LocalPrometheus(args.work) as prom:
        client = PrometheusHTTP(prom.url)
        t0 = time.perf_counter()
        outcomes = forecast_targets(client, select_targets(cat), now=now, horizon="7d", workers=args.workers)
        ours_s = time.perf_counter() - t0
    failed = [o for o in outcomes if not o.doc]
    print(
        f"ours: {len(outcomes)} resources in {ours_s:.1f} s end to end = {len(outcomes) / ours_s:.1f} "
        f"resources/s on {args.workers} workers ({len(failed)} not forecast)",
        flush=True,
    )
    docs = [o.doc for o in outcomes]
    train = [o.history.values for o in outcomes]
    col = lambda k: np.array([[p[k] for p in d["forecast"]] for d in docs], dtype=float)  # noqa: E731
    models: dict[str, int] = {}
    for d in docs:
        models[d["model"]] = models.get(d["model"], 0) + 1
    ours = score(truth, train, col("value"), col("lower_95"), col("upper_95"))
    peers, peer_s = run_peers(args, train, truth)
    fastest = min(peer_s.values())
    for key, label in PEERS.items():
        print(f"peer: {label} fit+forecast {peer_s[key]:.1f} s = {len(train) / peer_s[key]:.1f} series/s")
    print(
        f"(n_jobs={args.workers}; reading from Prometheus not included) time ratio ours/fastest peer: "
        f"{ours_s / fastest:.2f}x (target <= 2x); all {len(outcomes)} in {ours_s / 60:.1f} min (target < 10 min)"
    )
    print(f"{'':10s} {'MASE mean':>10s} {'MASE median':>12s} {'sMAPE':>7s} {'cover95':>8s}")
    for label, s in (("ours", ours), *((k, peers[k]) for k in PEERS)):
        print(f"{label:10s} {s[0]:10.3f} {s[1]:12.3f} {s[2]:7.2f} {s[3]:8.3f}")
    print("models chosen:", dict(sorted(models.items(), key=lambda kv: -kv[1])))


if __name__ == "__main__":
    main()
