"""Start a real Prometheus on 127.0.0.1 over a TSDB backfilled with promtool."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
from pathlib import Path

import yaml

from sms_metrics.errors import LocalStackError
from sms_metrics.localstack.process import ManagedProcess

log = logging.getLogger(__name__)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_binary(name: str, *, install_package: str | None = None) -> str:
    """Path of ``name``; when missing, install ``install_package`` with apt-get if we are root."""
    path = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
    if path:
        return path
    if install_package and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        log.info("%s is missing: installing the Debian package %s", name, install_package)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", install_package]):
            done = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if done.returncode:
                raise LocalStackError(f"{' '.join(cmd)} failed: {done.stderr.strip()[-300:]}")
        return find_binary(name)
    raise LocalStackError(
        f"{name} not found: install the Debian package {install_package or name} "
        f"(apt-get install -y {install_package or name})"
    )


def backfill(openmetrics_file: Path, tsdb_dir: Path, *, max_block_duration: str = "744h") -> None:
    """Write TSDB blocks from an OpenMetrics file with ``promtool tsdb create-blocks-from``."""
    promtool = find_binary("promtool", install_package="prometheus")
    tsdb_dir.mkdir(parents=True, exist_ok=True)
    cmd = [
        promtool,
        "tsdb",
        "create-blocks-from",
        "openmetrics",
        f"--max-block-duration={max_block_duration}",
        str(openmetrics_file),
        str(tsdb_dir),
    ]
    log.info("backfilling %s into %s", openmetrics_file, tsdb_dir)
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        raise LocalStackError(f"promtool backfill failed: {(done.stderr or done.stdout).strip()[-500:]}")


class LocalPrometheus(ManagedProcess):
    """A Prometheus subprocess on 127.0.0.1 with its own data directory; a context manager."""

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        retention: str = "3650d",
        rule_files: list[str] = (),
        scrape_configs: list[dict] = (),
        scrape_interval: str = "15s",
        extra_args: list[str] = (),
        alertmanagers: list[str] = (),
    ):
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.retention = retention
        self.rule_files = list(rule_files)
        self.scrape_configs = list(scrape_configs)
        self.scrape_interval = scrape_interval
        self.extra_args = list(extra_args)
        self.alertmanagers = list(alertmanagers)
        self.proc: subprocess.Popen | None = None

    def write_config(self) -> Path:
        cfg = {
            "global": {"scrape_interval": self.scrape_interval, "evaluation_interval": self.scrape_interval},
            "rule_files": self.rule_files,
            "scrape_configs": self.scrape_configs,
        }
        if self.alertmanagers:
            cfg["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": self.alertmanagers}]}]}
        path = self.data_dir / "prometheus.yml"
        path.write_text(yaml.safe_dump(cfg, sort_keys=False))
        return path

    def start(self, timeout: float = 60.0) -> LocalPrometheus:
        binary = find_binary("prometheus", install_package="prometheus")
        (self.data_dir / "tsdb").mkdir(parents=True, exist_ok=True)
        cmd = [
            binary,
            f"--config.file={self.write_config()}",
            f"--storage.tsdb.path={self.data_dir / 'tsdb'}",
            f"--storage.tsdb.retention.time={self.retention}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--web.enable-lifecycle",
            "--query.max-samples=200000000",
            *self.extra_args,
        ]
        log.info("starting Prometheus on %s (data in %s)", self.url, self.data_dir)
        self.launch(cmd, self.data_dir / "prometheus.log", f"{self.url}/-/ready", "Prometheus", timeout)
        return self
