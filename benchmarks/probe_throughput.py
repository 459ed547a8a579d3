"""Benchmark: N HTTP targets every 15 s against a local HTTP server, sms-metrics vs blackbox_exporter.

For each N: run `sms-metrics probe` (fresh connection per probe) for --seconds, then report the
share of late runs (started > 1 s behind schedule), skipped runs and the prober's CPU-seconds per
probe. In the same run, drive Debian's prometheus-blackbox-exporter through /probe at the same
targets and rate, measure its process CPU the same way, and print the ratio.

Usage: .venv/bin/python benchmarks/probe_throughput.py [--targets 1000 2000 5000] [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sms_metrics.localstack.prometheus import find_binary, free_port

INTERVAL = 15.0
SERVER = r"""
import asyncio, sys
async def handle(r, w):
    try:
        while (await r.readline()) not in (b"\r\n", b"\n", b""):
            pass
        w.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        await w.drain()
    finally:
        w.close()
async def main():
    s = await asyncio.start_server(handle, "127.0.0.1", int(sys.argv[1]), backlog=4096)
    await s.serve_forever()
asyncio.run(main())
"""


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def metric(text: str, name: str) -> float:
    return sum(float(m) for m in re.findall(rf"^{re.escape(name)}(?:{{[^}}]*}})? (\S+)$", text, re.M))


def run_sms(n: int, server_port: int, seconds: float, work: Path) -> dict:
    targets = [
        {
            "name": f"t{i}",
            "service": "bench",
            "module": "web",
            "target": f"http://127.0.0.1:{server_port}/t/{i}",
            "interval": "15s",
        }
        for i in range(n)
    ]
    cfg = work / f"probes-{n}.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "sms-metrics/v1",
                "modules": {"web": {"prober": "http", "timeout": "5s"}},
                "targets": targets,
            }
        )
    )
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sms_metrics.cli",
            "--log-level",
            "WARNING",
            "probe",
            "--config",
            str(cfg),
            "--port",
            str(port),
            "--concurrency",
            "1024",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/metrics")
        c0, t0 = cpu_seconds(proc.pid), time.monotonic()
        time.sleep(seconds)
        c1, t1 = cpu_seconds(proc.pid), time.monotonic()
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    finally:
        proc.terminate()
        proc.wait(10)
    runs = metric(text, "sms_probe_runs_total")
    ok = metric(text, 'sms_probe_runs_total{result="success"}') if 'result="success"' in text else 0
    return {
        "runs": runs,
        "success": ok,
        "late": metric(text, "sms_probe_late_runs_total"),
        "skipped": metric(text, "sms_probe_skipped_runs_total"),
        "cpu": c1 - c0,
        "expected": n * (t1 - t0) / INTERVAL,
    }


async def drive_blackbox(url: str, targets: list[str], seconds: float) -> int:
    """GET /probe for every target once per interval, evenly spread; returns probes done."""
    done = 0
    async with httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_connections=256)) as client:
        start = time.monotonic()
        gap = INTERVAL / len(targets)
        pending = set()
        k = 0
        while time.monotonic() - start < seconds:
            due = start + k * gap
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            t = targets[k % len(targets)]
            pending.add(asyncio.create_task(client.get(url, params={"target": t, "module": "http_2xx"})))
            k += 1
            if len(pending) > 512:
                finished, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                done += len(finished)
        finished, _ = await asyncio.wait(pending) if pending else (set(), set())
        return done + len(finished)


def run_blackbox(n: int, server_port: int, seconds: float, work: Path) -> dict:
    binary = find_binary("prometheus-blackbox-exporter", install_package="prometheus-blackbox-exporter")
    cfg = work / "blackbox.yml"
    cfg.write_text(
        yaml.safe_dump(
            {"modules": {"http_2xx": {"prober": "http", "timeout": "5s", "http": {"preferred_ip_protocol": "ip4"}}}}
        )
    )
    port = free_port()
    proc = subprocess.Popen(
        [binary, f"--config.file={cfg}", f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/metrics")
        c0 = cpu_seconds(proc.pid)
        probes = asyncio.run(
            drive_blackbox(
                f"http://127.0.0.1:{port}/probe", [f"http://127.0.0.1:{server_port}/t/{i}" for i in range(n)], seconds
            )
        )
        c1 = cpu_seconds(proc.pid)
    finally:
        proc.terminate()
        proc.wait(10)
    return {"runs": probes, "cpu": c1 - c0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--targets", type=int, nargs="+", default=[1000, 2000, 5000])
    ap.add_argument("--seconds", type=float, default=60)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sms-bench-probe-"))
    server_port = free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(server_port)])
    try:
        wait_http(f"http://127.0.0.1:{server_port}/")
        best = 0
        for n in args.targets:
            s = run_sms(n, server_port, args.seconds, work)
            late_share = (s["late"] + s["skipped"]) / max(s["runs"], 1)
            per_probe = s["cpu"] / max(s["runs"], 1)
            print(
                f"sms-metrics N={n}: {s['runs']:.0f} runs ({s['expected']:.0f} due), {s['success']:.0f} ok, "
                f"late {s['late']:.0f}, skipped {s['skipped']:.0f} ({100 * late_share:.2f}%), "
                f"CPU {s['cpu']:.1f}s = {per_probe * 1000:.2f} ms/probe",
                flush=True,
            )
            if late_share < 0.01 and s["runs"] >= 0.95 * s["expected"]:
                best = n
            b = run_blackbox(n, server_port, args.seconds, work)
            bb = b["cpu"] / max(b["runs"], 1)
            print(
                f"blackbox_exporter N={n}: {b['runs']} probes, CPU {b['cpu']:.1f}s = {bb * 1000:.2f} ms/probe; "
                f"sms-metrics/blackbox CPU per probe: {per_probe / bb:.2f}x (target <= 2x)",
                flush=True,
            )
        print(f"largest N held with < 1% late probes: {best} (target >= 5000 at 15 s)")
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
