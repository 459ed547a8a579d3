"""Read an SLI from Prometheus into what the availability engine takes.

Step SLIs (probe, threshold) become one state per step. To stay cheap over long periods the
reader first asks Prometheus for per-series sample counts and extremes over one-hour blocks
(raw-sample functions, as cheap as ``avg_over_time``). A block whose every present series has
one sample per step, all good, is up; a block without samples is unknown; only the remaining
blocks (failures, gaps, partial coverage) are read step by step.

Events and latency SLIs become good/total event counts per block.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from sms_metrics.adapters.prometheus import PrometheusPort, Series
from sms_metrics.catalogue.model import SLI
from sms_metrics.core.availability import DOWN, UNKNOWN, UP
from sms_metrics.sli.queries import StepQueries, event_queries, render_window, step_queries

log = logging.getLogger(__name__)
BLOCK_SECONDS = 3600


@dataclass
class StepData:
    states: np.ndarray
    queries: int
    detail_steps: int


def _at(start: datetime, seconds: float) -> datetime:
    return start + timedelta(seconds=float(seconds))


def _matrix(series: list[Series], first: float, step: float, n: int, fill: float) -> dict[tuple, np.ndarray]:
    out = {}
    for s in series:
        row = np.full(n, fill, dtype=float)
        idx = np.rint((s.timestamps - first) / step).astype(int)
        ok = (idx >= 0) & (idx < n)
        row[idx[ok]] = s.values[ok]
        out[tuple(sorted(s.labels.items()))] = row
    return out


def _clean_blocks(q: StepQueries, counts: dict, extremes: dict, per_block: int, n_blocks: int, aggregate: str):
    """(clean, empty) boolean arrays per block from the coarse figures."""
    keys = list(counts)
    if not keys:
        return np.zeros(n_blocks, bool), np.ones(n_blocks, bool)
    c = np.vstack([counts[k] for k in keys])
    e = np.vstack([extremes.get(k, np.full(n_blocks, np.nan)) for k in keys])
    present = c > 0
    with np.errstate(invalid="ignore"):
        full_good = (c == per_block) & q.good(np.nan_to_num(e, nan=np.inf if q.kind == "threshold" else -np.inf))
    empty = ~present.any(axis=0)
    if aggregate == "min":
        clean = ~empty & np.all(~present | full_good, axis=0)
    else:
        clean = full_good.any(axis=0)
    return clean, empty


def _runs(flags: np.ndarray, max_gap: int = 2) -> list[tuple[int, int]]:
    """[start, end) index runs of True, merging runs separated by at most ``max_gap`` False."""
    idx = np.flatnonzero(flags)
    runs: list[list[int]] = []
    for i in idx:
        if runs and i - runs[-1][1] <= max_gap:
            runs[-1][1] = i + 1
        else:
            runs.append([i, i + 1])
    return [(a, b) for a, b in runs]


def read_step_states(prom: PrometheusPort, sli: SLI, *, start: datetime, n_steps: int, step: float,
                     skip: np.ndarray | None = None) -> StepData:
    """One state (UP, DOWN, UNKNOWN) per step of ``[start, start + n_steps*step)``.

    Steps flagged in ``skip`` (excluded time) are not read step by step; their state is
    whatever the coarse pass found, and the engine excludes them anyway.
    """
    q = step_queries(sli)
    left_open = (prom.major_version() or 2) >= 3
    per_block = max(1, int(round(BLOCK_SECONDS / step)))
    block = per_block * step
    n_blocks = n_steps // per_block
    states = np.full(n_steps, UNKNOWN, dtype=np.int8)
    need = np.zeros(n_blocks + 1, dtype=bool)
    queries = 0
    if n_blocks:
        first, last = _at(start, block), _at(start, n_blocks * block)
        counts = _matrix(prom.query_range(q.coarse_count(block, left_open), first, last, block),
                         first.timestamp(), block, n_blocks, 0.0)
        extremes = _matrix(prom.query_range(q.coarse_extreme(block, left_open), first, last, block),
                           first.timestamp(), block, n_blocks, np.nan)
        queries += 2
        clean, empty = _clean_blocks(q, counts, extremes, per_block, n_blocks, sli.aggregate)
        states[: n_blocks * per_block] = np.where(np.repeat(clean, per_block), UP, UNKNOWN)
        need[:n_blocks] = ~clean & ~empty
    need[n_blocks] = n_steps % per_block > 0
    if skip is not None:
        padded = np.ones((n_blocks + 1) * per_block, dtype=bool)
        padded[:n_steps] = skip
        need &= ~padded.reshape(-1, per_block).all(axis=1)
    detail_steps = 0
    for a, b in _runs(need):
        lo, hi = a * per_block, min(n_steps, b * per_block)
        got = prom.query_range(q.detail(step, left_open), _at(start, (lo + 1) * step), _at(start, hi * step), step)
        queries += 1
        detail_steps += hi - lo
        states[lo:hi] = UNKNOWN
        for s in got:
            idx = np.rint((s.timestamps - start.timestamp()) / step).astype(int) - 1
            ok = (idx >= lo) & (idx < hi)
            states[idx[ok]] = np.where(q.good(s.values[ok]), UP, DOWN)
    log.debug("%s: %d queries, %d of %d steps read one by one", q.selector, queries, detail_steps, n_steps)
    return StepData(states, queries, detail_steps)


def read_event_counts(prom: PrometheusPort, sli: SLI, *, start: datetime, n_steps: int, step: float):
    """(good, total, block_seconds) event counts per block; NaN where Prometheus had no data."""
    errors_t, total_t = event_queries(sli)
    per_block = max(1, int(round(BLOCK_SECONDS / step)))
    block = per_block * step
    n_full, rest = divmod(n_steps, per_block)
    n = n_full + (rest > 0)
    bad, total = np.full(n, np.nan), np.full(n, np.nan)
    if n_full:
        first, last = _at(start, block), _at(start, n_full * block)
        for arr, tmpl in ((bad, errors_t), (total, total_t)):
            got = prom.query_range(render_window(tmpl, block), first, last, block)
            m = _matrix(got, first.timestamp(), block, n_full, np.nan)
            if m:
                arr[:n_full] = np.nansum(np.vstack(list(m.values())), axis=0) * block
                arr[:n_full][np.all(np.isnan(np.vstack(list(m.values()))), axis=0)] = np.nan
    if rest:
        at, length = _at(start, n_steps * step), rest * step
        for arr, tmpl in ((bad, errors_t), (total, total_t)):
            got = prom.query(render_window(tmpl, length), at)
            if got:
                arr[-1] = sum(v for _, v in got) * length
    bad = np.where(np.isnan(bad) & ~np.isnan(total), 0.0, bad)
    good = total - bad
    return good, total, block
