"""The availability engine: step states in, SLA figures out (DESIGN.md, availability semantics).

A period is cut into steps of ``step`` seconds. Each step is ``UP``, ``DOWN`` or ``UNKNOWN`` (no
sample) as measured, and separately excluded (outside service hours or in maintenance).
Excluded wins: up + down + unknown + excluded = the period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from sms_metrics.core.periods import zone

UP, DOWN, UNKNOWN, EXCLUDED = 1, 0, -1, 2


@dataclass(frozen=True)
class Outage:
    start: datetime
    end: datetime
    duration_seconds: float


@dataclass(frozen=True)
class DayFigure:
    day: str  # local date in the SLA's time zone, YYYY-MM-DD
    availability_percent: float | None
    data_coverage_percent: float | None


@dataclass
class Figures:
    """What the engine computes for one SLI over one period."""

    up_seconds: float | None
    downtime_seconds: float | None
    unknown_seconds: float
    excluded_seconds: float
    availability_percent: float | None
    data_coverage_percent: float | None
    error_budget_seconds: float
    error_budget_remaining_percent: float | None
    burn_rate_period: float | None
    burn_rate_1h: float | None
    outages: list[Outage] = field(default_factory=list)
    mtbf_seconds: float | None = None
    mttr_seconds: float | None = None
    daily: list[DayFigure] = field(default_factory=list)


def error_budget_seconds(target_percent: float, period_seconds: float, excluded_seconds: float) -> float:
    """(1 - target/100) x (period - excluded): 43.2 min for 99.9% over 30 days of 24x7."""
    return (1 - target_percent / 100) * (period_seconds - excluded_seconds)


def budget_remaining_percent(budget_seconds: float, downtime_seconds: float) -> float | None:
    """100 x (budget - downtime) / budget; negative when overspent, None when undefined."""
    if budget_seconds <= 0:
        return 100.0 if downtime_seconds <= 0 else None
    return 100 * (budget_seconds - downtime_seconds) / budget_seconds


def burn_rate(error_ratio: float | None, target_percent: float) -> float | None:
    """How fast the budget burns: 1.0 spends exactly the budget over the SLO window."""
    allowed = 1 - target_percent / 100
    if error_ratio is None or allowed <= 0:
        return None
    return error_ratio / allowed


def find_outages(states: np.ndarray, start: datetime, step: float) -> list[Outage]:
    """Maximal runs of ``DOWN`` steps as intervals; excluded or unknown steps end a run."""
    down = np.concatenate(([0], (states == DOWN).astype(np.int8), [0]))
    edges = np.diff(down)
    begins, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [
        Outage(
            start + timedelta(seconds=float(b) * step), start + timedelta(seconds=float(e) * step), float(e - b) * step
        )
        for b, e in zip(begins, ends)
    ]


def _ratio(num: float, den: float) -> float | None:
    return None if den <= 0 else num / den


def local_days(start: datetime, n: int, step: float, tz_name: str) -> tuple[list[str], np.ndarray]:
    """(local dates YYYY-MM-DD, index of the first step of each date) for ``n`` steps, DST-aware.

    Only the local midnights are converted; a step belongs to the day its start falls in.
    """
    tz = zone(tz_name)
    end = start + timedelta(seconds=n * step)
    day = start.astimezone(tz).date()
    names, firsts = [], []
    while True:
        midnight = datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(start.tzinfo)
        first = max(0, int(np.ceil((midnight - start).total_seconds() / step)))
        if midnight >= end or first >= n:  # no step starts on this day (midnight inside the last step)
            break
        names.append(day.isoformat())
        firsts.append(first)
        day += timedelta(days=1)
    return names, np.asarray(firsts, dtype=np.intp)


def _per_day(values: np.ndarray, firsts: np.ndarray) -> np.ndarray:
    return np.add.reduceat(values, firsts) if len(values) else np.zeros(len(firsts))


def daily_figures(states: np.ndarray, start: datetime, step: float, tz_name: str) -> list[DayFigure]:
    """Availability and coverage per local day (``states`` already carry ``EXCLUDED``)."""
    days, firsts = local_days(start, len(states), step, tz_name)
    up = _per_day((states == UP).astype(np.int32), firsts)
    down = _per_day((states == DOWN).astype(np.int32), firsts)
    counted = _per_day((states != EXCLUDED).astype(np.int32), firsts)
    out = []
    for day, u, d, c in zip(days, up, down, counted):
        avail, cov = _ratio(u, u + d), _ratio(u + d, c)
        out.append(
            DayFigure(day, None if avail is None else 100 * float(avail), None if cov is None else 100 * float(cov))
        )
    return out


def apply_exclusions(states: np.ndarray, excluded: np.ndarray) -> np.ndarray:
    """States with excluded steps marked ``EXCLUDED``."""
    out = states.astype(np.int8, copy=True)
    out[excluded] = EXCLUDED
    return out


def summarise_steps(
    states: np.ndarray,
    excluded: np.ndarray,
    *,
    start: datetime,
    step: float,
    target_percent: float,
    tz_name: str = "UTC",
) -> Figures:
    """Every SLA figure of a step-state SLI (probe or threshold) over ``[start, start+n*step)``."""
    marked = apply_exclusions(states, excluded)
    n_up, n_down = int((marked == UP).sum()), int((marked == DOWN).sum())
    n_unknown, n_excl = int((marked == UNKNOWN).sum()), int((marked == EXCLUDED).sum())
    period = len(states) * step
    budget = error_budget_seconds(target_percent, period, n_excl * step)
    has_data = n_up + n_down > 0
    ratio = _ratio(n_down, n_up + n_down)
    outages = find_outages(marked, start, step)
    last = marked[-max(1, round(3600 / step)) :]
    return Figures(
        up_seconds=n_up * step,
        downtime_seconds=n_down * step,
        unknown_seconds=n_unknown * step,
        excluded_seconds=n_excl * step,
        availability_percent=None if ratio is None else 100 * (1 - ratio),
        data_coverage_percent=None if n_excl == len(states) else 100 * (n_up + n_down) / (len(states) - n_excl),
        error_budget_seconds=budget,
        error_budget_remaining_percent=budget_remaining_percent(budget, n_down * step) if has_data else None,
        burn_rate_period=burn_rate(ratio, target_percent),
        burn_rate_1h=burn_rate(
            _ratio(int((last == DOWN).sum()), int(((last == UP) | (last == DOWN)).sum())), target_percent
        ),
        outages=outages,
        mtbf_seconds=(n_up * step / len(outages)) if outages else None,
        mttr_seconds=(sum(o.duration_seconds for o in outages) / len(outages)) if outages else None,
        daily=daily_figures(marked, start, step, tz_name),
    )


def summarise_events(
    good: np.ndarray,
    total: np.ndarray,
    excluded_fraction: np.ndarray,
    *,
    start: datetime,
    block_seconds: np.ndarray,
    target_percent: float,
    tz_name: str = "UTC",
) -> Figures:
    """SLA figures of an events or latency SLI from per-block good/total event counts.

    ``good``/``total`` are NaN where Prometheus had no data; ``excluded_fraction`` is the share
    of each block that is excluded and ``block_seconds`` each block's length (the last may be
    short). Availability is good/total events; up/down seconds are null.
    """
    weight = 1 - excluded_fraction
    known = ~np.isnan(total)
    g, t = float(np.nansum(good * weight)), float(np.nansum(total * weight))
    excl = float((excluded_fraction * block_seconds).sum())
    budget = error_budget_seconds(target_percent, float(block_seconds.sum()), excl)
    counted = float((weight * block_seconds).sum())
    ratio = _ratio(t - g, t) if known.any() else None
    per_hour = max(1, round(3600 / float(block_seconds[0])))
    lt, lg = np.nansum((total * weight)[-per_hour:]), np.nansum((good * weight)[-per_hour:])
    return Figures(
        up_seconds=None,
        downtime_seconds=None,
        unknown_seconds=float(((~known) * weight * block_seconds).sum()),
        excluded_seconds=excl,
        availability_percent=None if ratio is None else 100 * (1 - ratio),
        data_coverage_percent=None if counted <= 0 else 100 * float((known * weight * block_seconds).sum()) / counted,
        error_budget_seconds=budget,
        error_budget_remaining_percent=_events_budget_remaining(ratio, target_percent),
        burn_rate_period=burn_rate(ratio, target_percent),
        burn_rate_1h=burn_rate(_ratio(lt - lg, lt), target_percent),
        daily=_daily_events(good * weight, total * weight, weight, known, start, block_seconds, tz_name),
    )


def _events_budget_remaining(ratio: float | None, target_percent: float) -> float | None:
    rate = burn_rate(ratio, target_percent)
    if rate is None:
        return None if ratio is None or ratio > 0 else 100.0
    return 100 * (1 - rate)


def _daily_events(good, total, weight, known, start, block_seconds, tz_name) -> list[DayFigure]:
    days, firsts = local_days(start, len(total), float(block_seconds[0]), tz_name)
    g, t = _per_day(np.nan_to_num(good), firsts), _per_day(np.nan_to_num(total), firsts)
    k, w = _per_day((known * weight).astype(float), firsts), _per_day(weight.astype(float), firsts)
    out = []
    for day, gi, ti, ki, wi in zip(days, g, t, k, w):
        avail, cov = _ratio(gi, ti), _ratio(ki, wi)
        out.append(
            DayFigure(day, None if avail is None else 100 * float(avail), None if cov is None else 100 * float(cov))
        )
    return out
