"""``sms-metrics probe``: one-shot checks, or continuous probing with a /metrics endpoint."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

from prometheus_client import CollectorRegistry, start_http_server

from sms_metrics.errors import InputError
from sms_metrics.probing.config import load_probe_files
from sms_metrics.probing.runner import run_once
from sms_metrics.probing.scheduler import Scheduler

log = logging.getLogger(__name__)


def probe_paths(config: Path) -> list[Path]:
    if config.is_dir():
        paths = sorted([*config.glob("*.yaml"), *config.glob("*.yml")])
        if not paths:
            raise InputError(f"{config}: no probe files (*.yaml)")
        return paths
    return [config]


def run_probe_once(config: Path, fmt: str, concurrency: int) -> tuple[str, int]:
    """The results as text, and how many probes failed."""
    if fmt not in ("json", "text"):
        raise InputError(f"--format {fmt!r} is not supported: use json or text")
    modules, targets = load_probe_files(probe_paths(config))
    log.info("probing %d targets once", len(targets))
    results = asyncio.run(run_once(targets, modules, concurrency))
    failed = sum(not r.success for r in results)
    if fmt == "json":
        return json.dumps([r.as_json() for r in results], indent=2) + "\n", failed
    text = "".join(
        f"{'ok  ' if r.success else 'FAIL'} {r.name:30} {r.duration_seconds * 1000:8.1f} ms  {r.error or ''}\n"
        for r in results
    )
    return text, failed


def run_probe_forever(config: Path, host: str, port: int, concurrency: int) -> None:
    modules, targets = load_probe_files(probe_paths(config))
    registry = CollectorRegistry()
    scheduler = Scheduler(targets, modules, registry=registry, concurrency=concurrency)
    start_http_server(port, addr=host, registry=registry)
    log.info("metrics on http://%s:%d/metrics", host, port)
    asyncio.run(scheduler.run())
