"""One resource from a prepared series to a capacity forecast: seasons, model choice, final fit,
calibrated bands, exhaustion times and status."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

import numpy as np

from sms_metrics.forecasting.backtest import COMBINATION, Z80, Z95, Selection, select_model
from sms_metrics.forecasting.exhaustion import crossing_time, status
from sms_metrics.forecasting.models import MODELS, ModelFailed, Prediction, fit_models
from sms_metrics.forecasting.prepare import Series, candidate_periods
from sms_metrics.forecasting.seasonality import detect_periods


@dataclass(frozen=True)
class Resource:
    """What the forecast is measured against (from the catalogue's capacity entry)."""

    limit: float
    direction: str  # "up" or "down"
    lead_time_seconds: float
    lower: float | None = None  # physical bounds of the unit: forecasts and bands never leave them
    upper: float | None = None

    def clip(self, values: np.ndarray) -> np.ndarray:
        lo = -np.inf if self.lower is None else self.lower
        hi = np.inf if self.upper is None else self.upper
        return np.clip(values, lo, hi)


@dataclass
class CapacityForecast:
    model: str
    selection: Selection
    periods: tuple[int, ...]
    series: Series
    times: np.ndarray
    mean: np.ndarray
    lower_80: np.ndarray
    upper_80: np.ndarray
    lower_95: np.ndarray
    upper_95: np.ndarray
    exhaustion_at: float | None
    earliest_95: float | None
    status: str
    notes: list[str] = field(default_factory=list)

    @property
    def mase(self) -> float:
        return self.selection.scores[self.model].mase

    @property
    def smape(self) -> float:
        return self.selection.scores[self.model].smape


def inputs_hash(series: Series, resource: Resource, horizon_seconds: float) -> str:
    """Identifies the inputs of a forecast: the same history and settings give the same plan."""
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(series.values, dtype=float).tobytes())
    h.update(
        repr(
            (
                series.start,
                series.step,
                resource.limit,
                resource.direction,
                resource.lead_time_seconds,
                resource.lower,
                resource.upper,
                horizon_seconds,
                tuple(MODELS),
            )
        ).encode()
    )
    return h.hexdigest()


def _final(y: np.ndarray, h: int, periods: tuple[int, ...], sel: Selection) -> tuple[str, Prediction]:
    """Refit the chosen model on the whole history; if it fails now, the next best by backtest."""
    ranked = sorted(sel.scores, key=lambda k: sel.scores[k].mase)
    for name in ranked:
        parts = sel.parts if name == sel.model else ((name,) if name != COMBINATION else ())
        if not parts:
            continue
        preds = fit_models(y, h, periods, parts)
        if len(preds) == len(parts):
            ps = [preds[p] for p in parts]
            return name, Prediction(np.mean([p.mean for p in ps], axis=0), np.mean([p.std for p in ps], axis=0))
    raise ModelFailed("no model could be refitted to the whole history")


def forecast_capacity(
    series: Series,
    resource: Resource,
    *,
    horizon_seconds: float,
    now: float | None = None,
    names: tuple[str, ...] = tuple(MODELS),
) -> CapacityForecast:
    """Forecast ``series`` over ``horizon_seconds`` and find when it reaches the resource's limit."""
    y = series.values
    h = max(1, math.ceil(horizon_seconds / series.step))
    periods = detect_periods(y, candidate_periods(series.step))
    sel = select_model(y, h, periods, names)
    model, pred = _final(y, h, sel.periods, sel)
    if model != sel.model:
        sel.model, sel.parts = model, (model,)
    # Each point stands for the step that ends at its time, (t - step, t], like the history.
    times = series.end + series.step * np.arange(1, h + 1, dtype=float)
    w80, w95 = Z80 * sel.scale80 * pred.std, Z95 * sel.scale95 * pred.std
    last_t, last_v = series.end, float(y[-1])
    # Exhaustion from the unclipped path: the limit lies within the bounds (the catalogue checks it),
    # so clipping would only delay a crossing that the interpolation dates exactly.
    at = crossing_time(times, pred.mean, resource.limit, resource.direction, last_t, last_v)
    band = pred.mean - w95 if resource.direction == "down" else pred.mean + w95
    earliest = crossing_time(times, band, resource.limit, resource.direction, last_t, last_v)
    now = series.end if now is None else now
    clip = resource.clip
    return CapacityForecast(
        model=model,
        selection=sel,
        periods=sel.periods,
        series=series,
        times=times,
        mean=clip(pred.mean),
        lower_80=clip(pred.mean - w80),
        upper_80=clip(pred.mean + w80),
        lower_95=clip(pred.mean - w95),
        upper_95=clip(pred.mean + w95),
        exhaustion_at=at,
        earliest_95=earliest,
        status=status(at, now, resource.lead_time_seconds),
        notes=list(series.notes),
    )
