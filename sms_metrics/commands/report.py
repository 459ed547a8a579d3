"""``sms-metrics report availability``."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from sms_metrics.adapters.prometheus import PrometheusHTTP
from sms_metrics.catalogue import load_catalogue
from sms_metrics.config import Settings
from sms_metrics.core.periods import parse_period, previous_month
from sms_metrics.errors import InputError
from sms_metrics.reports.availability import measure_catalogue, report_dict
from sms_metrics.reports.render import FORMATS, render

log = logging.getLogger(__name__)
NO_DATA_EXIT = 3


def change_windows(settings: Settings, catalogue, period: str) -> dict[str, list]:
    """The approved maintenance windows of changes in the register (when one is configured), per service."""
    from sms_metrics.bootstrap import build, register_in_use
    from sms_metrics.register.kinds.changes import maintenance_windows

    if not register_in_use(settings):
        return {}
    span = parse_period(period, "UTC", now=datetime.now(UTC))
    system = build(settings, catalogue=catalogue)
    try:
        with system.readers() as session:
            windows = maintenance_windows(
                session,
                [s.name for s in catalogue.services],
                span.start - timedelta(days=2),
                span.end + timedelta(days=2),
            )
    finally:
        system.close()
    for name, found in windows.items():
        if found:
            log.info("%s: %d approved change window(s) excluded as maintenance", name, len(found))
    return windows


def _fixed(period: str) -> bool:
    from sms_metrics.register.kinds.service_reports import PERIOD

    return bool(PERIOD.match(period))


def save_reports(settings: Settings, catalogue, reports: list[dict]) -> None:
    """``--save``: each report kept as the service-report record of its service and period."""
    from sms_metrics.bootstrap import build
    from sms_metrics.register.kinds.report_saving import save_report
    from sms_metrics.register.records.cli import cli_principal

    system = build(settings, catalogue=catalogue)
    try:
        for r in reports:
            saved = save_report(system.records, cli_principal(None), r, source="cli")
            log.info("saved %s (%s %s, version %d)", saved.ref, r["service"], r["period"]["label"], saved.version)
    finally:
        system.close()


def produce_reports(settings: Settings, *, catalogue, prom, service, period, show_progress=True) -> list[dict]:
    """Measure and return report dicts, with a progress bar on stderr for many services."""
    total = 1 if service else len(catalogue.services)
    console = Console(stderr=True)
    with Progress(
        TextColumn("measuring"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not show_progress or total < 2,
    ) as progress:
        task = progress.add_task("services", total=total)
        reports = measure_catalogue(
            prom,
            catalogue,
            period,
            service=service,
            concurrency=settings.prometheus_concurrency,
            on_done=lambda _r: progress.advance(task),
            extra_windows=change_windows(settings, catalogue, period),
        )
    return [report_dict(r) for r in reports]


def run_availability_report(
    settings: Settings,
    *,
    catalogue: Path,
    prometheus: str | None,
    service: str | None,
    period: str | None,
    fmt: str,
    out: Path | None,
    save: bool = False,
) -> int:
    if fmt not in FORMATS:
        raise InputError(f"--format {fmt!r} is not supported: use one of {', '.join(FORMATS)}")
    cat = load_catalogue(catalogue)
    if service:
        cat.service(service)
    prom = PrometheusHTTP.from_settings(settings, prometheus)
    period = period or previous_month(datetime.now(UTC)).label
    if save and not _fixed(period):
        raise InputError(f"--save keeps the report of a month or a date range, not of {period!r}")
    log.info("measuring %s over %s from %s", service or f"{len(cat.services)} services", period, prom.url)
    reports = produce_reports(settings, catalogue=cat, prom=prom, service=service, period=period)
    if save:
        save_reports(settings, cat, reports)
    text = render(reports, fmt, single=bool(service))
    if out:
        out.write_text(text)
        log.info("wrote %s", out)
    else:
        print(text, end="")
    missing = [r["service"] for r in reports if r["availability_percent"] is None]
    if missing:
        log.warning("no data for %s", ", ".join(missing))
        return NO_DATA_EXIT
    return 0
