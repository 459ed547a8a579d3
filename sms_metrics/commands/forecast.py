"""``sms-metrics forecast``: capacity forecasts for one resource or the whole catalogue."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from sms_metrics.adapters.prometheus import PrometheusHTTP
from sms_metrics.capacity.run import Outcome, forecast_targets, select_targets
from sms_metrics.catalogue import load_catalogue
from sms_metrics.config import Settings
from sms_metrics.core.durations import parse_duration
from sms_metrics.errors import InputError
from sms_metrics.reports.capacity import CAPACITY_FORMATS, render_capacity

log = logging.getLogger(__name__)
NO_DATA_EXIT = 3


def run_forecasts(
    settings: Settings,
    *,
    catalogue,
    prom,
    service=None,
    resource=None,
    horizon=None,
    history=None,
    workers=None,
    now=None,
    show_progress=True,
) -> list[Outcome]:
    """Forecast the selected resources with a progress bar on stderr."""
    targets = select_targets(catalogue, service, resource)
    console = Console(stderr=True)
    with Progress(
        TextColumn("forecasting"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not show_progress or len(targets) < 2,
    ) as progress:
        task = progress.add_task("resources", total=len(targets))
        return forecast_targets(
            prom,
            targets,
            now=now or datetime.now(UTC),
            horizon=horizon,
            history=history,
            workers=workers or settings.forecast_workers or None,
            read_concurrency=settings.prometheus_concurrency,
            on_done=lambda _o: progress.advance(task),
        )


def _save(settings: Settings, docs: list[dict]) -> None:
    from sms_metrics.bootstrap import build
    from sms_metrics.register.capacity.plans import record_forecasts
    from sms_metrics.register.db import transaction
    from sms_metrics.register.records.cli import default_actor

    system = build(settings)
    with transaction(system.sessions) as session:
        changed = record_forecasts(session, docs, actor=default_actor(), now=system.now())
    system.close()
    log.info("capacity plans: %d new, %d unchanged", changed.created, changed.unchanged)


def run_forecast_command(
    settings: Settings,
    *,
    catalogue: Path,
    prometheus: str | None,
    service: str | None,
    resource: str | None,
    horizon: str | None,
    history: str | None,
    fmt: str,
    out: Path | None,
    workers: int | None,
    save: bool,
) -> int:
    if fmt not in CAPACITY_FORMATS:
        raise InputError(f"--format {fmt!r} is not supported: use one of {', '.join(CAPACITY_FORMATS)}")
    if resource and not service:
        raise InputError("--resource needs --service (resource names are unique within a service)")
    for flag, value in (("--horizon", horizon), ("--history", history)):
        if value:
            try:
                parse_duration(value)
            except InputError as exc:
                raise InputError(f"{flag}: {exc}") from None
    cat = load_catalogue(catalogue)
    select_targets(cat, service, resource)  # an unknown service or resource is named before any request
    prom = PrometheusHTTP.from_settings(settings, prometheus)
    prom.major_version()  # an unreachable Prometheus is one error, not one per resource
    outcomes = run_forecasts(
        settings,
        catalogue=cat,
        prom=prom,
        service=service,
        resource=resource,
        horizon=horizon,
        history=history,
        workers=workers,
    )
    docs = [o.doc for o in outcomes if o.doc]
    problems = [f"{o.target.service}/{o.target.resource.name}: {o.error}" for o in outcomes if not o.doc]
    for p in problems:
        log.warning("not forecast: %s", p)
    bad_queries = [o.query_error for o in outcomes if o.query_error]
    if not docs and bad_queries:
        raise bad_queries[0]
    if save and docs:
        _save(settings, docs)
    single = bool(service and resource)
    if docs:
        text = render_capacity(
            docs,
            fmt,
            single=single,
            histories={(o.target.service, o.target.resource.name): o.history for o in outcomes},
            problems=problems,
        )
        if out:
            out.write_text(text)
            log.info("wrote %s", out)
        else:
            print(text, end="")
    return 0 if docs else NO_DATA_EXIT
