"""History of a capacity resource from Prometheus, one value per forecast step."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np

from sms_metrics.adapters.prometheus import PrometheusPort
from sms_metrics.catalogue.model import SELECTOR, CapacityResource
from sms_metrics.forecasting.prepare import Series, choose_step, prepare_series

MAX_HISTORY_SECONDS = 13 * 7 * 86400  # 13 weekly cycles: well over the eight a weekly season needs
HISTORY_HORIZONS = 4  # a longer horizon looks back four horizons (at a coarser step)
FIRST_SAMPLE_RESOLUTION = 86400
# Per forecast step, the worst value by default: limits are hit at peaks, which a mean hides.
_STEP_FN = {
    ("worst", "up"): "max_over_time",
    ("worst", "down"): "min_over_time",
    ("mean", "up"): "avg_over_time",
    ("mean", "down"): "avg_over_time",
    ("p95", "up"): "quantile_over_time",
    ("p95", "down"): "quantile_over_time",
}


def max_lookback_seconds(horizon_seconds: float) -> float:
    return max(MAX_HISTORY_SECONDS, HISTORY_HORIZONS * horizon_seconds)


def _inner(resource: CapacityResource) -> str:
    q = resource.query.strip()
    return q if SELECTOR.match(q) else f"({q})"


def _range(resource: CapacityResource, seconds: int, left_open: bool) -> str:
    """``q[W]`` for a selector, a subquery ``(q)[W:]`` for any other expression, ``W`` covering exactly
    ``(t - seconds, t]``: Prometheus 3 ranges are left-open, Prometheus 2 ranges closed (so 1 ms less)."""
    w = f"{seconds}s" if left_open else f"{seconds * 1000 - 1}ms"
    return f"{_inner(resource)}[{w}{'' if SELECTOR.match(resource.query) else ':'}]"


def history_query(resource: CapacityResource, step: int, left_open: bool = False) -> str:
    """One value per step ``(t - step, t]`` of the resource's query: the worst (max for ``up``, min for
    ``down``), the mean or the 95th percentile (for ``down`` the 5th: the level it stays above 95% of
    the time) of the samples, as the catalogue's ``aggregate`` says. A counter gives its last value per
    step (``prepare_series`` undoes its resets). Several series are reduced to the worst one."""
    worst = "min" if resource.direction == "down" else "max"
    rng = _range(resource, step, left_open)
    if is_counter(resource):
        return f"{worst}(last_over_time({rng}))"
    fn = _STEP_FN[(resource.aggregate, resource.direction)]
    if fn == "quantile_over_time":
        return f"{worst}(quantile_over_time({0.05 if resource.direction == 'down' else 0.95}, {rng}))"
    return f"{worst}({fn}({rng}))"


def available_seconds(prom: PrometheusPort, resource: CapacityResource, now: datetime, cap: float) -> float:
    """How far back Prometheus has the resource's series, rounded up to whole days, at most ``cap``:
    one cheap request that looks at one instant a day (a series younger than that gets one day)."""
    cap_s = int(math.ceil(cap / FIRST_SAMPLE_RESOLUTION) * FIRST_SAMPLE_RESOLUTION)
    expr = f"min(min_over_time(timestamp({_inner(resource)})[{cap_s}s:{FIRST_SAMPLE_RESOLUTION}s]))"
    got = prom.query(expr, now)
    first = min((v for _, v in got), default=now.timestamp())
    return float(min(cap, now.timestamp() - first + FIRST_SAMPLE_RESOLUTION))


def is_counter(resource: CapacityResource) -> bool:
    m = SELECTOR.match(resource.query)
    return bool(m and (m["name"] or "").endswith("_total"))


def read_history(
    prom: PrometheusPort,
    resource: CapacityResource,
    *,
    horizon_seconds: float,
    now: datetime,
    history_seconds: float | None = None,
) -> Series:
    """The resource's prepared history ending at the last whole step before ``now``: ``history_seconds``
    of it, by default all that Prometheus has up to ``max_lookback_seconds``, at the finest step that
    gives at most a week of steps ahead and ``MAX_HISTORY_STEPS`` behind.

    Raises ``InsufficientData`` when Prometheus has too little of it."""
    lookback = history_seconds or available_seconds(prom, resource, now, max_lookback_seconds(horizon_seconds))
    step = choose_step(lookback, horizon_seconds)
    end = math.floor(now.timestamp() / step) * step
    start = end - math.floor(lookback / step) * step
    n = int((end - start) // step)
    expr = history_query(resource, step, left_open=(prom.major_version() or 2) >= 3)
    result = prom.query_range(expr, datetime.fromtimestamp(start + step, UTC), datetime.fromtimestamp(end, UTC), step)
    values = np.full(n, np.nan)
    for s in result:
        idx = np.rint((s.timestamps - start) / step).astype(int) - 1  # value at T covers (T - step, T]
        ok = (idx >= 0) & (idx < n)
        values[idx[ok]] = s.values[ok]
    return prepare_series(start, step, values, counter=is_counter(resource))
