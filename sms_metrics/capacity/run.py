"""Forecast many capacity resources: histories read concurrently, forecasts in worker processes
(statsmodels fits are CPU-bound; one process per core)."""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from sms_metrics.adapters.prometheus import PrometheusPort
from sms_metrics.capacity.history import read_history
from sms_metrics.capacity.result import forecast_document
from sms_metrics.catalogue.model import CapacityResource, Catalogue
from sms_metrics.core.durations import parse_duration
from sms_metrics.errors import InputError, InsufficientData, PrometheusQueryError, SmsError
from sms_metrics.forecasting.pipeline import Resource, forecast_capacity, inputs_hash
from sms_metrics.forecasting.prepare import Series

log = logging.getLogger(__name__)
DEFAULT_MIN_HORIZON = 7 * 86400


@dataclass(frozen=True)
class Target:
    service: str
    resource: CapacityResource
    timezone: str = "UTC"  # the service's SLA time zone, for the reports' local times

    @property
    def lead_time_seconds(self) -> float:
        return parse_duration(self.resource.lead_time)

    def horizon_seconds(self, horizon: str | None) -> float:
        """``--horizon``, else the larger of 7 days and twice the lead time (DESIGN.md)."""
        return parse_duration(horizon) if horizon else max(DEFAULT_MIN_HORIZON, 2 * self.lead_time_seconds)


@dataclass
class Outcome:
    """What became of one resource: a forecast document, or why there is none."""

    target: Target
    doc: dict | None = None
    error: str | None = None
    query_error: PrometheusQueryError | None = field(default=None, repr=False)
    history: Series | None = field(default=None, repr=False)


def select_targets(catalogue: Catalogue, service: str | None = None, resource: str | None = None) -> list[Target]:
    targets = []
    for svc in catalogue.services:
        if service and svc.name != service:
            continue
        tz = svc.sla.timezone if svc.sla else "UTC"
        for res in svc.capacity:
            if resource is None or res.name == resource:
                targets.append(Target(svc.name, res, tz))
    if service:
        catalogue.service(service)  # raises with the known names when unknown
    if not targets:
        what = f"service {service!r}" if service else "the catalogue"
        if not resource:
            raise InputError(f"{what} has no capacity resource")
        known = [r.name for s in catalogue.services if not service or s.name == service for r in s.capacity]
        raise InputError(f"{what} has no capacity resource named {resource!r} (known: {', '.join(known) or 'none'})")
    return targets


def _one_thread_per_worker():
    """Each worker process owns a core: BLAS threads inside it would only fight the other workers
    (measured: 6x slower on 2 cores with OpenBLAS's default of a thread per core). The small matrices
    of a forecast gain nothing from threads in a single process either."""
    import scipy.linalg  # noqa: F401  (scipy brings its own OpenBLAS: load it before limiting)
    import statsmodels.tsa.api  # noqa: F401
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1)


def _forecast(job: tuple[Target, Series, float, float]) -> Outcome:
    target, series, horizon, now = job
    res = target.resource
    lower, upper = res.bounds
    spec = Resource(res.limit, res.direction, target.lead_time_seconds, lower=lower, upper=upper)
    try:
        fc = forecast_capacity(series, spec, horizon_seconds=horizon, now=now)
    except SmsError as exc:
        return Outcome(target, error=str(exc), history=series)
    except Exception as exc:  # a model library failing on odd data must not stop the others
        return Outcome(target, error=f"forecast failed: {exc}", history=series)
    if horizon < 2 * spec.lead_time_seconds:
        fc.notes.append(
            f"the horizon ({horizon / 86400:g} d) is shorter than twice the lead time "
            f"({2 * spec.lead_time_seconds / 86400:g} d): ok only means no exhaustion within the horizon"
        )
    doc = forecast_document(
        target.service,
        res,
        fc,
        horizon_seconds=horizon,
        lead_time_seconds=spec.lead_time_seconds,
        inputs_hash=inputs_hash(series, spec, horizon),
        timezone=target.timezone,
    )
    return Outcome(target, doc=doc, history=series)


def forecast_targets(
    prom: PrometheusPort,
    targets: list[Target],
    *,
    now: datetime,
    horizon: str | None = None,
    history: str | None = None,
    workers: int | None = None,
    read_concurrency: int = 4,
    on_done: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Forecast every target; the outcomes come back in the order of ``targets``."""
    history_seconds = parse_duration(history) if history else None
    horizons = [t.horizon_seconds(horizon) for t in targets]

    def read(i: int):
        try:
            return read_history(
                prom, targets[i].resource, horizon_seconds=horizons[i], now=now, history_seconds=history_seconds
            )
        except InsufficientData as exc:
            return Outcome(targets[i], error=f"insufficient data: {exc}")
        except PrometheusQueryError as exc:  # one bad query must not stop the other resources
            return Outcome(targets[i], error=str(exc), query_error=exc)

    outcomes: list[Outcome | None] = [None] * len(targets)
    jobs = []
    with ThreadPoolExecutor(max_workers=max(1, read_concurrency)) as pool:
        for i, got in enumerate(pool.map(read, range(len(targets)))):
            if isinstance(got, Outcome):
                outcomes[i] = got
                if on_done:
                    on_done(got)
            else:
                jobs.append((i, (targets[i], got, horizons[i], now.timestamp())))
    for i, out in _run_jobs(jobs, workers or os.cpu_count() or 1):
        outcomes[i] = out
        if on_done:
            on_done(out)
    return [o for o in outcomes if o is not None]


def _run_jobs(jobs: list, workers: int):
    """Yield (index, Outcome) as the forecasts finish, in order, in worker processes when it pays."""
    if workers > 1 and len(jobs) > 1:
        # spawn, not fork: `serve` has threads (uvicorn, the scheduler) that a fork would copy mid-flight.
        with ProcessPoolExecutor(
            max_workers=min(workers, len(jobs)),
            initializer=_one_thread_per_worker,
            mp_context=multiprocessing.get_context("spawn"),
        ) as pool:
            results = pool.map(_forecast, [j for _, j in jobs], chunksize=max(1, len(jobs) // (workers * 8)))
            yield from zip((i for i, _ in jobs), results)
    else:
        with _one_thread_per_worker():
            for i, job in jobs:
                yield i, _forecast(job)
