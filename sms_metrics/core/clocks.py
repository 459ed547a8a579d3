"""SLA clocks: due times counted in service hours, paused while an incident is pending."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sms_metrics.core.calendar import ServiceHours
from sms_metrics.core.periods import zone

_STEP = timedelta(minutes=1)


def _in_hours(t: datetime, hours: ServiceHours, tz) -> bool:
    if hours.always:
        return True
    local = t.astimezone(tz)
    minute = local.hour * 60 + local.minute
    return any(local.weekday() in r.days and r.start_minute <= minute < r.end_minute for r in hours.rules)


def add_service_time(start: datetime, minutes: float, hours: ServiceHours, tz_name: str = "UTC") -> datetime:
    """The instant at which ``minutes`` of service time have passed since ``start``.

    Minute by minute in the SLA's time zone (so daylight-saving changes are honoured); 24x7
    is plain addition. Raises ``ValueError`` when the hours never open within a year.
    """
    start = start.astimezone(UTC)
    if hours.always:
        return start + timedelta(minutes=minutes)
    tz = zone(tz_name)
    t = start.replace(second=0, microsecond=0)
    left = float(minutes)
    if t < start:  # the partial first minute
        t += _STEP
        if _in_hours(start, hours, tz):
            left -= (t - start).total_seconds() / 60
    limit = t + timedelta(days=366)
    while left > 1e-9:
        if t > limit:
            raise ValueError(f"service hours {hours.text!r} never open: cannot count {minutes} minutes")
        if _in_hours(t, hours, tz):
            if left < 1:
                return t + timedelta(minutes=left)
            left -= 1
        t += _STEP
    return t


def service_time_between(a: datetime, b: datetime, hours: ServiceHours, tz_name: str = "UTC") -> float:
    """Minutes of service time in ``[a, b)`` (whole minutes outside 24x7)."""
    if b <= a:
        return 0.0
    if hours.always:
        return (b - a).total_seconds() / 60
    tz = zone(tz_name)
    t, total = a.astimezone(UTC).replace(second=0, microsecond=0), 0.0
    while t < b:
        if _in_hours(t, hours, tz):
            total += 1
        t += _STEP
    return total
