"""Accuracy on real data we did not write: Taylor's half-hourly electricity demand of England and
Wales (June-August 2000, daily and weekly seasons), shipped inside the ``pmdarima`` package.

The series is averaged to hours; the last six weeks are each forecast one week ahead from the
history before them (rolling origin), as `sms-metrics forecast` would with a 7d horizon.
"""

import numpy as np
import pytest

from sms_metrics.forecasting.backtest import mase, smape
from sms_metrics.forecasting.models import linear_trend, seasonal_naive
from sms_metrics.forecasting.pipeline import Resource, forecast_capacity
from sms_metrics.forecasting.prepare import prepare_series

WEEK = 168


@pytest.fixture(scope="module")
def taylor_hourly():
    datasets = pytest.importorskip("pmdarima.datasets")
    half_hours = np.asarray(datasets.load_taylor(), dtype=float)
    assert len(half_hours) == 4032
    return half_hours.reshape(-1, 2).mean(axis=1)


@pytest.fixture(scope="module")
def weekly_results(taylor_hourly):
    out = []
    for k in range(6):
        end = len(taylor_hourly) - k * WEEK
        train, test = taylor_hourly[: end - WEEK], taylor_hourly[end - WEEK : end]
        f = forecast_capacity(
            prepare_series(0, 3600, train),
            Resource(limit=1e9, direction="up", lead_time_seconds=86400),
            horizon_seconds=WEEK * 3600,
        )
        out.append(
            {
                "model": f.model,
                "mase": mase(test, f.mean, train, WEEK),
                "smape": smape(test, f.mean),
                "snaive": mase(test, seasonal_naive(train, WEEK, (24, WEEK)).mean, train, WEEK),
                "linear": mase(test, linear_trend(train, WEEK, ()).mean, train, WEEK),
                "inside95": (test >= f.lower_95) & (test <= f.upper_95),
                "inside80": (test >= f.lower_80) & (test <= f.upper_80),
            }
        )
    return out


def test_selected_model_beats_seasonal_naive_and_linear_trend_one_week_ahead(weekly_results):
    ours = np.mean([r["mase"] for r in weekly_results])
    snaive = np.mean([r["snaive"] for r in weekly_results])
    linear = np.mean([r["linear"] for r in weekly_results])
    print(
        f"\nTaylor, 6 weeks one week ahead: MASE selected {ours:.3f}, seasonal naive {snaive:.3f}, "
        f"linear trend {linear:.3f}; sMAPE {np.mean([r['smape'] for r in weekly_results]):.2f}; "
        f"models {[r['model'] for r in weekly_results]}"
    )
    assert ours < snaive and ours < linear
    assert np.mean([r["smape"] for r in weekly_results]) < 5


def test_95_percent_interval_covers_90_to_98_percent(weekly_results):
    cov95 = np.concatenate([r["inside95"] for r in weekly_results]).mean()
    cov80 = np.concatenate([r["inside80"] for r in weekly_results]).mean()
    print(f"\nTaylor coverage: 95% band {cov95:.3f}, 80% band {cov80:.3f}")
    assert 0.90 <= cov95 <= 0.98
    assert cov80 < cov95
