"""The backtest's origins and seasons, the seasonal naive, ARIMA by CSS, scale, bounds and point times."""

import numpy as np
import pytest

from sms_metrics.forecasting.arima import fit_css, forecast_arima111
from sms_metrics.forecasting.backtest import backtest_plan, select_model
from sms_metrics.forecasting.models import fit_models, seasonal_naive
from sms_metrics.forecasting.pipeline import Resource, forecast_capacity
from sms_metrics.forecasting.prepare import prepare_series

HOUR, DAY, WEEK = 3600, 86400, 604800
rng = np.random.default_rng(3)


def test_every_backtest_origin_leaves_more_than_two_weekly_cycles_of_training():
    periods, hb, origins = backtest_plan(28 * 24, 168, (24, 168))
    assert periods == (24, 168) and hb == 168
    assert origins == [504, 420]  # 336 would leave exactly two cycles: MSTL would drop the weekly season
    assert all(o > 2 * 168 for o in origins)
    periods, hb, origins = backtest_plan(13 * 168, 168, (24, 168))
    assert origins == [13 * 168 - 168, 13 * 168 - 336, 13 * 168 - 504]  # whole horizons apart


def test_a_season_no_origin_can_test_is_dropped():
    periods, _, origins = backtest_plan(340, 168, (24, 168))
    assert periods == (24,) and origins and all(o > 48 for o in origins)


def test_seasonal_naive_repeats_the_longest_season_with_one_full_cycle():
    y = np.arange(200.0)
    assert seasonal_naive(y, 3, (24, 168)).mean.tolist() == [32.0, 33.0, 34.0]  # the last 168 steps
    assert seasonal_naive(y[:100], 3, (24, 168)).mean.tolist() == [76.0, 77.0, 78.0]  # only the day fits


def test_the_backtest_scales_mase_by_the_longest_season_it_keeps():
    x = np.arange(13 * 168, dtype=float)
    y = 100 + 10 * np.sin(2 * np.pi * x / 24) + 8 * (x % 168 >= 120) + rng.normal(0, 1, len(x))
    sel = select_model(y, 168, (24, 168))
    assert sel.periods == (24, 168) and sel.origins == 3
    assert sel.scores["seasonal_naive"].mase == pytest.approx(1.0, abs=0.25)  # its own scale, one week on


def _arima_path(n, mu, phi, theta):
    e = rng.normal(size=n + 1)
    w = np.zeros(n)
    for t in range(1, n):
        w[t] = mu + phi * (w[t - 1] - mu) + e[t] + theta * e[t - 1]
    return 50 + np.cumsum(w)


def test_arima_by_conditional_sum_of_squares_recovers_its_parameters():
    y = _arima_path(3000, 0.05, 0.6, 0.3)
    mu, phi, theta, sigma, _ = fit_css(np.diff(y))
    assert (mu, phi, theta, sigma) == pytest.approx((0.05, 0.6, 0.3, 1.0), abs=0.08)
    mean, std = forecast_arima111(y, 100)
    assert mean[-1] - mean[-2] == pytest.approx(mu, abs=0.1)  # the drift carries on
    # the integrated process's spread one step and many steps ahead
    assert std[0] == pytest.approx(sigma) and std[-1] == pytest.approx(sigma * (1 + 0.3) / (1 - 0.6) * 10, rel=0.1)


def test_forecasts_do_not_depend_on_the_scale_of_the_values():
    x = np.arange(28 * 24, dtype=float)
    y = 5 + 0.01 * x + np.sin(2 * np.pi * x / 24) + rng.normal(0, 0.2, len(x))
    small, large = fit_models(y, 48, (24,)), fit_models(y * 1e11, 48, (24,))
    assert set(small) == set(large) == {"seasonal_naive", "linear_trend", "ets", "mstl_ets", "arima"}
    for name in small:
        assert np.allclose(large[name].mean, small[name].mean * 1e11, rtol=1e-3), name


def test_forecasts_and_bands_stay_within_the_units_bounds_and_exhaustion_is_still_dated():
    x = np.arange(28 * 24, dtype=float)
    free = 200.0 - 0.25 * x + 5 * np.sin(2 * np.pi * x / 24) + rng.normal(0, 1, len(x))  # 0 at hour 800
    res = Resource(limit=0, direction="down", lead_time_seconds=2 * DAY, lower=0.0, upper=None)
    f = forecast_capacity(prepare_series(0, HOUR, free), res, horizon_seconds=WEEK)
    assert min(f.mean.min(), f.lower_95.min(), f.lower_80.min()) == 0.0  # clipped, not negative
    assert f.exhaustion_at == pytest.approx(800 * HOUR, abs=DAY)
    pct = Resource(limit=100, direction="up", lead_time_seconds=DAY, lower=0.0, upper=100.0)
    f = forecast_capacity(prepare_series(0, HOUR, 100 - free), pct, horizon_seconds=WEEK)
    assert f.upper_95.max() == 100.0 and f.lower_95.min() >= 0.0


def test_each_point_stands_for_the_step_ending_at_its_time():
    s = prepare_series(1000 * HOUR, HOUR, np.arange(100.0))
    assert s.times()[0] == 1001 * HOUR and s.times()[-1] == s.end == 1100 * HOUR
    f = forecast_capacity(s, Resource(1e9, "up", DAY), horizon_seconds=DAY)
    assert f.times[0] == s.end + HOUR and f.times[-1] == s.end + DAY
