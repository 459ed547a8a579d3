"""Rolling-origin backtests, accuracy measures and the choice of model.

Each model forecasts from several origins near the end of the history; the one with the lowest
mean MASE wins (MASE scaled by the in-sample seasonal naive, sMAPE on 0-200). The average of the
two best joins as a candidate. The winner's standardised backtest errors calibrate its prediction
intervals, so an 80% or 95% band covers what the backtest says it should.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sms_metrics.errors import InsufficientData
from sms_metrics.forecasting.models import MODELS, ModelFailed, Prediction, fit_models

ORIGINS = 3
MIN_TRAIN = 24
Z80, Z95 = 1.2816, 1.96
SCALE_BOUNDS = (0.8, 20.0)  # bands may narrow a little, widen a lot (backtests are short)
COMBINATION = "combination"
# The combination puzzle: averages of good models forecast better out of sample than the single
# model a short backtest prefers; a single model must beat the best average by this factor.
SINGLE_MARGIN = 0.9
# Simpler first: equal MASE goes to the simpler model.
ORDER = ("seasonal_naive", "linear_trend", "ets", "mstl_ets", "arima", COMBINATION)


def mase(actual: np.ndarray, forecast: np.ndarray, train: np.ndarray, m: int) -> float:
    """Mean absolute error over the in-sample mean absolute seasonal-naive error of ``train``."""
    m = m if len(train) > m else 1
    scale = float(np.mean(np.abs(train[m:] - train[:-m]))) if len(train) > m else 0.0
    mae = float(np.mean(np.abs(actual - forecast)))
    if scale <= 1e-12 * max(1.0, float(np.mean(np.abs(train)))):
        return 0.0 if mae <= 1e-9 * max(1.0, float(np.mean(np.abs(train)))) else float("inf")
    return mae / scale


def smape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Symmetric MAPE on 0-200; a step where both are zero counts as no error."""
    den = np.abs(actual) + np.abs(forecast)
    ratio = np.divide(2 * np.abs(forecast - actual), den, out=np.zeros_like(den, dtype=float), where=den > 0)
    return float(100 * np.mean(ratio))


def coverage(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    return float(np.mean((actual >= lower) & (actual <= upper)))


@dataclass(frozen=True)
class Score:
    mase: float
    smape: float


@dataclass
class Selection:
    """The chosen model, the backtest scores of every candidate and the interval calibration."""

    model: str
    parts: tuple[str, ...]
    scores: dict[str, Score]
    scale80: float = 1.0
    scale95: float = 1.0
    origins: int = 0
    periods: tuple[int, ...] = ()  # the seasons the backtest kept (and the forecast uses)
    coverage95: float | None = None
    dropped: list[str] = field(default_factory=list)


def backtest_plan(n: int, h: int, periods: tuple[int, ...]) -> tuple[tuple[int, ...], int, list[int]]:
    """Seasons the backtest can test, its horizon ``hb`` and its origins.

    The origins are the last ``hb`` steps and then a horizon earlier each (half a horizon when whole
    horizons would leave too little training). An origin is used only when its training holds more
    than two cycles of the longest season: with fewer, MSTL drops that season and the seasonal naive
    falls back to a shorter one, and the choice would rank models on a series they never see. A
    season that no origin can test is dropped from the forecast altogether.
    """
    hb = max(1, min(h, n // 4))
    kept = tuple(sorted(periods))
    while True:
        min_train = max(MIN_TRAIN, 2 * kept[-1] + 1) if kept else MIN_TRAIN
        spacing = hb if n - ORIGINS * hb >= min_train else max(1, hb // 2)
        origins = [o for o in (n - hb - i * spacing for i in range(ORIGINS)) if o >= min_train]
        if origins or not kept:
            break
        kept = kept[:-1]
    if not origins:
        raise InsufficientData(f"{n} steps are too few to backtest a forecast")
    return kept, hb, origins


def _combine(preds: list[Prediction]) -> Prediction:
    return Prediction(np.mean([p.mean for p in preds], axis=0), np.mean([p.std for p in preds], axis=0))


def _scale(z: np.ndarray, level: float, zq: float) -> float:
    z = z[np.isfinite(z)]
    if len(z) == 0:
        return 1.0
    return float(np.clip(np.quantile(np.abs(z), level) / zq, *SCALE_BOUNDS))


Run = list[tuple[np.ndarray, Prediction, np.ndarray]]  # (test, prediction, train) per origin


def _run_origins(
    y: np.ndarray, hb: int, origins: list[int], periods: tuple[int, ...], names: tuple[str, ...]
) -> tuple[dict[str, Run], set[str]]:
    """Every model's backtest forecasts; a model that fails at any origin is dropped."""
    runs: dict[str, Run] = {}
    failed: set[str] = set()
    for o in origins:
        train, test = y[:o], y[o : o + hb]
        preds = fit_models(train, hb, periods, names)
        failed |= set(names) - set(preds)
        for name, p in preds.items():
            runs.setdefault(name, []).append((test, Prediction(p.mean[: len(test)], p.std[: len(test)]), train))
    return {k: v for k, v in runs.items() if k not in failed and len(v) == len(origins)}, failed


def _averages(runs: dict[str, Run], ranked: list[str]) -> dict[tuple[str, ...], Run]:
    """Backtest runs of the averages of the two and of the three best models."""
    out = {}
    for k in (2, 3):
        if len(ranked) >= k:
            top = tuple(ranked[:k])
            out[top] = [(r[0][0], _combine([x[1] for x in r]), r[0][2]) for r in zip(*(runs[n] for n in top))]
    return out


def select_model(y: np.ndarray, h: int, periods: tuple[int, ...], names: tuple[str, ...] = tuple(MODELS)) -> Selection:
    """Backtest every model from rolling origins and choose by mean MASE (scaled by the seasonal
    naive of the longest season the backtest keeps)."""
    periods, hb, origins = backtest_plan(len(y), h, periods)
    m = periods[-1] if periods else 1
    runs, failed = _run_origins(y, hb, origins, periods, names)
    if not runs:
        raise ModelFailed("no model could be fitted to the history")

    def score(rs: Run) -> Score:
        return Score(
            float(np.mean([mase(t, p.mean, tr, m) for t, p, tr in rs])),
            float(np.mean([smape(t, p.mean) for t, p, tr in rs])),
        )

    scores = {k: score(v) for k, v in runs.items()}
    parts: dict[str, tuple[str, ...]] = {k: (k,) for k in runs}
    best = min(scores, key=lambda k: (scores[k].mase, ORDER.index(k)))
    averages = {
        top: (score(rs), rs)
        for top, rs in _averages(runs, sorted(scores, key=lambda k: (scores[k].mase, ORDER.index(k)))).items()
    }
    if averages:
        top = min(averages, key=lambda c: averages[c][0].mase)
        if not scores[best].mase < SINGLE_MARGIN * averages[top][0].mase:
            best = COMBINATION
            scores[COMBINATION], runs[COMBINATION] = averages[top]
            parts[COMBINATION] = top
    z = np.concatenate([(t - p.mean) / np.where(p.std > 0, p.std, np.nan) for t, p, _ in runs[best]])
    sel = Selection(
        model=best,
        parts=parts[best],
        scores=scores,
        scale80=_scale(z, 0.80, Z80),
        scale95=_scale(z, 0.95, Z95),
        origins=len(origins),
        periods=periods,
        dropped=sorted(failed),
    )
    sel.coverage95 = float(
        np.mean(np.concatenate([np.abs(t - p.mean) <= Z95 * sel.scale95 * p.std + 1e-9 for t, p, _ in runs[best]]))
    )
    return sel
