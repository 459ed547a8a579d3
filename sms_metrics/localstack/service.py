"""The service of ``sms-metrics serve`` (the same FastAPI app) in a thread of ``sms-metrics up``."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import uvicorn

from sms_metrics.catalogue.model import Catalogue
from sms_metrics.config import Settings
from sms_metrics.errors import LocalStackError


class ServiceThread:
    def __init__(
        self,
        settings: Settings,
        *,
        catalogue: Catalogue | None,
        probe_paths: list[Path],
        host: str = "127.0.0.1",
        port: int,
    ):
        from sms_metrics.app import create_app

        self.url = f"http://{host}:{port}"
        app = create_app(settings, probe_paths=probe_paths, catalogue=catalogue)
        self.server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, name="sms-metrics-serve", daemon=True)

    def start(self, timeout: float = 60) -> ServiceThread:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive():
                raise LocalStackError(f"the service did not start on {self.url} (is the port in use?)")
            if time.monotonic() > deadline:
                raise LocalStackError(f"the service did not start on {self.url} within {timeout:g}s")
            time.sleep(0.1)
        return self

    def alive(self) -> bool:
        return self.thread.is_alive()

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)

    def __enter__(self) -> ServiceThread:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
