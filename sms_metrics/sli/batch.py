"""Read the step SLIs of many services together: a handful of requests instead of several each.

Works when the SLIs share a metric name, a kind and an equality-matched label (typically
``probe_success{service="..."}``). Day figures for every service come from one request on the
union selector ``name{label=~"a|b|..."}``; then, for each day that some service needs step by
step, one request returns per-series values for just those services, and each service combines
the series its own matchers accept (min or max across series, as the single reader does).
"""

from __future__ import annotations

import re

import numpy as np

from sms_metrics.adapters.prometheus import PrometheusPort, Series
from sms_metrics.catalogue.model import SLI
from sms_metrics.core.availability import DOWN, UNKNOWN, UP
from sms_metrics.sli.queries import step_queries, window
from sms_metrics.sli.reader import StepData, StepGrid, clean_blocks, split_coarse
from sms_metrics.sli.selectors import Selector, parse_selector, promql_string, union_label


class _Batch:
    def __init__(
        self,
        prom: PrometheusPort,
        slis: list[SLI],
        grid: StepGrid,
        skips: list[np.ndarray | None],
        sels: list[Selector],
        label: str,
    ):
        self.prom, self.slis, self.grid, self.skips, self.sels, self.label = prom, slis, grid, skips, sels, label
        self.q = step_queries(slis[0])
        self.left_open = prom.server().left_open
        self.states = [np.full(grid.n_steps, UNKNOWN, dtype=np.int8) for _ in slis]
        self.full: list[np.ndarray] = [np.zeros(0, dtype=bool) for _ in slis]  # every series, one sample a step
        self.n_series = [0 for _ in slis]
        self.queries = 0

    def union(self, members: list[int]) -> str:
        values = sorted({self.sels[i].equality(self.label) for i in members})
        alternatives = "|".join(re.escape(v) for v in values)
        return f"{self.sels[0].name}{{{self.label}=~{promql_string(alternatives)}}}"

    def index(self, series: list[Series]) -> dict[str, list[Series]]:
        by_value: dict[str, list[Series]] = {}
        for s in series:
            by_value.setdefault(s.labels.get(self.label, ""), []).append(s)
        return by_value

    def mine(self, by_value: dict[str, list[Series]], i: int) -> list[Series]:
        sel = self.sels[i]
        return [s for s in by_value.get(sel.equality(self.label), []) if sel.matches(s.labels)]

    def days(self) -> list[np.ndarray]:
        """Mark clean days UP; return per SLI which days (+ the tail) need steps."""
        g, per_day = self.grid, self.grid.levels[0]
        n = g.n_steps // per_day
        needs = [np.zeros(n + 1, dtype=bool) for _ in self.slis]
        if n:
            width = per_day * g.step
            first, last = g.at(per_day), g.at(n * per_day)
            got = self.prom.query_range(
                self.q.coarse(width, self.left_open, self.union(list(range(len(self.slis))))), first, last, width
            )
            self.queries += 1
            got = self.index(got)
            for i, sli in enumerate(self.slis):
                c = split_coarse(self.mine(got, i), first.timestamp(), width, n)
                clean, empty = clean_blocks(self.q, c.counts, c.extremes, per_day, n, sli.aggregate)
                self.states[i][: n * per_day][np.repeat(clean, per_day)] = UP
                needs[i][:n] = ~clean & ~empty
                if c.counts:
                    self.full[i] = np.all(np.vstack(list(c.counts.values())) == per_day, axis=0)
                    self.n_series[i] = len(c.counts)
        for i, need in enumerate(needs):
            need[n] = g.n_steps % per_day > 0
            if self.skips[i] is not None:
                padded = np.ones((n + 1) * per_day, dtype=bool)
                padded[: g.n_steps] = self.skips[i]
                need &= ~padded.reshape(-1, per_day).all(axis=1)
        return needs

    def failures(self, lo: int, hi: int, members: list[int]) -> None:
        """For fully sampled stretches: everything up except the steps Prometheus reports bad.

        Only failing samples travel (``min_over_time(...) < 1``), not one value per step. A step
        is down when any series fails (``aggregate: min``) or all of them do (``aggregate: max``).
        """
        g, q = self.grid, self.q
        expr = f"{q.fn}({self.union(members)}[{window(g.step, self.left_open)}] offset 1ms) {q.bad_filter()}"
        got = self.index(self.prom.query_range(expr, g.at(lo + 1), g.at(hi), g.step))
        self.queries += 1
        for i in members:
            bad = np.zeros(hi - lo, dtype=np.int32)
            for s in self.mine(got, i):
                idx = np.rint((s.timestamps - g.start.timestamp()) / g.step).astype(int) - 1 - lo
                np.add.at(bad, idx[(idx >= 0) & (idx < hi - lo)], 1)
            needed = 1 if self.slis[i].aggregate == "min" else self.n_series[i]
            self.states[i][lo:hi] = np.where(bad >= needed, DOWN, UP)

    def detail(self, lo: int, hi: int, members: list[int]) -> None:
        """Per-series step values of ``members`` over steps ``[lo, hi)``, combined per SLI."""
        g, q = self.grid, self.q
        expr = f"{q.fn}({self.union(members)}[{window(g.step, self.left_open)}] offset 1ms)"
        got = self.index(self.prom.query_range(expr, g.at(lo + 1), g.at(hi), g.step))
        self.queries += 1
        for i in members:
            rows = []
            for s in self.mine(got, i):
                row = np.full(hi - lo, np.nan)
                idx = np.rint((s.timestamps - g.start.timestamp()) / g.step).astype(int) - 1 - lo
                ok = (idx >= 0) & (idx < hi - lo)
                row[idx[ok]] = s.values[ok]
                rows.append(row)
            part = np.full(hi - lo, UNKNOWN, dtype=np.int8)
            if rows:
                combined = (np.fmin if q.outer == "min" else np.fmax).reduce(np.vstack(rows), axis=0)
                known = ~np.isnan(combined)
                part[known] = np.where(q.good(combined[known]), UP, DOWN)
            self.states[i][lo:hi] = part


def batchable(slis: list[SLI]) -> tuple[list[Selector], str] | None:
    """(parsed selectors, shared equality label) when ``slis`` can be read together."""
    qs = [step_queries(s) for s in slis]
    sels = [parse_selector(q.selector) for q in qs]
    if any(s is None for s in sels) or len({s.name for s in sels}) != 1 or len({q.fn for q in qs}) != 1:
        return None
    if any(q.expression for q in qs) or len({(q.kind, q.outer, q.op, q.limit) for q in qs}) != 1:
        return None
    label = union_label(sels)
    return (sels, label) if label else None


def read_step_batch(
    prom: PrometheusPort, slis: list[SLI], grid: StepGrid, skips: list[np.ndarray | None]
) -> list[StepData] | None:
    """States of every SLI in ``slis`` over ``grid``; None when they cannot be read together."""
    shape = batchable(slis)
    if shape is None:
        return None
    batch = _Batch(prom, slis, grid, skips, *shape)
    needs = batch.days()
    per_day = grid.levels[0]
    for d in range(len(needs[0])):
        members = [i for i, need in enumerate(needs) if need[d]]
        sparse = [i for i in members if d < len(batch.full[i]) and batch.full[i][d]]
        dense = [i for i in members if i not in set(sparse)]
        lo, hi = d * per_day, min(grid.n_steps, (d + 1) * per_day)
        if sparse:
            batch.failures(lo, hi, sparse)
        if dense:
            batch.detail(lo, hi, dense)
    share = batch.queries / len(slis)
    return [StepData(st, share, 0) for st in batch.states]
