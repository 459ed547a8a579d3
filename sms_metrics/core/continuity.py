"""Continuity tests measured from probes: the downtime and the recovery time of a test window.

The window's steps come from the availability engine (``UP``, ``DOWN``, ``UNKNOWN`` per step, the
same semantics as the SLA report). Downtime is the failed steps' time. Recovery time runs from the
start of the first failed step to the start of the first up step after the last failed step: the
time the service took to come back for good, gaps and flaps included."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from sms_metrics.core.availability import DOWN, UNKNOWN, UP, find_outages


@dataclass(frozen=True)
class Recovery:
    downtime_seconds: float
    unknown_seconds: float
    first_failure_at: datetime | None  # start of the first failed step
    last_failure_end: datetime | None  # end of the last failed step
    recovered_at: datetime | None  # start of the first up step after the last failed step
    recovery_seconds: float | None  # recovered_at - first_failure_at; 0 without failure; None if not recovered
    outages: list[dict]


def measure_recovery(states: np.ndarray, start: datetime, step: float) -> Recovery:
    """Downtime and recovery time of the steps ``states`` starting at ``start``, ``step`` seconds each."""
    down = np.flatnonzero(states == DOWN)
    unknown = float((states == UNKNOWN).sum()) * step
    outages = [
        {"start": o.start, "end": o.end, "duration_seconds": o.duration_seconds}
        for o in find_outages(states, start, step)
    ]
    if not len(down):
        return Recovery(0.0, unknown, None, None, None, 0.0, outages)
    first, last = int(down[0]), int(down[-1])
    at = lambda i: start + timedelta(seconds=float(i) * step)  # noqa: E731
    ups = np.flatnonzero(states[last + 1 :] == UP)
    recovered = None if not len(ups) else at(last + 1 + int(ups[0]))
    return Recovery(
        downtime_seconds=float(len(down)) * step,
        unknown_seconds=unknown,
        first_failure_at=at(first),
        last_failure_end=at(last + 1),
        recovered_at=recovered,
        recovery_seconds=None if recovered is None else (recovered - at(first)).total_seconds(),
        outages=outages,
    )


def rto_met(recovery: Recovery, rto_seconds: float | None, window_end: datetime) -> bool | None:
    """Whether the recovery met the RTO: None without an RTO, or when the service had not recovered by
    the window's end but the RTO had not run out by then either."""
    if rto_seconds is None:
        return None
    if recovery.recovery_seconds is not None:
        return recovery.recovery_seconds <= rto_seconds
    assert recovery.first_failure_at is not None
    return False if (window_end - recovery.first_failure_at).total_seconds() > rto_seconds else None


def window_grid(start: datetime, end: datetime, step: float) -> tuple[datetime, int]:
    """The step grid that covers ``[start, end)``: its first step (aligned down to ``step`` since the
    epoch, like the engine's grids) and its number of steps (the last one reaching ``end`` or past it)."""
    ts = start.timestamp()
    first = start - timedelta(seconds=ts % step)
    n = int(np.ceil((end - first).total_seconds() / step))
    return first, max(n, 1)


__all__ = ["DOWN", "UNKNOWN", "UP", "Recovery", "measure_recovery", "rto_met", "window_grid"]
