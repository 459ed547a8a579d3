"""ARIMA(1,1,1) with drift, fitted by conditional sum of squares (CSS).

The differences ``w`` of the series follow an ARMA(1,1) around their mean (the drift):
``w_t - mu = phi (w_{t-1} - mu) + e_t + theta e_{t-1}``. CSS minimises the sum of squared one-step
errors, computed by one linear filter per evaluation; on the few hundred to few thousand points of a
capacity history it gives what exact maximum likelihood gives (R's ``arima`` starts from it) in a
millisecond instead of the second statsmodels' state-space fit takes, which was most of a forecast's time.
"""

from __future__ import annotations

import numpy as np

# scipy.optimize and scipy.signal take about 2 s to import: loaded at the first fit, not by every command
# and server start that imports the forecasting code without forecasting

BOUND = 0.98  # stationary and invertible, away from the unit circle
STARTS = ((0.3, 0.0), (0.8, -0.9))  # (phi, theta) the optimiser starts from; the best fit wins


class ArimaFailed(Exception):
    """Too few points, or the optimiser found no usable parameters."""


def fit_css(w: np.ndarray) -> tuple[float, float, float, float, float]:
    """(mu, phi, theta, sigma, last error) of an ARMA(1,1) on ``w`` by conditional sum of squares."""
    if len(w) < 10:
        raise ArimaFailed("too few points for ARIMA")
    from scipy.optimize import minimize
    from scipy.signal import lfilter

    scale = float(np.std(w)) or 1.0

    def errors(params: np.ndarray) -> np.ndarray:
        mu, phi, theta = params
        return lfilter([1.0, -phi], [1.0, theta], w - mu)

    def sse(p: np.ndarray) -> float:
        return float(np.sum(errors(p)[1:] ** 2)) / (scale * scale * len(w))

    # Near-cancelling AR and MA roots make several optima: an over-differenced series (a stationary
    # remainder around a smooth trend, as after MSTL) has its best fit with theta near -1.
    fits = [
        minimize(
            sse,
            np.array([float(np.mean(w)), phi, theta]),
            method="L-BFGS-B",
            bounds=[(None, None), (-BOUND, BOUND), (-BOUND, BOUND)],
        )
        for phi, theta in STARTS
    ]
    res = min(fits, key=lambda r: r.fun if np.isfinite(r.fun) else np.inf)
    if not np.all(np.isfinite(res.x)):
        raise ArimaFailed("ARIMA parameters are not finite")
    e = errors(res.x)
    sigma = float(np.sqrt(np.mean(e[1:] ** 2)))
    mu, phi, theta = (float(v) for v in res.x)
    return mu, phi, theta, sigma, float(e[-1])


def forecast_arima111(y: np.ndarray, h: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation ``1..h`` steps ahead of ARIMA(1,1,1) with drift fitted to ``y``."""
    w = np.diff(np.asarray(y, dtype=float))
    mu, phi, theta, sigma, e_last = fit_css(w)
    k = np.arange(h)
    first = mu + phi * (w[-1] - mu) + theta * e_last  # the next difference
    diffs = mu + (first - mu) * phi**k
    mean = float(y[-1]) + np.cumsum(diffs)
    psi = np.concatenate([[1.0], (phi + theta) * phi ** k[:-1]])  # MA(inf) weights of the differences
    cum = np.cumsum(psi)  # ... and of the integrated series
    return mean, sigma * np.sqrt(np.cumsum(cum**2))
