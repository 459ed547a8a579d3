"""The forecasting models. Each takes a training series and a horizon and returns a point forecast
with its standard deviation per step ahead; a model that fails to converge or blows up raises
``ModelFailed`` and is dropped by the caller, never reported.

- ``seasonal_naive``: the last full cycle of the longest season present, repeated.
- ``linear_trend``: least squares on time, what ``predict_linear`` does over the whole history.
- ``ets``: ETS with additive damped trend and, when the series has one, the longest additive season
  (Holt-Winters; statsmodels).
- ``mstl_ets``: MSTL removes every detected season (daily and weekly), a damped-trend ETS forecasts
  the adjusted series and the seasons are carried forward.
- ``arima``: ARIMA(1,1,1) with drift (fitted by conditional sum of squares, ``forecasting.arima``) on
  the MSTL-adjusted series (on the series itself when it has no season), the seasons carried forward.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sms_metrics.forecasting.arima import ArimaFailed, forecast_arima111
from sms_metrics.forecasting.prepare import is_constant

BLOW_UP_FACTOR = 3.0
# Loess evaluated every few points and interpolated: 15x faster than the defaults on hourly weeks.
# Seasons smoothed with locally constant loess (degree 0, as R's stl and mstl do): the benchmark's
# one-week MASE of mstl_ets falls from 0.54 to 0.48 against statsmodels' default degree 1.
STL_OPTIONS = {"seasonal_jump": 5, "trend_jump": 20, "low_pass_jump": 20, "seasonal_deg": 0}


class ModelFailed(Exception):
    """A model could not be fitted (no convergence, too short, non-finite or exploding forecast)."""


@dataclass(frozen=True)
class Prediction:
    mean: np.ndarray
    std: np.ndarray


def usable_periods(n: int, periods: tuple[int, ...]) -> tuple[int, ...]:
    """Seasons with more than two full cycles in ``n`` points (what MSTL accepts)."""
    return tuple(p for p in periods if n > 2 * p)


def longest_season(n: int, periods: tuple[int, ...]) -> int:
    """The longest season with at least one full cycle in ``n`` points (1: none)."""
    return max((p for p in periods if n >= p), default=1)


def seasonal_naive(y: np.ndarray, h: int, periods: tuple[int, ...], decomposition=None) -> Prediction:
    """The last cycle of the longest season present, repeated."""
    m = longest_season(len(y), periods)
    last = y[-m:]
    mean = np.resize(last, h).astype(float)
    diffs = y[m:] - y[:-m]
    sigma = float(np.sqrt(np.mean(diffs**2))) if len(diffs) else 0.0
    k = np.arange(h) // m + 1
    return Prediction(mean, sigma * np.sqrt(k))


def linear_trend(y: np.ndarray, h: int, periods: tuple[int, ...], decomposition=None) -> Prediction:
    n = len(y)
    x = np.arange(n, dtype=float)
    slope, intercept = np.polyfit(x, y, 1)
    resid = y - (intercept + slope * x)
    s = float(np.sqrt(np.sum(resid**2) / max(n - 2, 1)))
    xf = np.arange(n, n + h, dtype=float)
    sxx = float(np.sum((x - x.mean()) ** 2))
    std = s * np.sqrt(1 + 1 / n + (xf - x.mean()) ** 2 / sxx)
    return Prediction(intercept + slope * xf, std)


def _ets_std(sigma: float, alpha: float, beta: float, gamma: float, phi: float, m: int, h: int) -> np.ndarray:
    """Standard deviation h steps ahead of an additive-error ETS (Hyndman et al., class 1):
    var_h = sigma^2 (1 + sum_{j<h} c_j^2), c_j = alpha (1 + beta phi_j) + gamma [j mod m = 0]."""
    j = np.arange(1, h)
    phi_j = np.cumsum(phi**j) if len(j) else np.zeros(0)
    c = alpha * (1 + beta * phi_j) + (gamma * (j % m == 0) if m > 1 else 0.0)
    var = np.concatenate([[0.0], np.cumsum(c**2)])
    return sigma * np.sqrt(1 + var)


def _fit_ets(y: np.ndarray, h: int, season: int, damped: bool = True) -> Prediction:
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = ExponentialSmoothing(
            y,
            trend="add",
            damped_trend=damped,
            seasonal="add" if season > 1 else None,
            seasonal_periods=season if season > 1 else None,
            initialization_method="heuristic" if season > 1 else "estimated",
        )
        fit = model.fit(use_brute=False)
    if not getattr(fit.mle_retvals, "success", True):
        raise ModelFailed("ETS did not converge")
    p = fit.params
    sigma = float(np.sqrt(np.mean(np.asarray(fit.resid) ** 2)))
    std = _ets_std(
        sigma,
        p["smoothing_level"],
        p.get("smoothing_trend") or 0.0,
        (p.get("smoothing_seasonal") or 0.0) if season > 1 else 0.0,
        (p.get("damping_trend") or 1.0) if damped else 1.0,
        season,
        h,
    )
    return Prediction(np.asarray(fit.forecast(h), dtype=float), std)


def ets(y: np.ndarray, h: int, periods: tuple[int, ...], decomposition=None) -> Prediction:
    usable = usable_periods(len(y), periods)
    return _fit_ets(y, h, max(usable) if usable else 1)


@dataclass(frozen=True)
class Decomposition:
    """Seasonal components removed by MSTL; ``adjusted`` = trend + remainder."""

    adjusted: np.ndarray
    seasonals: tuple[tuple[int, np.ndarray], ...]

    def carry_forward(self, h: int) -> np.ndarray:
        out = np.zeros(h)
        for period, comp in self.seasonals:
            out += np.resize(comp[-period:], h)
        return out


def decompose(y: np.ndarray, periods: tuple[int, ...]) -> Decomposition | None:
    """MSTL on the seasons that have two full cycles; None when there is none."""
    from statsmodels.tsa.seasonal import MSTL

    usable = usable_periods(len(y), periods)
    if not usable:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = MSTL(y, periods=list(usable), iterate=2, stl_kwargs=STL_OPTIONS).fit()
    seasonal = np.asarray(res.seasonal, dtype=float).reshape(len(y), -1)
    comps = tuple((p, seasonal[:, i]) for i, p in enumerate(usable))
    return Decomposition(adjusted=y - seasonal.sum(axis=1), seasonals=comps)


def mstl_ets(y: np.ndarray, h: int, periods: tuple[int, ...], decomposition=None) -> Prediction:
    if decomposition is None:
        raise ModelFailed("no season to decompose")
    base = _fit_ets(decomposition.adjusted, h, 1, damped=False)
    return Prediction(base.mean + decomposition.carry_forward(h), base.std)


def arima(y: np.ndarray, h: int, periods: tuple[int, ...], decomposition=None) -> Prediction:
    dec = decomposition or Decomposition(adjusted=y, seasonals=())
    try:
        mean, std = forecast_arima111(dec.adjusted, h)
    except ArimaFailed as exc:
        raise ModelFailed(str(exc)) from None
    return Prediction(mean + dec.carry_forward(h), std)


MODELS: dict[str, Callable[..., Prediction]] = {
    "seasonal_naive": seasonal_naive,
    "linear_trend": linear_trend,
    "ets": ets,
    "mstl_ets": mstl_ets,
    "arima": arima,
}
BASELINES = ("seasonal_naive", "linear_trend")


def checked(pred: Prediction, y: np.ndarray, h: int) -> Prediction:
    """Refuse non-finite or exploding forecasts (beyond a few history ranges or trend reaches)."""
    if not (np.all(np.isfinite(pred.mean)) and np.all(np.isfinite(pred.std))):
        raise ModelFailed("non-finite forecast")
    reach = max(float(np.ptp(y)), abs(float(y[-1] - y[0])) / max(len(y), 1) * h, 1e-9 * max(1.0, abs(float(y[-1]))))
    lo, hi = float(y.min()) - BLOW_UP_FACTOR * reach, float(y.max()) + BLOW_UP_FACTOR * reach
    if pred.mean.min() < lo or pred.mean.max() > hi:
        raise ModelFailed("the forecast blows up")
    return Prediction(pred.mean, np.maximum(pred.std, 0.0))


def fit_models(
    y: np.ndarray, h: int, periods: tuple[int, ...], names: tuple[str, ...] = tuple(MODELS)
) -> dict[str, Prediction]:
    """Every model in ``names`` that fits; failures are dropped.

    The models see the series standardised (last value 0, step changes of about 1): optimisers
    converge on bytes (1e11) and on ratios (1e-3) alike, where the raw scale made ARIMA stop short."""
    if is_constant(y):
        names = tuple(n for n in names if n in BASELINES)  # nothing to learn
    loc, scale = standard_scale(y)
    z = (y - loc) / scale
    try:
        dec = decompose(z, periods) if {"mstl_ets", "arima"} & set(names) else None
    except (ValueError, IndexError, np.linalg.LinAlgError):
        dec = None
    out = {}
    for name in names:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                p = checked(MODELS[name](z, h, periods, dec), z, h)
        except (ModelFailed, ValueError, np.linalg.LinAlgError, IndexError, ZeroDivisionError):
            continue
        out[name] = Prediction(p.mean * scale + loc, p.std * scale)
    return out


def standard_scale(y: np.ndarray) -> tuple[float, float]:
    """(location, scale) that standardise ``y``: its last value and the spread of its steps."""
    loc = float(y[-1]) if len(y) else 0.0
    scale = float(np.std(np.diff(y))) if len(y) > 2 else 0.0
    if not np.isfinite(scale) or scale <= 1e-12 * max(1.0, abs(loc)):
        scale = max(1.0, abs(loc))
    return loc, scale
