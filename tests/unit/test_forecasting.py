"""Forecasting models, series preparation and exhaustion on synthetic series with known answers."""

import numpy as np
import pytest

from sms_metrics.errors import InsufficientData
from sms_metrics.forecasting.exhaustion import crossing_time, status
from sms_metrics.forecasting.models import ModelFailed, Prediction, checked, fit_models
from sms_metrics.forecasting.pipeline import Resource, forecast_capacity
from sms_metrics.forecasting.prepare import choose_step, prepare_series, undo_counter_resets
from sms_metrics.forecasting.seasonality import detect_periods

HOUR, DAY, WEEK = 3600, 86400, 604800
rng = np.random.default_rng(42)
t = np.arange(28 * 24, dtype=float)  # four weeks of hours


def _forecast(y, limit=1e12, direction="up", lead=3 * DAY, horizon=WEEK):
    s = prepare_series(0, HOUR, y)
    return forecast_capacity(
        s, Resource(limit=limit, direction=direction, lead_time_seconds=lead), horizon_seconds=horizon
    )


def test_linear_growth_is_recovered_and_its_exhaustion_dated():
    y = 100 + 2.0 * t + rng.normal(0, 1, len(t))
    f = _forecast(y, limit=2000, lead=10 * DAY, horizon=3 * WEEK)
    future = len(t) + np.arange(len(f.mean))
    assert np.max(np.abs(f.mean - (100 + 2.0 * future))) < 15
    truth = (2000 - 100) / 2.0 * HOUR  # the hour at which the trend reaches 2000
    assert f.exhaustion_at == pytest.approx(truth, abs=6 * HOUR)
    assert f.earliest_95 <= f.exhaustion_at
    assert f.status == "plan"  # 278 h away: beyond 10 days, within 20


def test_daily_and_weekly_seasons_are_detected_and_forecast():
    def truth(x):
        return 500 + 40 * np.sin(2 * np.pi * x / 24) + 25 * (x % 168 >= 120)

    y = truth(t) + rng.normal(0, 3, len(t))
    assert detect_periods(y, (24, 168)) == (24, 168)
    f = _forecast(y)
    future = truth(len(t) + np.arange(len(f.mean)))
    assert np.corrcoef(f.mean, future)[0, 1] > 0.95
    assert np.mean(np.abs(f.mean - future)) < 8
    inside = (future >= f.lower_95) & (future <= f.upper_95)
    assert inside.mean() > 0.9


def test_seasonal_growth_exhausts_when_the_daily_peak_reaches_the_limit():
    def truth(x):
        return 50 + 0.1 * x + 10 * np.sin(2 * np.pi * x / 24)

    y = truth(t) + rng.normal(0, 0.5, len(t))
    f = _forecast(y, limit=130, horizon=2 * WEEK)
    fine = np.arange(len(t), len(t) + 14 * 24, 0.01)
    first = fine[np.argmax(truth(fine) >= 130)] * HOUR
    assert f.exhaustion_at == pytest.approx(first, abs=4 * HOUR)


def test_no_season_in_noise_or_a_constant():
    assert detect_periods(rng.normal(0, 1, len(t)), (24, 168)) == ()
    assert detect_periods(np.full(len(t), 7.0), (24, 168)) == ()


def test_flat_series_forecasts_flat_with_no_exhaustion():
    f = _forecast(np.full(len(t), 5.0), limit=0, direction="down")
    assert np.all(f.mean == 5.0) and np.all(f.lower_95 == 5.0) and np.all(f.upper_95 == 5.0)
    assert f.exhaustion_at is None and f.earliest_95 is None and f.status == "ok"
    assert np.isfinite(f.mase) and np.isfinite(f.smape)


def test_constant_zero_at_a_zero_limit_is_exhausted_now():
    f = _forecast(np.zeros(len(t)), limit=0, direction="down")
    assert f.exhaustion_at == len(t) * HOUR and f.status == "urgent"  # the last value, dated at its step end


def test_gaps_are_interpolated_and_noted():
    y = 10 + 0.5 * t
    y[100:110] = np.nan
    s = prepare_series(0, HOUR, y)
    assert np.allclose(s.values, 10 + 0.5 * t)
    assert s.notes == ("10 missing steps interpolated",)


def test_leading_missing_steps_move_the_start():
    y = 10 + 0.5 * t
    y[:50] = np.nan
    s = prepare_series(1000, HOUR, y)
    assert s.start == 1000 + 50 * HOUR and len(s.values) == len(t) - 50


@pytest.mark.parametrize(
    "values, reason",
    [
        (np.array([]), "0 of 0 steps have data"),
        (np.full(100, np.nan), "0 of 100 steps have data"),
        (np.arange(20.0), "20 of 20 steps have data"),
        (np.where(np.arange(600) % 3 == 0, 1.0, np.nan), "steps are missing"),
    ],
)
def test_too_short_empty_or_gappy_history_is_insufficient(values, reason):
    with pytest.raises(InsufficientData, match=reason):
        prepare_series(0, HOUR, values)


def test_a_level_shift_cuts_the_history_to_what_follows_it():
    y = np.concatenate([np.full(300, 1000.0), 400 + np.arange(372.0)]) + rng.normal(0, 0.5, 672)
    s = prepare_series(0, HOUR, y)
    assert s.start == 300 * HOUR and len(s.values) == 372
    f = forecast_capacity(s, Resource(limit=900, direction="up", lead_time_seconds=DAY), horizon_seconds=WEEK)
    assert f.mean[0] == pytest.approx(772, abs=5) and f.mean[-1] == pytest.approx(772 + 167, abs=10)
    assert f.exhaustion_at == pytest.approx((300 + 500) * HOUR, abs=6 * HOUR)


def test_a_daily_jump_is_a_season_not_a_level_shift():
    y = 100 + 50 * ((t % 24) >= 8) + rng.normal(0, 0.5, len(t))
    assert len(prepare_series(0, HOUR, y).values) == len(t)


def test_counter_resets_are_undone():
    assert undo_counter_resets(np.array([5, 10, 2, 6, np.nan, 1.0])).tolist()[:4] == [5, 10, 12, 16]
    assert undo_counter_resets(np.array([5, 10, 2, 6, np.nan, 1.0]))[5] == 17


def test_exploding_or_non_finite_forecasts_are_dropped():
    y = np.arange(100.0)
    with pytest.raises(ModelFailed, match="blows up"):
        checked(Prediction(np.full(10, 1e9), np.ones(10)), y, 10)
    with pytest.raises(ModelFailed, match="non-finite"):
        checked(Prediction(np.full(10, np.nan), np.ones(10)), y, 10)


def test_every_model_fits_a_seasonal_series():
    y = 100 + 10 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 1, len(t))
    assert set(fit_models(y, 48, (24,))) == {"seasonal_naive", "linear_trend", "ets", "mstl_ets", "arima"}


def test_crossing_is_interpolated_between_steps():
    assert crossing_time(np.array([10.0, 20.0]), np.array([8.0, 4.0]), 6, "down", 0.0, 10.0) == 15.0
    assert crossing_time(np.array([10.0]), np.array([8.0]), 6, "down", 0.0, 10.0) is None
    assert crossing_time(np.array([10.0]), np.array([8.0]), 9, "up", 0.0, 10.0) == 0.0


def test_status_against_lead_time():
    assert status(None, 0, DAY) == "ok"
    assert status(DAY, 0, DAY) == "urgent"
    assert status(1.5 * DAY, 0, DAY) == "plan"
    assert status(2.5 * DAY, 0, DAY) == "ok"


def test_the_step_gives_about_a_week_of_points_ahead():
    assert choose_step(28 * DAY, 7 * DAY) == HOUR
    assert choose_step(112 * DAY, 28 * DAY) == 21600
    assert choose_step(2 * DAY, 6 * HOUR) == 300
