"""The FastAPI application of ``sms-metrics serve``: /healthz, /metrics, /probe, and the
probe scheduler in the background (the register's API and webhook join it later)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from sms_metrics.config import Settings
from sms_metrics.probing.config import load_probe_files
from sms_metrics.probing.endpoint import ProbeGate, probe_router
from sms_metrics.probing.scheduler import Scheduler

log = logging.getLogger(__name__)


def create_app(settings: Settings, *, probe_paths: list[Path] = ()) -> FastAPI:
    registry = CollectorRegistry()
    modules, targets = load_probe_files(list(probe_paths)) if probe_paths else ({}, [])
    scheduler = Scheduler(targets, modules, registry=registry, concurrency=settings.probe_concurrency)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        task = asyncio.create_task(scheduler.run()) if targets else None
        log.info("serving with %d probe targets", len(targets))
        try:
            yield
        finally:
            if task:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app = FastAPI(title="sms-metrics", version="0.1.0", lifespan=lifespan,
                  description="ISO/IEC 20000-1 service management on measurements")
    app.state.registry = registry
    app.state.scheduler = scheduler

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok", "probe_targets": len(targets)}

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    app.include_router(probe_router(ProbeGate(targets, modules, settings.probe_allowlist)))
    return app
