"""Which seasons a series has: autocorrelation at the period's lag, after removing a linear trend
(and, for longer periods, the shorter seasons already found), must reach ``MIN_ACF``."""

from __future__ import annotations

import numpy as np

from sms_metrics.forecasting.prepare import is_constant

MIN_ACF = 0.3


def _detrend(y: np.ndarray) -> np.ndarray:
    x = np.arange(len(y), dtype=float)
    slope, intercept = np.polyfit(x, y, 1)
    return y - (intercept + slope * x)


def _profile(y: np.ndarray, period: int) -> np.ndarray:
    """The mean of each phase of ``period``, laid over the series."""
    phase = np.arange(len(y)) % period
    means = np.bincount(phase, weights=y, minlength=period) / np.maximum(np.bincount(phase, minlength=period), 1)
    return means[phase]


def lag_correlation(y: np.ndarray, lag: int) -> float:
    d = y - y.mean()
    den = float(np.dot(d, d))
    return float(np.dot(d[lag:], d[:-lag]) / den) if den > 0 and 0 < lag < len(y) else 0.0


def detect_periods(y: np.ndarray, candidates: tuple[int, ...]) -> tuple[int, ...]:
    """The candidate periods (shortest first) that show in ``y`` with at least two full cycles."""
    y = np.asarray(y, dtype=float)
    if is_constant(y):
        return ()  # no season, whatever rounding leaves behind
    rest = _detrend(y)
    found: list[int] = []
    for p in sorted(candidates):
        if len(rest) < 2 * p:
            continue
        if lag_correlation(rest, p) >= MIN_ACF:
            found.append(p)
            rest = rest - _profile(rest, p)
    return tuple(found)
