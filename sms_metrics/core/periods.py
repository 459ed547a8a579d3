"""Reporting periods: calendar months in a time zone, explicit date ranges, rolling windows.

A period is half-open ``[start, end)`` in UTC; ``end`` is exclusive (DESIGN.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sms_metrics.core.durations import parse_duration
from sms_metrics.errors import PeriodError

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class Period:
    """A half-open UTC interval ``[start, end)`` with the label the user asked for."""

    start: datetime
    end: datetime
    label: str

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``; ``PeriodError`` if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PeriodError(f"unknown time zone {name!r}: use an IANA name such as Europe/Berlin") from exc


def _local_midnight(d: date, tz: ZoneInfo) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=tz).astimezone(UTC)


def month_period(year: int, month: int, tz_name: str = "UTC") -> Period:
    """Calendar month ``year-month`` in time zone ``tz_name``."""
    if not 1 <= month <= 12:
        raise PeriodError(f"invalid month {year}-{month:02d}: month must be 01..12")
    tz = zone(tz_name)
    first = date(year, month, 1)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return Period(_local_midnight(first, tz), _local_midnight(nxt, tz), f"{year}-{month:02d}")


def align_down(t: datetime, step_seconds: float) -> datetime:
    """``t`` rounded down to a multiple of ``step_seconds`` since the Unix epoch."""
    ts = t.timestamp()
    return datetime.fromtimestamp(ts - ts % step_seconds, tz=UTC)


def parse_period(text: str, tz_name: str = "UTC", *, now: datetime | None = None, step_seconds: float = 60) -> Period:
    """Parse ``2026-10`` (a calendar month), ``2026-10-01..2026-10-15`` (dates, end exclusive)
    or ``30d`` (rolling window ending now, aligned down to the step)."""
    text = str(text).strip()
    if m := _MONTH.match(text):
        return month_period(int(m[1]), int(m[2]), tz_name)
    if m := _RANGE.match(text):
        tz = zone(tz_name)
        try:
            a, b = date.fromisoformat(m[1]), date.fromisoformat(m[2])
        except ValueError as exc:
            raise PeriodError(f"invalid period {text!r}: {exc}") from exc
        if b <= a:
            raise PeriodError(f"invalid period {text!r}: the end date must be after the start date")
        return Period(_local_midnight(a, tz), _local_midnight(b, tz), text)
    try:
        length = parse_duration(text)
    except PeriodError:
        raise PeriodError(
            f"invalid period {text!r}: expected a month (2026-10), a date range "
            "(2026-10-01..2026-10-15) or a rolling window (30d)"
        ) from None
    end = align_down(now or datetime.now(UTC), step_seconds)
    return Period(end - timedelta(seconds=length), end, f"last {text}")


def previous_month(now: datetime, tz_name: str = "UTC") -> Period:
    """The last complete calendar month before ``now`` in ``tz_name``."""
    local = now.astimezone(zone(tz_name))
    year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    return month_period(year, month, tz_name)


def rfc3339(t: datetime) -> str:
    """``2026-10-01T00:00:00Z``: RFC 3339 in UTC, whole seconds unless fractional."""
    t = t.astimezone(UTC)
    if t.microsecond:
        return t.strftime("%Y-%m-%dT%H:%M:%S.%f").rstrip("0") + "Z"
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")
