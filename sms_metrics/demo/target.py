"""The demo target: a small HTTP(S) server standing in for the demo catalogue's services.

- ``/`` fails (503) on a schedule: for 90 s from one minute after start, then again every ten
  minutes, so a probe fails, the demo-target's fast burn-rate alert fires, an incident opens and
  resolves within five minutes of ``sms-metrics up``.
- ``/checkout``, ``/payments``, ``/search`` and ``/catalogue`` always answer 200; ``/search`` and
  ``/catalogue`` count their requests in ``http_requests_total{service="search"}`` and
  ``http_request_duration_seconds{service="catalogue-api"}`` on ``/metrics``, so the demo's events
  and latency SLIs go on being measured live after the backfilled history ends.
- The same routes over TLS (a self-signed certificate made at start) give the probes a
  certificate expiry to report.
"""

from __future__ import annotations

import datetime as dt
import ssl
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from sms_metrics.demo.history import BUCKETS


@dataclass(frozen=True)
class Schedule:
    """``/`` fails for ``duration`` seconds starting ``first`` seconds after ``t0``, every ``every`` seconds."""

    t0: float
    first: float = 60.0
    duration: float = 90.0
    every: float = 600.0

    def failing(self, now: float) -> bool:
        since = now - self.t0 - self.first
        return since >= 0 and since % self.every < self.duration

    def next_failure(self, now: float) -> float:
        since = now - self.t0 - self.first
        return self.t0 + self.first + (0 if since < 0 else (since // self.every + 1) * self.every)


def self_signed(directory: Path, days: float, *, name: str = "localhost") -> tuple[Path, Path, dt.datetime]:
    """A certificate and key for ``name`` (and 127.0.0.1) that expire in ``days``."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    expires = now + dt.timedelta(days=days)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(expires)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path, expires


class DemoMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests", "Requests to the demo search API", ["service", "code"], registry=self.registry
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Latency of the demo catalogue API",
            ["service"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.failing = Gauge("demo_target_failing", "1 while / fails on its schedule", registry=self.registry)
        self.requests.labels("search", "200")
        self.requests.labels("search", "500")
        self.latency.labels("catalogue-api")


def _handler(schedule: Callable[[], Schedule], metrics: DemoMetrics) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            started = time.perf_counter()
            path = self.path.split("?")[0]
            failing = schedule().failing(time.time())
            metrics.failing.set(1 if failing else 0)
            if path == "/metrics":
                return self._send(200, generate_latest(metrics.registry), CONTENT_TYPE_LATEST)
            if path == "/":
                return self._send(503 if failing else 200, b"failing on schedule\n" if failing else b"ok\n")
            if path not in ("/checkout", "/payments", "/search", "/catalogue"):
                return self._send(404, b"not found\n")
            self._send(200, b"ok\n")
            if path == "/search":
                metrics.requests.labels("search", "200").inc()
            elif path == "/catalogue":
                metrics.latency.labels("catalogue-api").observe(time.perf_counter() - started)

        def _send(self, code: int, body: bytes, ctype: str = "text/plain; charset=utf-8"):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """A client that went away (a scrape that timed out) is not worth a traceback."""
        if not isinstance(sys.exc_info()[1], ConnectionError | ssl.SSLError):
            super().handle_error(request, client_address)


class DemoTarget:
    """The demo target on ``host``: plain HTTP on ``port`` (0: a free one) and HTTPS on ``tls_port``.
    Its schedule starts when it starts."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, tls_port: int = 0):
        self.schedule = Schedule(time.time())
        self.metrics = DemoMetrics()
        handler = _handler(lambda: self.schedule, self.metrics)
        self.http = _Server((host, port), handler)
        self.https = _Server((host, tls_port), handler)
        self._certs = tempfile.TemporaryDirectory(prefix="sms-demo-tls-")
        cert, key, self.cert_expires = self_signed(Path(self._certs.name), days=45)
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(cert, key)
        self.https.socket = tls.wrap_socket(self.https.socket, server_side=True)
        self.host = host
        self.port, self.tls_port = self.http.server_port, self.https.server_port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> DemoTarget:
        self.schedule = Schedule(time.time())
        for server in (self.http, self.https):
            threading.Thread(target=server.serve_forever, daemon=True, name="demo-target").start()
        return self

    def stop(self) -> None:
        for server in (self.http, self.https):
            server.shutdown()
            server.server_close()
        self._certs.cleanup()

    def __enter__(self) -> DemoTarget:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def demo_probes(host: str, port: int, tls_port: int, interval: str = "5s") -> dict:
    """A probe file for the demo target: one target per demo service, and the failing ``/``."""
    base, tls = f"http://{host}:{port}", f"https://{host}:{tls_port}"
    targets = [
        ("checkout-web", "checkout", f"{base}/checkout", {}),
        ("payments-gateway-api", "payments-gateway", f"{base}/payments", {"supplier": "acme-payments"}),
        ("search-api", "search", f"{base}/search", {}),
        ("catalogue-api-web", "catalogue-api", f"{base}/catalogue", {}),
        ("demo-target-home", "demo-target", f"{base}/", {}),
        ("demo-target-tls", "demo-target", f"{tls}/", {"module": "https_self_signed"}),
    ]
    return {
        "apiVersion": "sms-metrics/v1",
        "modules": {
            "http_2xx": {"prober": "http", "timeout": "2s"},
            "https_self_signed": {"prober": "http", "timeout": "2s", "http": {"tls_verify": False}},
        },
        "targets": [
            {
                "name": name,
                "service": svc,
                "module": extra.pop("module", "http_2xx"),
                "target": url,
                "interval": interval,
            }
            | extra
            for name, svc, url, extra in targets
        ],
    }


def serve_forever(host: str, port: int, tls_port: int) -> None:
    """``sms-metrics demo-target``: run the demo target until interrupted."""
    target = DemoTarget(host, port, tls_port).start()
    try:
        while True:
            time.sleep(3600)
    finally:
        target.stop()
