"""The FastAPI application of ``sms-metrics serve``: /healthz, /metrics, /probe, the Alertmanager
webhook and the incident API on the register, and the probe scheduler in the background."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from sqlalchemy.orm import Session, sessionmaker

from sms_metrics.catalogue.model import Catalogue
from sms_metrics.config import Settings
from sms_metrics.errors import InputError
from sms_metrics.jobs.forecast import run_capacity_forecasts
from sms_metrics.jobs.sla import guarded, run_sla_clocks
from sms_metrics.probing.config import load_probe_files
from sms_metrics.probing.endpoint import ProbeGate, probe_router
from sms_metrics.probing.scheduler import Scheduler
from sms_metrics.probing.shard import Shard
from sms_metrics.register.capacity.metrics import CapacityCollector
from sms_metrics.register.capacity.service import PlanNotFound
from sms_metrics.register.capacity.views import capacity_router
from sms_metrics.register.db import DatabaseBusy, make_engine, session_factory
from sms_metrics.register.incidents.metrics import IncidentCollector
from sms_metrics.register.incidents.service import IncidentNotFound
from sms_metrics.register.incidents.views import incidents_router
from sms_metrics.register.lifecycle import IllegalTransition
from sms_metrics.register.migrations import upgrade
from sms_metrics.register.webhook.views import webhook_router
from sms_metrics.register.webhook.writer import DeliveryWriter, delivery_writer

log = logging.getLogger(__name__)


class ServiceMetrics:
    def __init__(self, registry: CollectorRegistry):
        self.deliveries = Counter(
            "sms_webhook_deliveries_total", "Alertmanager webhook deliveries by result", ["result"], registry=registry
        )
        self.sla_events = Counter(
            "sms_sla_clock_events_total",
            "SLA clock warnings (75%) and breaches (100%)",
            ["clock", "event"],
            registry=registry,
        )
        self.notify_failures = Counter(
            "sms_notification_failures_total", "Outgoing notifications that failed", registry=registry
        )
        self.job_failures = Counter(
            "sms_job_failures_total", "Scheduled job runs that failed", ["job"], registry=registry
        )
        self.forecast_skipped = Counter(
            "sms_capacity_forecasts_skipped_total",
            "Resources the forecast job could not forecast (insufficient data, no model)",
            ["service", "resource"],
            registry=registry,
        )


@dataclass
class AppState:
    settings: Settings
    sessions: sessionmaker[Session]
    catalogue: Catalogue | None
    metrics: ServiceMetrics
    writer: DeliveryWriter


def _error_handlers(app: FastAPI) -> None:
    """HTTP mapping of domain errors, in one place (house rule 7)."""
    statuses = [
        (IncidentNotFound, 404),
        (PlanNotFound, 404),
        (IllegalTransition, 409),
        (InputError, 422),
        (DatabaseBusy, 503),
    ]

    for exc_type, status in statuses:

        def handler(request: Request, exc: Exception, status: int = status) -> JSONResponse:
            return JSONResponse(
                {"detail": str(exc)}, status_code=status, headers={"Retry-After": "1"} if status == 503 else None
            )

        app.add_exception_handler(exc_type, handler)


def create_app(settings: Settings, *, probe_paths: list[Path] = (), catalogue: Catalogue | None = None) -> FastAPI:
    registry = CollectorRegistry()
    engine = make_engine(settings.database_url, busy_timeout_ms=settings.database_busy_timeout_ms)
    upgrade(engine)
    sessions = session_factory(engine)
    state = AppState(
        settings, sessions, catalogue, ServiceMetrics(registry), delivery_writer(settings, catalogue, sessions)
    )
    modules, all_targets = load_probe_files(list(probe_paths)) if probe_paths else ({}, [])
    shard = Shard.parse(settings.probe_shard, where="--shard or SMS_PROBE_SHARD")
    targets = shard.select(all_targets)
    scheduler = Scheduler(targets, modules, registry=registry, concurrency=settings.probe_concurrency, shard=shard)

    registry.register(IncidentCollector(state.sessions))
    registry.register(CapacityCollector(state.sessions))

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        state.writer.start()
        task = asyncio.create_task(scheduler.run()) if targets else None
        jobs = AsyncIOScheduler()
        app.state.jobs = jobs
        jobs.add_job(
            guarded("sla-clocks", run_sla_clocks, state),
            "interval",
            id="sla-clocks",
            seconds=settings.sla_check_seconds,
            max_instances=1,
            coalesce=True,
        )
        forecast = guarded("capacity-forecast", run_capacity_forecasts, state)
        jobs.add_job(
            forecast,
            "cron",
            id="capacity-forecast",
            hour=settings.forecast_hour_utc,
            minute=0,
            timezone="UTC",
            max_instances=1,
            coalesce=True,
        )
        if settings.forecast_on_start:
            jobs.add_job(forecast, "date", max_instances=1)
        jobs.start()
        log.info("serving with %d probe targets (shard %s of %d)", len(targets), shard, len(all_targets))
        try:
            yield
        finally:
            jobs.shutdown(wait=False)
            state.writer.close()
            if task:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app = FastAPI(
        title="sms-metrics",
        version="0.1.0",
        lifespan=lifespan,
        description="ISO/IEC 20000-1 service management on measurements",
    )
    app.state.registry = registry
    app.state.scheduler = scheduler
    app.state.sms = state
    _error_handlers(app)

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok", "probe_targets": len(targets)}

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    app.include_router(probe_router(ProbeGate(all_targets, modules, settings.probe_allowlist)))
    app.include_router(webhook_router(state))
    app.include_router(incidents_router(state))
    app.include_router(capacity_router(state))
    return app
