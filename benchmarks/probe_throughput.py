"""Benchmark: N HTTP targets every 15 s against a local HTTP server, sms-metrics vs blackbox_exporter.

For each N and each of --repeat rounds: run `sms-metrics probe` (fresh connection per probe) and,
right after it in the same round, Debian's prometheus-blackbox-exporter driven through /probe at the
same targets and rate. Each process gets --warmup seconds, then is measured for --seconds: probes
done, late runs (started > 1 s behind schedule) and skipped runs (sms-metrics' own counters, as
deltas over the window), and process CPU-seconds per probe from /proc. Prints every round, then the
medians per N and the largest N whose median late+skipped share stays under 1%; stops at the first
N that does not hold.

Usage: .venv/bin/python benchmarks/probe_throughput.py [--targets 5000 10000 15000] [--seconds 60]
       [--warmup 20] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
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
try:
    import uvloop  # the same fast server for both probers
    uvloop.run(main())
except ImportError:
    asyncio.run(main())
"""


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def wait_http(url: str, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up")


def metric(text: str, name: str) -> float:
    return sum(float(m) for m in re.findall(rf"^{re.escape(name)}(?:{{[^}}]*}})? (\S+)$", text, re.M))


def counters(port: int) -> dict[str, float]:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=30).text
    return {
        "runs": metric(text, "sms_probe_runs_total"),
        "success": metric(text, 'sms_probe_runs_total{result="success"}'),
        "late": metric(text, "sms_probe_late_runs_total"),
        "skipped": metric(text, "sms_probe_skipped_runs_total"),
    }


def probe_file(n: int, server_port: int, work: Path) -> Path:
    cfg = work / f"probes-{n}.yaml"
    if not cfg.exists():
        targets = [
            {"name": f"t{i}", "service": "bench", "module": "web", "target": f"http://127.0.0.1:{server_port}/t/{i}"}
            for i in range(n)
        ]
        for t in targets:
            t["interval"] = "15s"
        doc = {"apiVersion": "sms-metrics/v1", "modules": {"web": {"prober": "http", "timeout": "5s"}}}
        cfg.write_text(yaml.safe_dump({**doc, "targets": targets}))
    return cfg


def run_sms(n: int, server_port: int, args, work: Path) -> dict:
    port = free_port()
    cmd = [sys.executable, "-m", "sms_metrics.cli", "--log-level", "WARNING", "probe"]
    cmd += ["--config", str(probe_file(n, server_port, work)), "--port", str(port), "--concurrency", "1024"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http(f"http://127.0.0.1:{port}/metrics")
        time.sleep(args.warmup)
        a, c0, t0, load0 = counters(port), cpu_seconds(proc.pid), time.monotonic(), load_average()
        time.sleep(args.seconds)
        b, c1, t1, load1 = counters(port), cpu_seconds(proc.pid), time.monotonic(), load_average()
    finally:
        proc.terminate()
        proc.wait(30)
    d = {k: b[k] - a[k] for k in a}
    return {**d, "cpu": c1 - c0, "due": n * (t1 - t0) / INTERVAL, "load": (load0 + load1) / 2}


async def _read_body(reader: asyncio.StreamReader) -> bytes:
    """The body of one HTTP/1.1 response (Content-Length or chunked, as Go's server sends)."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = re.search(rb"(?i)content-length: (\d+)", head)
    if length:
        return await reader.readexactly(int(length[1]))
    body = b""
    while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
        body += (await reader.readexactly(size + 2))[:-2]
    await reader.readuntil(b"\r\n")
    return body


async def _drive(port: int, targets: list[str], seconds: float, connections: int = 256) -> tuple[int, int]:
    """GET /probe for every target once per interval, evenly spread, over keep-alive connections
    (a light driver, so that the exporter, not the driver, sets the pace). Returns (done, ok)."""
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    done = ok = 0

    async def worker() -> None:
        nonlocal done, ok
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while (t := await queue.get()) is not None:
            writer.write(f"GET /probe?module=http_2xx&target={t} HTTP/1.1\r\nHost: bb\r\n\r\n".encode())
            body = await _read_body(reader)
            done += 1
            ok += b"\nprobe_success 1" in body
        writer.close()

    workers = [asyncio.create_task(worker()) for _ in range(connections)]
    start, gap, k = time.monotonic(), INTERVAL / len(targets), 0
    while time.monotonic() - start < seconds:
        await asyncio.sleep(max(0.0, start + k * gap - time.monotonic()))
        queue.put_nowait(targets[k % len(targets)])
        k += 1
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    return done, ok


def run_blackbox(n: int, server_port: int, args, work: Path) -> dict:
    binary = find_binary("prometheus-blackbox-exporter", install_package="prometheus-blackbox-exporter")
    cfg = work / "blackbox.yml"
    module = {"prober": "http", "timeout": "5s", "http": {"preferred_ip_protocol": "ip4"}}
    cfg.write_text(yaml.safe_dump({"modules": {"http_2xx": module}}))
    port = free_port()
    proc = subprocess.Popen(
        [binary, f"--config.file={cfg}", f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    targets = [f"http://127.0.0.1:{server_port}/t/{i}" for i in range(n)]
    try:
        wait_http(f"http://127.0.0.1:{port}/metrics")
        asyncio.run(_drive(port, targets, args.warmup))
        c0, load0 = cpu_seconds(proc.pid), load_average()
        done, ok = asyncio.run(_drive(port, targets, args.seconds))  # and the probes still queued
        c1, load1 = cpu_seconds(proc.pid), load_average()
    finally:
        proc.terminate()
        proc.wait(30)
    return {
        "runs": done,
        "success": ok,
        "cpu": c1 - c0,
        "due": n * args.seconds / INTERVAL,
        "load": (load0 + load1) / 2,
    }


def summary(n: int, rounds: list[tuple[dict, dict]]) -> tuple[bool, str]:
    med = statistics.median
    late = med([(s["late"] + s["skipped"]) / max(s["runs"] + s["skipped"], 1) for s, _ in rounds])
    short = med([s["runs"] / s["due"] for s, _ in rounds])
    ours = med([s["cpu"] / max(s["runs"], 1) for s, _ in rounds])
    peer = med([b["cpu"] / max(b["runs"], 1) for _, b in rounds])
    ratio = med([(s["cpu"] / max(s["runs"], 1)) / (b["cpu"] / max(b["runs"], 1)) for s, b in rounds])
    held = late < 0.01 and short >= 0.95
    return held, (
        f"N={n} medians over {len(rounds)} rounds: late+skipped {100 * late:.2f}%, runs/due {short:.3f}, "
        f"sms-metrics {ours * 1000:.3f} ms CPU/probe, blackbox_exporter {peer * 1000:.3f} ms/probe, "
        f"ratio {ratio:.2f}x (target <= 1.5x); held: {'yes' if held else 'no'}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--targets", type=int, nargs="+", default=[5000, 10000, 15000])
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--warmup", type=float, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sms-bench-probe-"))
    server_port = free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(server_port)])
    lines, best = [], 0
    try:
        wait_http(f"http://127.0.0.1:{server_port}/")
        for n in args.targets:
            rounds = []
            for r in range(args.repeat):
                s, b = run_sms(n, server_port, args, work), run_blackbox(n, server_port, args, work)
                rounds.append((s, b))
                print(
                    f"N={n} round {r + 1}: sms-metrics {s['runs']:.0f} runs / {s['due']:.0f} due, "
                    f"{s['success']:.0f} ok, late {s['late']:.0f}, skipped {s['skipped']:.0f}, "
                    f"{s['cpu'] / max(s['runs'], 1) * 1000:.3f} ms CPU/probe (load {s['load']:.1f}); "
                    f"blackbox_exporter {b['runs']} probes / {b['due']:.0f} due, {b['success']} ok, "
                    f"{b['cpu'] / max(b['runs'], 1) * 1000:.3f} ms CPU/probe (load {b['load']:.1f})",
                    flush=True,
                )
            held, line = summary(n, rounds)
            print(line, flush=True)
            lines.append(line)
            if not held:
                break  # a larger N will not hold either
            best = max(best, n)
        print("\n".join(lines))
        print(f"largest N held with < 1% late or skipped runs: {best} (target >= 10000 at 15 s)")
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
