"""The availability engine against hand-computed answers."""

from datetime import UTC, datetime

import numpy as np
import pytest

from sms_metrics.core.availability import (
    DOWN,
    UNKNOWN,
    UP,
    budget_remaining_percent,
    error_budget_seconds,
    find_outages,
    summarise_events,
    summarise_steps,
)

T0 = datetime(2026, 10, 1, tzinfo=UTC)


def test_99_9_percent_over_30_days_is_a_43_2_minute_budget():
    assert error_budget_seconds(99.9, 30 * 86400, 0) == pytest.approx(43.2 * 60)


def test_99_9_percent_over_a_31_day_month_is_44_64_minutes():
    assert error_budget_seconds(99.9, 31 * 86400, 0) == pytest.approx(44.64 * 60)


def test_excluded_time_shrinks_the_budget():
    assert error_budget_seconds(99.0, 86400, 43200) == pytest.approx(432.0)


def test_remaining_budget_goes_negative_when_overspent():
    assert budget_remaining_percent(2592.0, 2592.0 * 1.5) == pytest.approx(-50.0)
    assert budget_remaining_percent(2592.0, 0) == 100.0


def test_gaps_count_as_unknown_and_stay_out_of_the_denominator():
    states = np.array([UP] * 50 + [UNKNOWN] * 40 + [DOWN] * 10, dtype=np.int8)
    f = summarise_steps(states, np.zeros(100, bool), start=T0, step=60, target_percent=99.0)
    assert f.up_seconds == 3000 and f.downtime_seconds == 600 and f.unknown_seconds == 2400
    assert f.availability_percent == pytest.approx(100 * 50 / 60)
    assert f.data_coverage_percent == pytest.approx(60.0)


def test_only_unknown_steps_give_no_availability_rather_than_100_or_0():
    f = summarise_steps(np.full(60, UNKNOWN, np.int8), np.zeros(60, bool), start=T0, step=60, target_percent=99.9)
    assert f.availability_percent is None
    assert f.error_budget_remaining_percent is None
    assert f.data_coverage_percent == 0.0


def test_maintenance_overlapping_an_outage_excludes_the_overlap_only():
    # 120 one-minute steps; outage on steps 30..89; maintenance covers steps 60..119.
    states = np.full(120, UP, np.int8)
    states[30:90] = DOWN
    excluded = np.zeros(120, bool)
    excluded[60:] = True
    f = summarise_steps(states, excluded, start=T0, step=60, target_percent=99.9)
    assert f.downtime_seconds == 30 * 60
    assert f.excluded_seconds == 60 * 60
    assert f.up_seconds == 30 * 60
    assert [(o.start, o.end, o.duration_seconds) for o in f.outages] == [
        (datetime(2026, 10, 1, 0, 30, tzinfo=UTC), datetime(2026, 10, 1, 1, 0, tzinfo=UTC), 1800.0)
    ]
    assert f.up_seconds + f.downtime_seconds + f.unknown_seconds + f.excluded_seconds == 120 * 60


def test_outages_are_runs_of_down_steps_with_mtbf_and_mttr():
    states = np.full(1000, UP, np.int8)
    states[100:110] = DOWN
    states[500:530] = DOWN
    outages = find_outages(states, T0, 60)
    assert [(o.duration_seconds) for o in outages] == [600.0, 1800.0]
    assert outages[0].start == datetime(2026, 10, 1, 1, 40, tzinfo=UTC)
    f = summarise_steps(states, np.zeros(1000, bool), start=T0, step=60, target_percent=99.0)
    assert f.mttr_seconds == 1200.0
    assert f.mtbf_seconds == 960 * 60 / 2


def test_burn_rate_of_the_last_hour():
    states = np.full(24 * 60, UP, np.int8)
    states[-6:] = DOWN  # 6 of the last 60 minutes down: 10% errors against a 1% allowance
    f = summarise_steps(states, np.zeros(len(states), bool), start=T0, step=60, target_percent=99.0)
    assert f.burn_rate_1h == pytest.approx(10.0)


def test_daily_figures_follow_the_local_day():
    states = np.full(2 * 1440, UP, np.int8)
    states[1440 : 1440 + 144] = DOWN  # 10% of the second UTC day
    f = summarise_steps(states, np.zeros(len(states), bool), start=T0, step=60, target_percent=99.0)
    assert [(d.day, round(d.availability_percent, 3)) for d in f.daily] == [("2026-10-01", 100.0), ("2026-10-02", 90.0)]


def test_a_rolling_day_whose_last_block_spans_midnight_has_one_day_of_figures():
    # 24 hourly blocks from 00:30: the last one (23:30-00:30) starts on the first day, so no block starts
    # on the second (a "1d" report run between 00:00 and 01:00 failed on this)
    good, total = np.full(24, 990.0), np.full(24, 1000.0)
    start = T0.replace(minute=30)
    f = summarise_events(good, total, np.zeros(24), start=start, block_seconds=np.full(24, 3600.0), target_percent=99.0)
    assert [(d.day, round(d.availability_percent, 3)) for d in f.daily] == [("2026-10-01", 99.0)]


def test_events_availability_is_good_over_total_weighted_by_exclusion():
    good = np.array([990.0, 500.0, np.nan])
    total = np.array([1000.0, 1000.0, np.nan])
    excl = np.array([0.0, 1.0, 0.0])  # the second block is fully excluded
    f = summarise_events(good, total, excl, start=T0, block_seconds=np.full(3, 3600.0), target_percent=99.0)
    assert f.availability_percent == pytest.approx(99.0)
    assert f.up_seconds is None and f.downtime_seconds is None
    assert f.excluded_seconds == 3600
    assert f.data_coverage_percent == pytest.approx(50.0)
    assert f.error_budget_remaining_percent == pytest.approx(0.0)
