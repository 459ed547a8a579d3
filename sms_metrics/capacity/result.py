"""The forecast JSON document of one resource (the `forecast` command's contract in DESIGN.md)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from sms_metrics.catalogue.model import CapacityResource
from sms_metrics.core.periods import rfc3339
from sms_metrics.forecasting.pipeline import CapacityForecast


def ts(seconds: float | None) -> str | None:
    """RFC 3339 in UTC, to the second (an interpolated crossing has no meaningful microseconds)."""
    return None if seconds is None else rfc3339(datetime.fromtimestamp(round(seconds), UTC))


def utilisation(last_value: float, limit: float, direction: str) -> float | None:
    """value / limit of a resource that runs out by rising to its limit; None for one that falls."""
    return round(last_value / limit, 6) if direction == "up" and limit > 0 else None


def order_by(exhaustion_at: float | None, lead_time_seconds: float) -> float | None:
    """When the upgrade must be ordered: the exhaustion minus the lead time."""
    return None if exhaustion_at is None else exhaustion_at - lead_time_seconds


def _num(v: float) -> float | None:
    return float(v) if math.isfinite(v) else None


def forecast_document(
    service: str,
    res: CapacityResource,
    fc: CapacityForecast,
    *,
    horizon_seconds: float,
    lead_time_seconds: float,
    inputs_hash: str,
    timezone: str = "UTC",
) -> dict:
    sel = fc.selection
    s = fc.series
    points = [
        {
            "t": ts(t),
            "value": _num(v),
            "lower_80": _num(l8),
            "upper_80": _num(u8),
            "lower_95": _num(l9),
            "upper_95": _num(u9),
        }
        for t, v, l8, u8, l9, u9 in zip(fc.times, fc.mean, fc.lower_80, fc.upper_80, fc.lower_95, fc.upper_95)
    ]
    return {
        "service": service,
        "resource": res.name,
        "model": fc.model,
        "status": fc.status,
        "backtest": {
            "mase": _num(fc.mase),
            "smape": _num(fc.smape),
            "origins": sel.origins,
            "coverage_95": sel.coverage95,
            "models": {k: {"mase": _num(v.mase), "smape": _num(v.smape)} for k, v in sel.scores.items()},
            "dropped": sel.dropped,
        },
        "forecast": points,
        "exhaustion": {"at": ts(fc.exhaustion_at), "earliest_95": ts(fc.earliest_95)},
        "order_by": ts(order_by(fc.exhaustion_at, lead_time_seconds)),
        "limit": res.limit,
        "direction": res.direction,
        "unit": res.unit,
        "bounds": {"min": res.bounds[0], "max": res.bounds[1]},
        "aggregate": res.aggregate,
        "utilisation": utilisation(float(s.values[-1]), res.limit, res.direction),
        "timezone": timezone,
        "lead_time_seconds": lead_time_seconds,
        "horizon_seconds": horizon_seconds,
        "combination_of": list(sel.parts) if fc.model == "combination" else None,
        "seasons_seconds": [p * s.step for p in fc.periods],
        "history": {
            "start": ts(s.start),
            "end": ts(s.end),
            "step_seconds": s.step,
            "points": len(s.values),
            "last_value": float(s.values[-1]),
        },
        "notes": fc.notes,
        "inputs_hash": inputs_hash,
    }
