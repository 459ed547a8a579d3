"""The impact x urgency matrix and SLA clocks in service hours."""

from datetime import UTC, datetime

import pytest

from sms_metrics.core.calendar import parse_service_hours
from sms_metrics.core.clocks import add_service_time, service_time_between
from sms_metrics.core.priority import impact_of, priority, urgency_of


@pytest.mark.parametrize(
    "impact, urgency, expected",
    [
        (1, 1, "P1"),
        (1, 2, "P1"),
        (1, 3, "P2"),
        (1, 4, "P4"),
        (2, 1, "P1"),
        (2, 2, "P2"),
        (2, 3, "P3"),
        (2, 4, "P4"),
        (3, 1, "P2"),
        (3, 2, "P3"),
        (3, 3, "P3"),
        (3, 4, "P4"),
    ],
)
def test_all_twelve_cells_of_the_matrix(impact, urgency, expected):
    assert priority(impact, urgency) == expected


def test_impact_and_urgency_come_from_criticality_and_severity():
    assert [impact_of(c) for c in ("high", "medium", "low", None)] == [1, 2, 3, 2]
    assert [urgency_of(s) for s in ("critical", "page", "high", "error", "warning", "ticket", "info", None)] == [
        1,
        1,
        2,
        2,
        3,
        3,
        4,
        4,
    ]
    assert urgency_of(" PAGE ") == 1


def _utc(*a):
    return datetime(*a, tzinfo=UTC)


def test_24x7_clock_is_plain_addition():
    assert add_service_time(_utc(2026, 10, 1, 10, 0, 30), 15, parse_service_hours("24x7")) == _utc(
        2026, 10, 1, 10, 15, 30
    )


def test_clock_stops_outside_service_hours():
    hours = parse_service_hours("Mon-Fri 08:00-18:00")
    # Friday 2026-10-23 17:30 UTC + 60 service minutes: 30 on Friday, 30 on Monday morning
    assert add_service_time(_utc(2026, 10, 23, 17, 30), 60, hours) == _utc(2026, 10, 26, 8, 30)
    # opened at night: the clock starts when service hours begin
    assert add_service_time(_utc(2026, 10, 21, 22, 0), 15, hours) == _utc(2026, 10, 22, 8, 15)


def test_clock_across_the_autumn_dst_change_in_berlin():
    hours = parse_service_hours("Mon-Fri 08:00-18:00")
    # Friday 2026-10-23 16:30 UTC is 18:30 CEST (closed). Monday 26th opens at 08:00 CET = 07:00 UTC.
    assert add_service_time(_utc(2026, 10, 23, 16, 30), 30, hours, "Europe/Berlin") == _utc(2026, 10, 26, 7, 30)


def test_service_time_between():
    hours = parse_service_hours("Mon-Fri 08:00-18:00")
    assert service_time_between(_utc(2026, 10, 23, 17, 0), _utc(2026, 10, 26, 9, 0), hours) == 120
    assert service_time_between(_utc(2026, 10, 23, 17, 0), _utc(2026, 10, 23, 16, 0), hours) == 0
