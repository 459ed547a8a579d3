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


def matrix(series: list[Series], first: float, step: float, n: int, fill: float) -> dict[tuple, np.ndarray]:
    out = {}
    for s in series:
        row = np.full(n, fill, dtype=float)
        idx = np.rint((s.timestamps - first) / step).astype(int)
        ok = (idx >= 0) & (idx < n)
        row[idx[ok]] = s.values[ok]
        out[tuple(sorted(s.labels.items()))] = row
    return out


def clean_blocks(q: StepQueries, counts: dict, extremes: dict, per_block: int, n_blocks: int, aggregate: str):
    """(clean, empty) boolean arrays per block from the coarse figures."""
    keys = list(counts)
    if not keys:
        return np.zeros(n_blocks, bool), np.ones(n_blocks, bool)
    c = np.vstack([counts[k] for k in keys])
    e = np.vstack([extremes.get(k, np.full(n_blocks, np.nan)) for k in keys])
    present = c > 0
    with np.errstate(invalid="ignore"):
        full_good = (c == per_block) & q.good(np.nan_to_num(e, nan=q.bad_fill))
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


@dataclass(frozen=True)
class StepGrid:
    """Steps ``[start + i*step, start + (i+1)*step)`` for ``i < n_steps``."""

    start: datetime
    n_steps: int
    step: float

    @property
    def per_hour(self) -> int:
        return max(1, round(BLOCK_SECONDS / self.step))

    @property
    def levels(self) -> tuple[int, ...]:
        """Block sizes in steps, coarse to fine: a day, an hour (each a multiple of the next)."""
        return (24 * self.per_hour, self.per_hour)

    def at(self, i: int) -> datetime:
        return _at(self.start, i * self.step)


@dataclass
class Coarse:
    """Per-series sample counts and extremes per block (keys: sorted label items)."""

    counts: dict[tuple, np.ndarray]
    extremes: dict[tuple, np.ndarray]


def split_coarse(series: list[Series], first: float, width: float, n: int) -> Coarse:
    parts: dict[str, list[Series]] = {"c": [], "e": []}
    for s in series:
        labels = dict(s.labels)
        parts.setdefault(labels.pop("sms_part", ""), []).append(Series(labels, s.timestamps, s.values))
    return Coarse(matrix(parts["c"], first, width, n, 0.0), matrix(parts["e"], first, width, n, np.nan))


@dataclass
class _Reader:
    """Refines one step SLI from day blocks to hour blocks to single steps."""

    prom: PrometheusPort
    sli: SLI
    grid: StepGrid
    skip: np.ndarray | None
    left_open: bool
    states: np.ndarray
    queries: int = 0
    detail_steps: int = 0

    @property
    def q(self) -> StepQueries:
        return step_queries(self.sli, self.grid.step)

    def _skipped(self, lo: int, hi: int) -> bool:
        return self.skip is not None and bool(self.skip[lo:hi].all())

    def coarse(self, lo: int, n: int, per_block: int) -> Coarse:
        """Per-series count and extreme for ``n`` blocks of ``per_block`` steps from step ``lo``."""
        g = self.grid
        width = per_block * g.step
        first, last = g.at(lo + per_block), g.at(lo + n * per_block)
        got = self.prom.query_range(self.q.coarse(width, self.left_open), first, last, width)
        self.queries += 1
        return split_coarse(got, first.timestamp(), width, n)

    def detail(self, lo: int, hi: int) -> None:
        g, q = self.grid, self.q
        got = self.prom.query_range(q.detail(g.step, self.left_open), g.at(lo + 1), g.at(hi), g.step)
        self.queries += 1
        self.detail_steps += hi - lo
        for s in got:
            idx = np.rint((s.timestamps - g.start.timestamp()) / g.step).astype(int) - 1
            ok = (idx >= lo) & (idx < hi)
            self.states[idx[ok]] = np.where(q.good(s.values[ok]), UP, DOWN)

    def resolve(self, lo: int, hi: int, levels: tuple[int, ...]) -> None:
        """Fill ``states[lo:hi]``: clean blocks UP, empty ones UNKNOWN, the rest one level finer."""
        if hi <= lo or self._skipped(lo, hi):
            return
        if not levels:
            return self.detail(lo, hi)
        per_block, finer = levels[0], levels[1:]
        n = (hi - lo) // per_block
        if n == 0:
            return self.resolve(lo, hi, finer)
        c = self.coarse(lo, n, per_block)
        clean, empty = clean_blocks(self.q, c.counts, c.extremes, per_block, n, self.sli.aggregate)
        self.states[lo : lo + n * per_block][np.repeat(clean, per_block)] = UP
        for a, b in _runs(~clean & ~empty, max_gap=0 if finer else 2):
            self.resolve(lo + a * per_block, lo + b * per_block, finer)
        self.resolve(lo + n * per_block, hi, finer)


def read_step_states(prom: PrometheusPort, sli: SLI, grid: StepGrid, *, skip: np.ndarray | None = None) -> StepData:
    """One state (UP, DOWN, UNKNOWN) per step of ``grid``.

    Days whose every series has one good sample per step are up and days without samples are
    unknown, from one request; only the other days are read by the hour, and only the other hours
    step by step. Stretches wholly in ``skip`` (excluded time) are not read at all.
    """
    left_open = prom.server().left_open
    reader = _Reader(prom, sli, grid, skip, left_open, np.full(grid.n_steps, UNKNOWN, dtype=np.int8))
    reader.resolve(0, grid.n_steps, grid.levels)
    log.debug(
        "%s: %d queries, %d of %d steps read one by one",
        reader.q.selector,
        reader.queries,
        reader.detail_steps,
        grid.n_steps,
    )
    return StepData(reader.states, reader.queries, reader.detail_steps)


def read_event_counts(prom: PrometheusPort, sli: SLI, *, start: datetime, n_steps: int, step: float):
    """(good, total, block_seconds) event counts per block; NaN where Prometheus had no data."""
    errors_t, total_t = event_queries(sli)
    per_block = max(1, round(BLOCK_SECONDS / step))
    block = per_block * step
    n_full, rest = divmod(n_steps, per_block)
    n = n_full + (rest > 0)
    bad, total = np.full(n, np.nan), np.full(n, np.nan)
    if n_full:
        first, last = _at(start, block), _at(start, n_full * block)
        for arr, tmpl in ((bad, errors_t), (total, total_t)):
            got = prom.query_range(render_window(tmpl, block), first, last, block)
            m = matrix(got, first.timestamp(), block, n_full, np.nan)
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
