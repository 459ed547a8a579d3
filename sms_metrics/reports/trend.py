"""The last N calendar months of a service's SLA figure, from one read of the whole span.

The reader asks Prometheus for day figures first (a day whose every step is a good sample costs
nothing more), so N months cost about what one month costs; each month is then summarised from its
slice of the span's step states (or hourly event counts) with the month's own exclusions.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from sms_metrics.adapters.prometheus import PrometheusPort
from sms_metrics.catalogue.model import Service
from sms_metrics.core.availability import summarise_events, summarise_steps
from sms_metrics.core.periods import Period, month_period, zone
from sms_metrics.errors import InputError
from sms_metrics.reports.availability import ServiceReport, WindowsProvider, windows_of
from sms_metrics.reports.calendar_figures import calendar_of
from sms_metrics.sli.reader import BLOCK_SECONDS, StepGrid, read_event_counts, read_step_states

MAX_MONTHS = 36


def months_ending(period: Period, n: int, tz: str) -> list[Period]:
    """The ``n`` calendar months (in ``tz``) up to the one the period starts in, oldest first."""
    local = period.start.astimezone(zone(tz))
    out = []
    year, month = local.year, local.month
    for _ in range(n):
        out.append(month_period(year, month, tz))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def _row(month: Period, f, target: float, now: datetime) -> dict:
    def r(v):
        return None if v is None else round(float(v), 6)

    avail = f.availability_percent
    return {
        "month": month.label,
        "availability_percent": r(avail),
        "met": None if avail is None else avail >= target - 1e-9,
        "downtime_seconds": r(f.downtime_seconds),
        "error_budget_remaining_percent": r(f.error_budget_remaining_percent),
        "data_coverage_percent": r(f.data_coverage_percent),
        "partial": month.end > now,
    }


def service_trend(
    prom: PrometheusPort, service: Service, rep: ServiceReport, n: int, *, now: datetime, windows: list
) -> list[dict]:
    """One row per month: availability, met, downtime, budget remaining, coverage."""
    slo, tz, target = service.availability_slo(), rep.timezone, rep.target_percent
    months = months_ending(rep.period, n, tz)
    start, step = months[0].start, slo.step_seconds
    n_steps = int((months[-1].end - start).total_seconds() // step)
    excluded = calendar_of(service, start, n_steps, step, windows).excluded
    rows = []
    if slo.sli.kind in ("probe", "threshold"):
        states = read_step_states(prom, slo.sli, StepGrid(start, n_steps, step), skip=excluded).states
        for m in months:
            a, b = (int((x - start).total_seconds() // step) for x in (m.start, m.end))
            f = summarise_steps(states[a:b], excluded[a:b], start=m.start, step=step, target_percent=target, tz_name=tz)
            rows.append(_row(m, f, target, now))
        return rows
    good, total, block = read_event_counts(prom, slo.sli, start=start, n_steps=n_steps, step=step)
    per_block = max(1, round(BLOCK_SECONDS / step))
    for m in months:
        a, b = (int((x - start).total_seconds() // block) for x in (m.start, m.end))
        frac = excluded[a * per_block : b * per_block].reshape(-1, per_block).mean(axis=1)
        lengths = np.full(b - a, float(block))
        f = summarise_events(
            good[a:b], total[a:b], frac, start=m.start, block_seconds=lengths, target_percent=target, tz_name=tz
        )
        rows.append(_row(m, f, target, now))
    return rows


def attach_trends(
    prom: PrometheusPort,
    services: list[Service],
    reports: list[ServiceReport],
    n: int,
    *,
    now: datetime,
    extra_windows: WindowsProvider | None = None,
) -> None:
    if not 1 <= n <= MAX_MONTHS:
        raise InputError(f"--trend {n}: give a number of months between 1 and {MAX_MONTHS}")
    for svc, rep in zip(services, reports):
        if svc.availability_slo() is None or rep.target_percent is None:
            continue
        months = months_ending(rep.period, n, rep.timezone)
        windows = windows_of(extra_windows, svc.name, months[0].start, months[-1].end)
        rep.trend = service_trend(prom, svc, rep, n, now=now, windows=windows)
