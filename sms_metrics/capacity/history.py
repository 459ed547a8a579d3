"""History of a capacity resource from Prometheus, one mean per forecast step."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np

from sms_metrics.adapters.prometheus import PrometheusPort
from sms_metrics.catalogue.model import SELECTOR, CapacityResource
from sms_metrics.forecasting.prepare import Series, choose_step, prepare_series

MIN_HISTORY_SECONDS = 28 * 86400
HISTORY_HORIZONS = 4  # look back at least four horizons


def lookback_seconds(horizon_seconds: float) -> float:
    return max(MIN_HISTORY_SECONDS, HISTORY_HORIZONS * horizon_seconds)


def history_query(resource: CapacityResource, step: int) -> str:
    """Mean per step of the resource's query (a counter: its last value per step, whose resets
    ``prepare_series`` undoes); several series are reduced to the worst one (the lowest for
    ``down``, the highest for ``up``). An expression is averaged over a subquery at an explicit
    one-minute resolution: left out, Prometheus would use its evaluation interval and
    VictoriaMetrics the query's step (one point per step), and the two would disagree."""
    worst = "min" if resource.direction == "down" else "max"
    if is_counter(resource):
        inner = f"last_over_time({resource.query.strip()}[{step}s])"
    elif SELECTOR.match(resource.query):
        inner = f"avg_over_time({resource.query.strip()}[{step}s])"
    else:
        inner = f"avg_over_time(({resource.query})[{step}s:1m])"
    return f"{worst}({inner})"


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
    """The resource's prepared history ending at the last whole step before ``now``.

    Raises ``InsufficientData`` when Prometheus has too little of it."""
    lookback = history_seconds or lookback_seconds(horizon_seconds)
    step = choose_step(lookback, horizon_seconds)
    end = math.floor(now.timestamp() / step) * step
    start = end - math.floor(lookback / step) * step
    n = int((end - start) // step)
    result = prom.query_range(
        history_query(resource, step), datetime.fromtimestamp(start + step, UTC), datetime.fromtimestamp(end, UTC), step
    )
    values = np.full(n, np.nan)
    for s in result:
        idx = np.rint((s.timestamps - start) / step).astype(int) - 1  # value at T covers (T - step, T]
        ok = (idx >= 0) & (idx < n)
        values[idx[ok]] = s.values[ok]
    return prepare_series(start, step, values, counter=is_counter(resource))
