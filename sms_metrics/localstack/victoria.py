"""A real VictoriaMetrics single node (Debian ``victoria-metrics``) on 127.0.0.1, and vmalert.

History goes in through VictoriaMetrics' import API from the same OpenMetrics files that promtool
backfills into Prometheus (timestamps turned from seconds into milliseconds). Start it with a
``retention`` longer than the history: its default of one month drops older imports.
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Iterable
from pathlib import Path

import requests

from sms_metrics.errors import LocalStackError
from sms_metrics.localstack.process import ManagedProcess
from sms_metrics.localstack.prometheus import find_binary, free_port

log = logging.getLogger(__name__)
CHUNK_BYTES = 4 * 1024 * 1024


def prometheus_lines(openmetrics: Iterable[str]) -> Iterable[str]:
    """OpenMetrics sample lines (``name{labels} value seconds``) as Prometheus text with
    millisecond timestamps; comments, ``# TYPE`` and ``# EOF`` are left out."""
    for line in openmetrics:
        if not line.strip() or line.startswith("#"):
            continue
        head, _, ts = line.rstrip("\n").rpartition(" ")
        yield f"{head} {round(float(ts) * 1000)}\n"


class LocalVictoria(ManagedProcess):
    """A VictoriaMetrics single-node subprocess with its own data directory; a context manager."""

    def __init__(self, data_dir: Path, *, port: int | None = None, retention: str = "100y", extra_args=()):
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.retention = retention
        self.extra_args = list(extra_args)
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> LocalVictoria:
        binary = find_binary("victoria-metrics", install_package="victoria-metrics")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        cmd = [
            binary,
            f"-storageDataPath={self.data_dir / 'vmdata'}",
            f"-httpListenAddr=127.0.0.1:{self.port}",
            f"-retentionPeriod={self.retention}",
            *self.extra_args,
        ]
        log.info("starting VictoriaMetrics on %s (data in %s)", self.url, self.data_dir)
        self.launch(cmd, self.data_dir / "victoria-metrics.log", f"{self.url}/health", "VictoriaMetrics", timeout)
        return self

    def import_openmetrics(self, path: Path) -> int:
        """Import an OpenMetrics file through ``/api/v1/import/prometheus``; returns samples sent.

        The data is searchable when this returns (``/internal/force_flush``)."""
        sent, chunk, size = 0, [], 0
        with open(path, encoding="utf-8") as f:
            for line in prometheus_lines(f):
                chunk.append(line)
                size += len(line)
                if size >= CHUNK_BYTES:
                    sent += self._post(chunk)
                    chunk, size = [], 0
        sent += self._post(chunk)
        self.flush()
        log.info("imported %d samples from %s into VictoriaMetrics", sent, path)
        return sent

    def _post(self, lines: list[str]) -> int:
        if not lines:
            return 0
        r = requests.post(f"{self.url}/api/v1/import/prometheus", data="".join(lines).encode(), timeout=300)
        if r.status_code // 100 != 2:
            raise LocalStackError(f"VictoriaMetrics refused an import: {r.status_code} {r.text[:300]}")
        return len(lines)

    def flush(self) -> None:
        """Make everything written so far searchable."""
        requests.get(f"{self.url}/internal/force_flush", timeout=60).raise_for_status()


class LocalVmalert(ManagedProcess):
    """vmalert (shipped in Debian's ``victoria-metrics``) evaluating rule files against a
    VictoriaMetrics and writing recordings and alert series back to it."""

    def __init__(
        self,
        work_dir: Path,
        victoria_url: str,
        rule_files: list[str],
        *,
        interval: str = "5s",
        notifier_url: str | None = None,
    ):
        self.work_dir = Path(work_dir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.victoria_url, self.rule_files, self.interval = victoria_url, list(rule_files), interval
        # vmalert 1.79 needs a notifier when there are alerting rules (an Alertmanager's URL)
        self.notifier_url = notifier_url or f"http://127.0.0.1:{free_port()}"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> LocalVmalert:
        binary = find_binary("vmalert", install_package="victoria-metrics")
        self.work_dir.mkdir(parents=True, exist_ok=True)
        cmd = [
            binary,
            *(f"-rule={f}" for f in self.rule_files),
            f"-datasource.url={self.victoria_url}",
            f"-remoteWrite.url={self.victoria_url}",
            f"-notifier.url={self.notifier_url}",
            f"-evaluationInterval={self.interval}",
            f"-httpListenAddr=127.0.0.1:{self.port}",
            "-remoteWrite.flushInterval=1s",
        ]
        log.info("starting vmalert on %s against %s", self.url, self.victoria_url)
        self.launch(cmd, self.work_dir / "vmalert.log", f"{self.url}/health", "vmalert", timeout)
        return self
