"""Service hours, daylight saving and maintenance windows."""

from datetime import UTC, datetime

import pytest

from sms_metrics.core.calendar import maintenance_mask, outside_hours_mask, parse_service_hours, step_starts
from sms_metrics.core.periods import month_period, parse_period, previous_month


def _utc(*a):
    return datetime(*a, tzinfo=UTC)


def test_a_week_containing_the_autumn_dst_change_has_169_hours_and_50_in_service():
    # Europe/Berlin leaves summer time on Sunday 2026-10-25: the local week Mon 19th..Mon 26th
    # lasts 169 hours, of which Mon-Fri 08:00-18:00 is 50 hours.
    start, end = _utc(2026, 10, 18, 22), _utc(2026, 10, 25, 23)
    n = int((end - start).total_seconds() // 60)
    assert n == 169 * 60
    out = outside_hours_mask(step_starts(start, n, 60), parse_service_hours("Mon-Fri 08:00-18:00"), "Europe/Berlin")
    assert (~out).sum() * 60 == 50 * 3600
    assert out.sum() * 60 == 119 * 3600


def test_service_hours_boundaries_are_start_inclusive_end_exclusive():
    hours = parse_service_hours("Mon-Fri 08:00-18:00")
    # Monday 2026-10-26 in Berlin is CET (UTC+1): 08:00 local = 07:00 UTC.
    starts = step_starts(_utc(2026, 10, 26, 6, 59), 3, 60)
    assert list(outside_hours_mask(starts, hours, "Europe/Berlin")) == [True, False, False]
    starts = step_starts(_utc(2026, 10, 26, 16, 59), 2, 60)
    assert list(outside_hours_mask(starts, hours, "Europe/Berlin")) == [False, True]


def test_weekend_is_outside_weekday_hours():
    starts = step_starts(_utc(2026, 10, 24, 10), 60, 60)  # Saturday
    assert outside_hours_mask(starts, parse_service_hours("Mon-Fri 08:00-18:00"), "UTC").all()


def test_24x7_excludes_nothing():
    starts = step_starts(_utc(2026, 10, 24), 1440, 60)
    assert not outside_hours_mask(starts, parse_service_hours("24x7"), "UTC").any()


def test_several_rules_and_overnight_ranges():
    hours = parse_service_hours("Mon-Fri 08:00-18:00, Sat 22:00-02:00")
    starts = step_starts(_utc(2026, 10, 24, 21, 59), 6 * 60, 60)  # Sat 21:59 .. Sun 03:59 UTC
    inside = ~outside_hours_mask(starts, hours, "UTC")
    assert inside.sum() == 4 * 60
    assert not inside[0] and inside[1] and inside[240] and not inside[241]


@pytest.mark.parametrize("bad", ["Mon-Fri 8-18", "Funday 08:00-10:00", "Mon 08:00-08:00", "Mon 25:00-26:00"])
def test_malformed_service_hours_are_refused(bad):
    with pytest.raises(ValueError):
        parse_service_hours(bad)


def test_maintenance_windows_are_half_open():
    starts = step_starts(_utc(2026, 10, 4, 0, 58), 5, 60)
    mask = maintenance_mask(starts, [(_utc(2026, 10, 4, 1), _utc(2026, 10, 4, 1, 2))])
    assert list(mask) == [False, False, True, True, False]


def test_calendar_month_in_a_time_zone():
    p = month_period(2026, 10, "Europe/Berlin")
    assert p.start == _utc(2026, 9, 30, 22) and p.end == _utc(2026, 10, 31, 23)
    assert p.seconds == (31 * 24 + 1) * 3600


def test_rolling_window_ends_at_now_aligned_to_the_step():
    p = parse_period("30d", now=_utc(2026, 11, 26, 5, 30, 42))
    assert p.end == _utc(2026, 11, 26, 5, 30) and p.seconds == 30 * 86400


def test_date_range_end_is_exclusive_and_previous_month():
    p = parse_period("2026-10-01..2026-10-15")
    assert p.seconds == 14 * 86400
    assert previous_month(_utc(2026, 11, 26)).label == "2026-10"
    assert previous_month(_utc(2026, 1, 3)).label == "2025-12"


@pytest.mark.parametrize("bad", ["2026-13", "October", "2026-10-15..2026-10-01", "0d"])
def test_bad_periods_say_what_is_expected(bad):
    with pytest.raises(ValueError, match=r"period|month|duration"):
        parse_period(bad)
