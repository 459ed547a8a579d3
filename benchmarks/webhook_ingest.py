"""Benchmark: Alertmanager deliveries into `sms-metrics serve` on SQLite (WAL, synchronous=FULL).

(a) fixed rate: --rate payloads/s of --alerts new alerts each, open loop for --seconds; reports
    committed alerts (counted in the database afterwards) and latency percentiles.
(b) saturation: --senders senders, each waiting for its reply, for --seconds; alerts/s committed,
    against the same server with the database write skipped (SMS_WEBHOOK_SKIP_WRITE=1) as the ceiling.
    The two servers run back to back, --rounds times (default 3), and the medians are reported, the ratio
    as the median of each round's own: this machine's speed drifts by tens of percent between minutes,
    so a ceiling measured at another moment than its write run says little.
    Each measured run follows --warmup seconds (default 2) of the same load on the same server, not
    measured: the first deliveries of a fresh register propose a problem for each of the 50 services and
    meet code paths for the first time, a start-up transient of a few hundred ms.
    The senders are wrk's connections (Debian package `wrk`, a Lua script makes every alert new), so
    the load generator does not cap the figure: a Python client on the same two cores measured its
    own speed (about 150 deliveries/s with httpx) rather than the server's. Without wrk, or with
    --client httpx, the httpx senders are used and the figures say so.

Usage: .venv/bin/python benchmarks/webhook_ingest.py [--rate 20 --alerts 100 --seconds 60 --senders 50]
       [--only fixed|saturation] [--client wrk|httpx] [--warmup 2] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sms_metrics.localstack.prometheus import free_port

TOKEN = "bench-token"
_ids = itertools.count()


def make_payload(n: int) -> dict:
    alerts = []
    for _ in range(n):
        i = next(_ids)
        alerts.append(
            {
                "status": "firing",
                "fingerprint": f"{i:016x}",
                "startsAt": "2026-11-02T10:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus/graph",
                "labels": {
                    "alertname": "ErrorBudgetBurn",
                    "service": f"svc-{i % 50}",
                    "slo": "availability",
                    "severity": "page",
                },
                "annotations": {"summary": "burning"},
            }
        )
    return {
        "version": "4",
        "groupKey": "bench",
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "sms",
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "",
        "alerts": alerts,
    }


class Server:
    def __init__(self, work: Path, skip_write: bool):
        self.db = work / ("skip.db" if skip_write else "register.db")
        self.port = free_port()
        env = {
            **os.environ,
            "SMS_WEBHOOK_TOKEN": TOKEN,
            "SMS_DATABASE_URL": f"sqlite:///{self.db}",
            "SMS_WEBHOOK_SKIP_WRITE": "1" if skip_write else "0",
            "SMS_LOG_LEVEL": "WARNING",
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sms_metrics.cli", "serve", "--port", str(self.port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"http://127.0.0.1:{self.port}/api/v1/webhooks/alertmanager"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("serve did not start")

    def committed(self) -> int:
        con = sqlite3.connect(self.db)
        try:
            return con.execute("select count(*) from incident_occurrences").fetchone()[0]
        finally:
            con.close()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


async def fixed_rate(url: str, rate: float, n: int, seconds: float) -> tuple[list[float], int, int]:
    latencies, sent, failed = [], 0, 0
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=200)) as client:

        async def one(body):
            nonlocal failed
            t = time.perf_counter()
            r = await client.post(url, json=body, headers=headers)
            latencies.append(time.perf_counter() - t)
            failed += r.status_code != 200

        start, tasks = time.monotonic(), []
        k = 0
        while time.monotonic() - start < seconds:
            await asyncio.sleep(max(0.0, start + k / rate - time.monotonic()))
            tasks.append(asyncio.create_task(one(make_payload(n))))
            sent += n
            k += 1
        await asyncio.gather(*tasks)
    return latencies, sent, failed


async def saturate(url: str, senders: int, n: int, seconds: float) -> int:
    ok = 0
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=senders)) as client:
        deadline = time.monotonic() + seconds

        async def sender():
            nonlocal ok
            while time.monotonic() < deadline:
                r = await client.post(url, json=make_payload(n), headers=headers)
                ok += n if r.status_code == 200 else 0

        await asyncio.gather(*(sender() for _ in range(senders)))
    return ok


WRK_SCRIPT = r"""
local n = tonumber(os.getenv("BENCH_ALERTS") or "1")
local token = os.getenv("BENCH_TOKEN")
local threads, counter = 0, 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local head = '{"version":"4","groupKey":"bench","truncatedAlerts":0,"status":"firing","receiver":"sms",'
  .. '"groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"","alerts":['
local run = tonumber(os.getenv("BENCH_RUN") or "1")
local alert = '{"status":"firing","fingerprint":"%02x%x%013x","startsAt":"2026-11-02T10:00:00Z",'
  .. '"endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus/graph","labels":{"alertname":'
  .. '"ErrorBudgetBurn","service":"svc-%d","slo":"availability","severity":"page"},'
  .. '"annotations":{"summary":"burning"}}'
local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}
request = function()
  local parts = {}
  for i = 1, n do
    counter = counter + 1
    parts[i] = string.format(alert, tid, run, counter, counter % 50)
  end
  return wrk.format("POST", nil, headers, head .. table.concat(parts, ",") .. "]}")
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %.0f %.0f\n", summary.requests,
    e.status, e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(99)))
end
"""


def saturate_wrk(
    url: str, senders: int, n: int, seconds: float, work: Path, warmup: float = 0
) -> tuple[int, float, float, int]:
    """(alerts answered 2xx, p50 ms, p99 ms, alerts answered 2xx in the warm-up) with ``senders`` wrk
    connections for ``seconds``, after ``warmup`` seconds of the same load that are not measured."""
    script = work / "alerts.lua"
    script.write_text(WRK_SCRIPT)
    runs = []
    for duration, prefix in ((warmup, "0"), (seconds, "1")) if warmup else ((seconds, "1"),):
        out = subprocess.run(
            ["wrk", "-t1", f"-c{senders}", f"-d{duration:g}s", "--timeout", "30s", "-s", str(script), url],
            env={**os.environ, "BENCH_ALERTS": str(n), "BENCH_TOKEN": TOKEN, "BENCH_RUN": prefix},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        m = re.search(r"^RESULT (\d+) (\d+) (\d+) (\d+) (\d+)$", out, re.M)
        if not m:
            raise RuntimeError(f"wrk printed no result:\n{out}")
        done, bad_status, errors, p50, p99 = map(int, m.groups())
        runs.append(((done - bad_status - errors) * n, p50 / 1e6, p99 / 1e6))
    ok, p50, p99 = runs[-1]
    return ok, p50, p99, runs[0][0] if warmup else 0


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rate", type=float, default=20)
    ap.add_argument("--alerts", type=int, nargs="+", default=[1, 10, 100])
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--senders", type=int, default=50)
    ap.add_argument("--only", choices=["fixed", "saturation"], help="run one of the two parts")
    ap.add_argument("--client", choices=["wrk", "httpx"], help="saturation senders (default: wrk when installed)")
    ap.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="saturation rounds per size, each the write server then the ceiling, back to back; medians reported",
    )
    ap.add_argument(
        "--warmup",
        type=float,
        default=2,
        help="seconds of the same load before each measured saturation run, not measured (wrk only; 0: none)",
    )
    args = ap.parse_args()
    client = args.client or ("wrk" if shutil.which("wrk") else "httpx")
    if client == "httpx":
        print("(b) senders: httpx in this process; the figures are capped by the client (apt-get install wrk)")
    work = Path(tempfile.mkdtemp(prefix="sms-bench-webhook-"))
    for n in args.alerts if args.only != "saturation" else []:
        server = Server(work / f"fixed-{n}", False) if (work / f"fixed-{n}").mkdir() is None else None
        try:
            lat, sent, failed = asyncio.run(fixed_rate(server.url, args.rate, n, args.seconds))
            got = server.committed()
            print(
                f"(a) {args.rate:g} payloads/s x {n} alerts for {args.seconds:g}s: sent {sent}, committed {got}, "
                f"non-2xx {failed}; latency p50 {pct(lat, 50) * 1000:.0f} ms, p99 {pct(lat, 99) * 1000:.0f} ms",
                flush=True,
            )
        finally:
            server.stop()
    for n in args.alerts if args.only != "fixed" else []:
        rounds = []  # (committed/s, ceiling/s, p50, p99): each round runs both servers back to back
        for r in range(args.rounds):
            results, latency = {}, {}
            for skip in (False, True):
                d = work / f"sat-{n}-{r}-{skip}"
                d.mkdir()
                server = Server(d, skip)
                try:
                    warm = 0
                    if client == "wrk":
                        results[skip], p50, p99, warm = saturate_wrk(
                            server.url, args.senders, n, args.seconds / 2, d, warmup=args.warmup
                        )
                        latency[skip] = (p50, p99)
                    else:
                        results[skip] = asyncio.run(saturate(server.url, args.senders, n, args.seconds / 2))
                        latency[skip] = (float("nan"), float("nan"))
                    if not skip:
                        committed = server.committed()
                        if committed < results[skip] + warm:
                            raise RuntimeError(
                                f"{results[skip] + warm} alerts answered 2xx but only {committed} committed"
                            )
                finally:
                    server.stop()
            rate, ceiling = results[False] / (args.seconds / 2), results[True] / (args.seconds / 2)
            rounds.append((rate, ceiling, *latency[False]))
            if args.rounds > 1:
                print(
                    f"    round {r + 1}: {rate:.0f} alerts/s committed (p50 {latency[False][0] * 1000:.0f} ms, "
                    f"p99 {latency[False][1] * 1000:.0f} ms), ceiling {ceiling:.0f}: {100 * rate / max(ceiling, 1):.0f}%",
                    flush=True,
                )
        med = [statistics.median(x[k] for x in rounds) for k in range(4)]
        ratio = statistics.median(x[0] / max(x[1], 1) for x in rounds)
        lat = f"; p50 {med[2] * 1000:.0f} ms, p99 {med[3] * 1000:.0f} ms" if client == "wrk" else ""
        print(
            f"(b) {args.senders} senders ({client}) x {n} alerts: {med[0]:.0f} alerts/s committed{lat}, ceiling "
            f"without the write {med[1]:.0f} alerts/s: {100 * ratio:.0f}% (target >= 50%)"
            + (f" (medians of {args.rounds} rounds; the ratio is each round's, its median)" if args.rounds > 1 else ""),
            flush=True,
        )


if __name__ == "__main__":
    main()
