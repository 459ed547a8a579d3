"""The FastAPI application of ``sms-metrics serve``: /healthz, /metrics, /probe, the Alertmanager
webhook, the register's API (every record kind, tokens), the pages and the scheduled jobs."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from dataclasses import dataclass
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest

from sms_metrics.bootstrap import System, build
from sms_metrics.calendar_gauges import CalendarCollector
from sms_metrics.catalogue.model import Catalogue
from sms_metrics.config import Settings
from sms_metrics.errors import (
    Conflict,
    Forbidden,
    GateRefused,
    IllegalTransition,
    InputError,
    RecordInvalid,
    RecordNotFound,
    Unauthorized,
    UnknownState,
)
from sms_metrics.evidence.api import evidence_router
from sms_metrics.jobs.relations import add_jobs as add_relation_jobs
from sms_metrics.jobs.releases import run_release_watch
from sms_metrics.jobs.reviews import schedule as schedule_delivery_jobs
from sms_metrics.jobs.sla import guarded, run_sla_clocks
from sms_metrics.notify.worker import NotificationWorker
from sms_metrics.probing.config import load_probe_files
from sms_metrics.probing.endpoint import ProbeGate, probe_router
from sms_metrics.probing.scheduler import Scheduler
from sms_metrics.probing.shard import Shard
from sms_metrics.register.capacity.metrics import CapacityCollector
from sms_metrics.register.db import DatabaseBusy
from sms_metrics.register.incidents.metrics import IncidentCollector
from sms_metrics.register.kinds import DUES
from sms_metrics.register.kinds.reviews import OverdueCollector
from sms_metrics.register.limits import BodyLimit
from sms_metrics.register.measures import active_windows
from sms_metrics.register.records.api import authenticate, kind_router
from sms_metrics.register.records.metrics import RegisterCollector
from sms_metrics.register.services import services_router
from sms_metrics.register.tokens import tokens_router
from sms_metrics.register.webhook.views import PATH as WEBHOOK_PATH
from sms_metrics.register.webhook.views import FastPath, webhook_endpoint, webhook_router
from sms_metrics.register.webhook.writer import DeliveryWriter, delivery_writer
from sms_metrics.web import pages

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
        # Series at 0 from the start, so dashboards and rate() see them before the first event.
        for clock in ("response", "resolution"):
            for event in ("warning", "breach"):
                self.sla_events.labels(clock, event)
        for job in ("sla-clocks", "capacity-forecast"):
            self.job_failures.labels(job)
        self.deliveries.labels("ok")
        self.review_flags = Counter(
            "sms_review_flags_total", "Records the review job flagged overdue, by kind", ["kind"], registry=registry
        )


@dataclass
class AppState:
    system: System
    metrics: ServiceMetrics
    writer: DeliveryWriter

    @property
    def settings(self) -> Settings:
        return self.system.settings

    @property
    def sessions(self):
        return self.system.sessions

    @property
    def catalogue(self) -> Catalogue | None:
        return self.system.catalogue


STATUSES: list[tuple[type[Exception], int]] = [
    (RecordNotFound, 404),
    (Unauthorized, 401),
    (Forbidden, 403),
    (IllegalTransition, 409),
    (GateRefused, 409),
    (Conflict, 409),
    (UnknownState, 422),
    (RecordInvalid, 422),
    (InputError, 422),
    (DatabaseBusy, 503),
]


def error_body(exc: Exception) -> dict:
    body: dict = {"detail": str(exc)}
    for attr in ("allowed", "gate", "problems", "states"):
        if hasattr(exc, attr):
            body[attr] = getattr(exc, attr)
    return body


def _error_handlers(app: FastAPI) -> None:
    """HTTP mapping of domain errors, in one place (house rule 7)."""
    for exc_type, status in STATUSES:

        def handler(request: Request, exc: Exception, status: int = status) -> JSONResponse:
            headers = (
                {"Retry-After": "1"} if status == 503 else {"WWW-Authenticate": "Bearer"} if status == 401 else None
            )
            return JSONResponse(error_body(exc), status_code=status, headers=headers)

        app.add_exception_handler(exc_type, handler)


def run_capacity_forecasts(state) -> int:
    from sms_metrics.jobs.forecast import run_capacity_forecasts as run  # statsmodels: loaded when first needed

    return run(state)


def _jobs(state: AppState) -> AsyncIOScheduler:
    settings = state.settings
    # a job that comes due while the loop is busy (a slow start, a long request) runs late, once; APScheduler's
    # default skips any job more than 1 s late, which lost the forecast on start under load (and would lose a
    # day's forecast if the loop was busy at its hour)
    jobs = AsyncIOScheduler(job_defaults={"misfire_grace_time": None, "coalesce": True})
    jobs.add_job(
        guarded("sla-clocks", run_sla_clocks, state),
        "interval",
        id="sla-clocks",
        seconds=settings.sla_check_seconds,
        max_instances=1,
        coalesce=True,
    )
    jobs.add_job(
        guarded("release-watch", run_release_watch, state),
        "interval",
        id="release-watch",
        seconds=settings.release_check_seconds,
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
    add_relation_jobs(jobs, state)
    schedule_delivery_jobs(jobs, state, guarded)
    return jobs


def create_app(
    settings: Settings,
    *,
    probe_paths: list[Path] | tuple = (),
    catalogue: Catalogue | None = None,
    system: System | None = None,
) -> FastAPI:
    system = system or build(settings, catalogue=catalogue)
    registry = CollectorRegistry()
    state = AppState(system, ServiceMetrics(registry), delivery_writer(system))
    modules, all_targets = load_probe_files(list(probe_paths)) if probe_paths else ({}, [])
    shard = Shard.parse(settings.probe_shard, where="--shard or SMS_PROBE_SHARD")
    targets = shard.select(all_targets)
    scheduler = Scheduler(targets, modules, registry=registry, concurrency=settings.probe_concurrency, shard=shard)
    registry.register(IncidentCollector(system.readers))
    registry.register(CapacityCollector(system.readers))
    registry.register(RegisterCollector(system.readers, system.records.kinds))
    if system.catalogue is not None:
        services = [s.name for s in system.catalogue.services]
        registry.register(CalendarCollector(system.catalogue, extra_windows=active_windows(system, services)))

    notifications = NotificationWorker(system, on_failed=state.metrics.notify_failures.inc)
    registry.register(OverdueCollector(system, DUES))

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        state.writer.start()
        notifications.start()
        task = asyncio.create_task(scheduler.run()) if targets else None
        jobs = app.state.jobs = _jobs(state)
        jobs.start()
        # what is loaded by now lives as long as the server: keep it out of the cyclic collector's full
        # passes, which otherwise walk the whole app (tens of ms, paid by the requests then in flight);
        # given back to the collector when the app stops (a process that runs many apps, as the tests do,
        # would otherwise keep every stopped app's cycles, their connection pools among them)
        gc.collect()
        gc.freeze()
        log.info("serving with %d probe targets (shard %s of %d)", len(targets), shard, len(all_targets))
        try:
            yield
        finally:
            gc.unfreeze()
            jobs.shutdown(wait=False)
            notifications.stop()
            state.writer.close()
            if task:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app = FastAPIOffline(  # /docs and /redoc with their assets served locally, not from a CDN
        title="sms-metrics",
        version="0.1.0",
        lifespan=lifespan,
        description="ISO/IEC 20000-1 service management on measurements",
    )
    app.state.registry = registry
    app.state.scheduler = scheduler
    app.state.sms = state
    app.state.notifications = notifications
    _error_handlers(app)

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok", "probe_targets": len(targets)}

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    app.add_middleware(
        BodyLimit,
        limit=settings.api_max_body_bytes,
        skip=frozenset({WEBHOOK_PATH}),  # it has its own limit, checked after the token
    )
    principal = authenticate(system)
    app.include_router(probe_router(ProbeGate(all_targets, modules, settings.probe_allowlist)))
    webhook = webhook_endpoint(state)
    app.include_router(webhook_router(webhook))
    app.add_middleware(FastPath, path=WEBHOOK_PATH, endpoint=webhook, handlers=app.exception_handlers)
    app.include_router(tokens_router(system, principal))
    app.include_router(evidence_router(system, principal))
    app.include_router(services_router(system, principal))
    for kind in system.records.kinds.values():
        app.include_router(kind_router(kind, system.records, principal))
    pages.install(app, system, principal)  # sign-in, home, register, reports, public status page
    return app
