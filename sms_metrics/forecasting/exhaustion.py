"""When a resource runs out: the forecast crossing its limit, and the status against lead time."""

from __future__ import annotations

import numpy as np

OK, PLAN, URGENT = "ok", "plan", "urgent"


def crossing_time(
    times: np.ndarray, values: np.ndarray, limit: float, direction: str, last_time: float, last_value: float
) -> float | None:
    """First time the path (last observation, then ``values`` at ``times``) reaches ``limit``,
    linearly interpolated between steps; None when it never does within the forecast."""
    t = np.concatenate([[last_time], times])
    v = np.concatenate([[last_value], values])
    over = v <= limit if direction == "down" else v >= limit
    if over[0]:
        return float(last_time)
    hits = np.flatnonzero(over)
    if len(hits) == 0:
        return None
    i = int(hits[0])
    v0, v1 = v[i - 1], v[i]
    frac = (limit - v0) / (v1 - v0) if v1 != v0 else 1.0
    return float(t[i - 1] + np.clip(frac, 0.0, 1.0) * (t[i] - t[i - 1]))


def status(exhaustion_at: float | None, now: float, lead_time_seconds: float) -> str:
    """``urgent`` inside the lead time, ``plan`` inside twice the lead time, else ``ok``."""
    if exhaustion_at is None:
        return OK
    left = exhaustion_at - now
    if left <= lead_time_seconds:
        return URGENT
    return PLAN if left <= 2 * lead_time_seconds else OK
