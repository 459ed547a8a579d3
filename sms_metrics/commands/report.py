"""``sms-metrics report availability``."""

from __future__ import annotations

import contextlib
import logging
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from sms_metrics.adapters.prometheus import PrometheusHTTP
from sms_metrics.catalogue import load_catalogue
from sms_metrics.config import Settings
from sms_metrics.core.periods import previous_month
from sms_metrics.errors import InputError
from sms_metrics.reports.availability import measure_catalogue
from sms_metrics.reports.render import FORMATS, render
from sms_metrics.reports.sla_document import report_dict
from sms_metrics.reports.trend import MAX_MONTHS

log = logging.getLogger(__name__)
NO_DATA_EXIT = 3


@contextlib.contextmanager
def register_providers(settings: Settings, catalogue):
    """The register's approved change windows and incidents for the reports, when a register is
    configured (SMS_DATABASE_URL set, or the default file present); (None, None) otherwise."""
    from sms_metrics.bootstrap import build, register_in_use
    from sms_metrics.register.measures import change_windows, overlapping_incidents

    if not register_in_use(settings):
        yield None, None
        return
    system = build(settings, catalogue=catalogue)
    try:
        yield change_windows(system), overlapping_incidents(system)
    finally:
        system.close()


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


def produce_reports(
    settings: Settings,
    *,
    catalogue,
    prom,
    service,
    period,
    show_progress=True,
    trend=0,
    extra_windows=None,
    incidents=None,
) -> list[dict]:
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
            trend_months=trend,
            extra_windows=extra_windows,
            incidents=incidents,
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
    trend: int = 0,
    save: bool = False,
) -> int:
    if fmt not in FORMATS:
        raise InputError(f"--format {fmt!r} is not supported: use one of {', '.join(FORMATS)}")
    if trend and not 1 <= trend <= MAX_MONTHS:
        raise InputError(f"--trend {trend}: give a number of months between 1 and {MAX_MONTHS}")
    cat = load_catalogue(catalogue)
    if service:
        cat.service(service)
    prom = PrometheusHTTP.from_settings(settings, prometheus)
    period = period or previous_month(datetime.now(UTC)).label
    if save and not _fixed(period):
        raise InputError(f"--save keeps the report of a month or a date range, not of {period!r}")
    log.info("measuring %s over %s from %s", service or f"{len(cat.services)} services", period, prom.url)
    with register_providers(settings, cat) as (windows, incidents):
        reports = produce_reports(
            settings,
            catalogue=cat,
            prom=prom,
            service=service,
            period=period,
            trend=trend,
            extra_windows=windows,
            incidents=incidents,
        )
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
