"""A soak run: `sms-metrics serve` (SQLite register, probes of a local target, its jobs) under a fixed
mixed load — Alertmanager deliveries, API reads — with memory, open files and latency sampled at a fixed
interval. Used by ``benchmarks/soak.py`` (an hour) and the tests (five minutes)."""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import yaml

from sms_metrics.localstack.prometheus import free_port

TOKEN, ADMIN = "soak-hook", "soak-admin"
CATALOGUE = {
    "apiVersion": "sms-metrics/v1",
    "services": [
        {
            "name": f"svc-{i}",
            "criticality": "high",
            "sla": {
                "availability_target": 99.9,
                "response_minutes": {"P1": 15, "P2": 60},
                "resolution_minutes": {"P1": 240, "P2": 480},
            },
        }
        for i in range(10)
    ],
}


class _Target(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *a):
        pass


@dataclass
class Sample:
    at: float
    rss_mb: float  # the service and its writer process
    open_files: int
    p99_ms: float
    requests: int
    errors: int


@dataclass
class SoakResult:
    samples: list[Sample] = field(default_factory=list)

    def slope(self, attr: str, skip: int = 1) -> float:
        """Least-squares growth of ``attr`` per hour, after the first ``skip`` samples (warm-up)."""
        pts = [(s.at, getattr(s, attr)) for s in self.samples[skip:]]
        if len(pts) < 2:
            return 0.0
        mx, my = statistics.fmean(p[0] for p in pts), statistics.fmean(p[1] for p in pts)
        den = sum((x - mx) ** 2 for x, _ in pts)
        return 0.0 if den == 0 else sum((x - mx) * (y - my) for x, y in pts) / den * 3600


def _tree(pid: int) -> list[int]:
    kids = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    kids.setdefault(int(f.read().rsplit(")", 1)[1].split()[1]), []).append(int(entry))
            except OSError:
                pass
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += kids.get(p, [])
    return out


def _rss_and_files(pid: int) -> tuple[float, int]:
    rss, files = 0.0, 0
    for p in _tree(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                rss += next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024
            files += len(os.listdir(f"/proc/{p}/fd"))
        except (OSError, StopIteration):
            pass
    return rss, files


class _Load(threading.Thread):
    """One kind of request at a fixed rate; latencies collected until taken."""

    def __init__(self, base: str, rate: float, make, stop: threading.Event):
        super().__init__(daemon=True)
        self.base, self.rate, self.make, self.stop = base, rate, make, stop
        self.lat: list[float] = []
        self.errors = 0
        self.lock = threading.Lock()

    def run(self):
        n, start = 0, time.monotonic()
        with httpx.Client(base_url=self.base, timeout=10) as http:
            while not self.stop.is_set():
                n += 1
                time.sleep(max(0.0, start + n / self.rate - time.monotonic()))
                method, path, kw = self.make(n)
                t = time.perf_counter()
                try:
                    ok = http.request(method, path, **kw).status_code < 500
                except httpx.HTTPError:
                    ok = False
                with self.lock:
                    self.lat.append((time.perf_counter() - t) * 1000)
                    self.errors += not ok

    def take(self) -> tuple[list[float], int]:
        with self.lock:
            lat, err, self.lat, self.errors = self.lat, self.errors, [], 0
        return lat, err


def run_soak(
    work: Path,
    *,
    seconds: float,
    sample_every: float,
    webhook_rate: float = 20,
    read_rate: float = 20,
    targets: int = 50,
    fingerprints: int | None = None,
    on_sample=None,
) -> SoakResult:
    """``fingerprints``: draw the alerts from that many fingerprints, so that the register stops growing and
    memory that still grows is a leak (by default every delivery may bring a new alert, as in production,
    and the SQLite page caches fill for the first twenty minutes or so)."""
    work.mkdir(parents=True, exist_ok=True)
    target = ThreadingHTTPServer(("127.0.0.1", 0), _Target)
    threading.Thread(target=target.serve_forever, daemon=True).start()
    (work / "sms.yaml").write_text(yaml.safe_dump(CATALOGUE))
    (work / "probes.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "sms-metrics/v1",
                "modules": {"web": {"prober": "http", "timeout": "2s"}},
                "targets": [
                    {
                        "name": f"t{i}",
                        "service": f"svc-{i % 10}",
                        "module": "web",
                        "target": f"http://127.0.0.1:{target.server_port}/{i}",
                        "interval": "5s",
                    }
                    for i in range(targets)
                ],
            }
        )
    )
    port = free_port()
    env = {
        **os.environ,
        "SMS_WEBHOOK_TOKEN": TOKEN,
        "SMS_ADMIN_TOKEN": ADMIN,
        "SMS_LOG_LEVEL": "WARNING",
        "SMS_DATABASE_URL": f"sqlite:///{work / 'register.db'}",
        "SMS_SLA_CHECK_SECONDS": "5",
        "SMS_RELEASE_CHECK_SECONDS": "5",
    }
    serve = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sms_metrics.cli",
            "serve",
            "-c",
            str(work / "sms.yaml"),
            "--probes",
            str(work / "probes.yaml"),
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(work / "serve.log", "wb"),  # noqa: SIM115 - the process keeps it
    )
    base = f"http://127.0.0.1:{port}"
    _wait_up(base)
    stop, rng = threading.Event(), random.Random(5)

    def delivery(n):  # new alerts, repeats, and resolutions, like a real Alertmanager
        fp = f"{rng.randrange(fingerprints or n + 1):x}"
        status = rng.choice(["firing", "firing", "resolved"])
        alert = {
            "status": status,
            "fingerprint": fp,
            "startsAt": "2026-11-02T10:00:00Z",
            "endsAt": "2026-11-02T10:30:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
            "labels": {"alertname": "ErrorBudgetBurn", "service": f"svc-{n % 10}", "severity": "page"},
            "annotations": {"summary": "burning"},
        }
        body = {"version": "4", "status": status, "alerts": [alert], "groupKey": "soak", "receiver": "sms"}
        return "POST", "/api/v1/webhooks/alertmanager", {"json": body, "headers": {"Authorization": f"Bearer {TOKEN}"}}

    def read(n):
        path = rng.choice(
            [
                "/api/v1/incidents?status=open&limit=50",
                f"/api/v1/incidents/{1 + n % 50}/history",
                "/metrics",
                "/api/v1/incidents?service=svc-3",
            ]
        )
        return "GET", path, {"headers": {"Authorization": f"Bearer {ADMIN}"}}

    loads = [_Load(base, webhook_rate, delivery, stop), _Load(base, read_rate, read, stop)]
    for load in loads:
        load.start()
    result, start = SoakResult(), time.monotonic()
    try:
        while time.monotonic() - start < seconds:
            time.sleep(sample_every)
            lat, err = [], 0
            for load in loads:
                part, e = load.take()
                lat += part
                err += e
            rss, files = _rss_and_files(serve.pid)
            p99 = sorted(lat)[int(len(lat) * 0.99)] if lat else float("nan")
            sample = Sample(time.monotonic() - start, rss, files, p99, len(lat), err)
            result.samples.append(sample)
            if on_sample:
                on_sample(sample)
    finally:
        stop.set()
        for load in loads:
            load.join(15)
        serve.terminate()
        serve.wait(30)
        target.shutdown()
    return result


def _wait_up(base: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("serve did not start")
