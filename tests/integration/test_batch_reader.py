"""Reading many services together gives the same step states as reading each alone."""

from __future__ import annotations

import numpy as np
import pytest

from sms_metrics.adapters.prometheus import PrometheusHTTP
from sms_metrics.catalogue.model import SLI
from sms_metrics.core.periods import month_period
from sms_metrics.sli.batch import read_step_batch
from sms_metrics.sli.reader import StepGrid, read_step_states

pytestmark = pytest.mark.integration

SLIS = [
    SLI(probe='probe_success{service="office"}'),  # two series, min
    SLI(probe='probe_success{service="office", probe="office-b"}'),  # one of them only
    SLI(probe='probe_success{service="web"}'),
    SLI(probe='probe_success{service="ghost"}'),  # no data at all
    SLI(probe='probe_success{service="office"}', aggregate="max"),
]  # any series up


def test_batched_states_equal_single_reads(history_prometheus):
    prom = PrometheusHTTP(history_prometheus.url)
    p = month_period(2026, 10, "Europe/Berlin")
    grid = StepGrid(p.start, int(p.seconds // 60), 60)
    # Skip one weekday's steps for the first SLI, as service hours would.
    skip = np.zeros(grid.n_steps, bool)
    skip[1440 * 5 : 1440 * 6] = True
    skips = [skip, None, None, None, None]
    min_slis = SLIS[:4]
    batched = read_step_batch(prom, min_slis, grid, skips[:4])
    assert batched is not None
    for sli, sk, got in zip(min_slis, skips, batched):
        alone = read_step_states(prom, sli, grid, skip=sk).states
        keep = ~sk if sk is not None else slice(None)
        assert np.array_equal(got.states[keep], alone[keep]), sli.probe
    assert (batched[3].states == -1).all()
    # different aggregations cannot share the per-step combination: the batch declines
    assert read_step_batch(prom, [SLIS[0], SLIS[4]], grid, [None, None]) is None
    states_max = read_step_states(prom, SLIS[4], grid).states
    states_min = read_step_states(prom, SLIS[0], grid).states
    assert (states_max == 1).sum() > (states_min == 1).sum()


def test_batched_any_series_up_equals_single_reads(history_prometheus):
    prom = PrometheusHTTP(history_prometheus.url)
    p = month_period(2026, 10)
    grid = StepGrid(p.start, int(p.seconds // 60), 60)
    slis = [
        SLI(probe='probe_success{service="office"}', aggregate="max"),
        SLI(probe='probe_success{service="web"}', aggregate="max"),
    ]
    batched = read_step_batch(prom, slis, grid, [None, None])
    for sli, got in zip(slis, batched):
        assert np.array_equal(got.states, read_step_states(prom, sli, grid).states)
    # office's two probes never fail together: with aggregate max it is never down
    assert (batched[0].states == 0).sum() == 0 and (batched[1].states == 0).sum() > 0
