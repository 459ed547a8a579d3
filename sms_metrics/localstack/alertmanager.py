"""A real Alertmanager on 127.0.0.1 (Debian package ``prometheus-alertmanager``) whose webhook
points at sms-metrics; for ``up``, the tests and the benchmarks."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from sms_metrics.localstack.process import ManagedProcess
from sms_metrics.localstack.prometheus import find_binary, free_port


class LocalAlertmanager(ManagedProcess):
    def __init__(
        self,
        data_dir: Path,
        *,
        webhook_url: str,
        token: str | None,
        group_wait: str = "1s",
        group_interval: str = "1s",
        repeat_interval: str = "1h",
    ):
        self.dir = Path(data_dir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        webhook: dict = {"url": webhook_url, "send_resolved": True}
        if token:
            webhook["http_config"] = {"authorization": {"type": "Bearer", "credentials": token}}
        self.config = {
            "route": {
                "receiver": "sms-metrics",
                "group_by": ["alertname", "service", "slo", "severity"],
                "group_wait": group_wait,
                "group_interval": group_interval,
                "repeat_interval": repeat_interval,
            },
            "receivers": [{"name": "sms-metrics", "webhook_configs": [webhook]}],
        }
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> LocalAlertmanager:
        self.dir.mkdir(parents=True, exist_ok=True)
        cfg = self.dir / "alertmanager.yml"
        cfg.write_text(yaml.safe_dump(self.config, sort_keys=False))
        binary = find_binary("prometheus-alertmanager", install_package="prometheus-alertmanager")
        self.launch(
            [
                binary,
                f"--config.file={cfg}",
                f"--storage.path={self.dir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--cluster.listen-address=",
            ],
            self.dir / "alertmanager.log",
            f"{self.url}/-/ready",
            "Alertmanager",
            timeout,
        )
        return self
