"""From a raw Prometheus series to a regular one a model can fit.

Gaps inside the series are filled by linear interpolation, counter resets are undone, a level
shift (a disk cleaned up, a volume grown) cuts the history to what follows it, and a series too
short to forecast raises ``InsufficientData``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sms_metrics.errors import InsufficientData

# Steps the forecast is made at: the smallest one that gives at most MAX_HORIZON_STEPS ahead.
STEP_LADDER = (60, 300, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
MAX_HORIZON_STEPS = 168  # a week of hours: enough resolution for the question "when"
MAX_HISTORY_STEPS = 5000
MIN_POINTS = 48
MAX_GAP_SHARE = 0.5  # more missing than this and the history is not trusted
SHIFT_SIGMAS = 8.0  # a jump this many robust sigmas above the step noise is a level shift


@dataclass(frozen=True)
class Series:
    """A regular series: ``values[i]`` stands for the step ``(start + i*step, start + (i+1)*step]``
    and is dated at its end (Prometheus' convention for ``*_over_time``)."""

    start: float
    step: int
    values: np.ndarray
    notes: tuple[str, ...] = ()

    @property
    def end(self) -> float:
        """Time just after the last value (where the forecast begins)."""
        return self.start + len(self.values) * self.step

    def times(self) -> np.ndarray:
        """The time of each value: the end of its step."""
        return self.start + self.step * np.arange(1, len(self.values) + 1, dtype=float)


def is_constant(y: np.ndarray) -> bool:
    """Flat to within rounding: there is no trend or season to learn."""
    return len(y) == 0 or bool(np.ptp(y) <= 1e-9 * max(1.0, float(np.abs(y).max())))


def choose_step(history_seconds: float, horizon_seconds: float) -> int:
    """Hourly for a week ahead, coarser for longer horizons, never more than MAX_HISTORY_STEPS."""
    for step in STEP_LADDER:
        if horizon_seconds / step <= MAX_HORIZON_STEPS and history_seconds / step <= MAX_HISTORY_STEPS:
            return step
    return STEP_LADDER[-1]


def candidate_periods(step: int) -> tuple[int, ...]:
    """The daily and weekly seasonal periods in steps, where they are whole numbers above 1."""
    return tuple(p // step for p in (86400, 604800) if p % step == 0 and p // step > 1)


def undo_counter_resets(values: np.ndarray) -> np.ndarray:
    """A counter that drops has restarted from zero: add back what it had reached."""
    v = np.asarray(values, dtype=float)
    ok = ~np.isnan(v)
    x = v[ok]
    if len(x) < 2:
        return v.copy()
    drops = np.where(np.diff(x) < 0, x[:-1], 0.0)
    out = v.copy()
    out[ok] = x + np.concatenate([[0.0], np.cumsum(drops)])
    return out


def fill_gaps(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Strip leading and trailing NaN, interpolate the inner ones; returns (series, gaps filled)."""
    v = np.asarray(values, dtype=float)
    ok = np.flatnonzero(np.isfinite(v))
    if len(ok) == 0:
        return v[:0], 0
    v = v[ok[0] : ok[-1] + 1]
    bad = ~np.isfinite(v)
    if bad.any():
        idx = np.arange(len(v))
        v = v.copy()
        v[bad] = np.interp(idx[bad], idx[~bad], v[~bad])
    return v, int(bad.sum())


def last_level_shift(values: np.ndarray, periods: tuple[int, ...] = ()) -> int | None:
    """Index where the last level shift starts, or None: a one-step jump far above the noise of the
    series' steps (robust scale: the median absolute step), after which the level stays."""
    v = np.asarray(values, dtype=float)
    if len(v) < 8:
        return None
    d = np.diff(v)
    scale = 1.4826 * np.median(np.abs(d - np.median(d)))
    spread = np.percentile(v, 95) - np.percentile(v, 5)
    if scale <= 0:
        scale = 1e-9 * max(1.0, spread)
    jumps = np.flatnonzero(np.abs(d) > max(SHIFT_SIGMAS * scale, 0.25 * spread))
    for j in jumps[::-1]:
        before, after = v[max(0, j - 12) : j + 1], v[j + 1 : j + 13]
        if len(after) == 0:
            continue
        # A jump that also happens one season earlier or later is part of the season, not a shift.
        if any(
            0 <= k < len(d) and np.sign(d[k]) == np.sign(d[j]) and abs(d[k]) > 0.5 * abs(d[j])
            for p in periods
            for k in (j - p, j + p)
        ):
            continue
        # A spike returns to where it was; a shift stays near the new level.
        if abs(np.median(after) - np.median(before)) > 0.5 * abs(d[j]):
            return int(j + 1)
    return None


def prepare_series(
    start: float, step: int, values: np.ndarray, *, counter: bool = False, min_points: int = MIN_POINTS
) -> Series:
    """Clean ``values`` (one per step from ``start``) into a Series, or raise InsufficientData."""
    raw = np.asarray(values, dtype=float)
    present = int(np.isfinite(raw).sum())
    if present < min_points:
        raise InsufficientData(f"{present} of {len(raw)} steps have data; at least {min_points} are needed")
    if counter:
        raw = undo_counter_resets(raw)
    first = int(np.flatnonzero(np.isfinite(raw))[0])
    filled, gaps = fill_gaps(raw)
    if gaps > MAX_GAP_SHARE * len(filled):
        raise InsufficientData(f"{gaps} of {len(filled)} steps are missing (more than half)")
    notes = [f"{gaps} missing steps interpolated"] if gaps else []
    shift = last_level_shift(filled, candidate_periods(step))
    if shift is not None and len(filled) - shift >= min_points:
        notes.append(f"history before the level shift at step {shift} ignored")
        filled, first = filled[shift:], first + shift
    elif shift is not None:
        raise InsufficientData(
            f"only {len(filled) - shift} steps since the last level shift; at least {min_points} are needed"
        )
    return Series(start=start + first * step, step=step, values=filled, notes=tuple(notes))
