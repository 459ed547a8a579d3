"""SLA clocks: due times counted in service hours, paused while an incident is pending."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
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


WARN_AT = 0.75  # share of a clock's time at which it warns


@dataclass(frozen=True)
class ClockTerms:
    """What an SLA says about incident clocks: its hours, time zone and minutes per priority."""

    hours: ServiceHours
    timezone: str
    response_minutes: Mapping[str, int]
    resolution_minutes: Mapping[str, int]


_NO_CLOCKS: dict[str, datetime | None] = {
    f"{c}_{k}": None for c in ("response", "resolution") for k in ("due_at", "warn_at")
}


def due_times(terms: ClockTerms | None, prio: str, opened: datetime) -> dict[str, datetime | None]:
    """Due and warning (75%) times of the response and resolution clocks, counted in service hours."""
    out = dict(_NO_CLOCKS)
    if terms is None:
        return out
    for clock, table in (("response", terms.response_minutes), ("resolution", terms.resolution_minutes)):
        minutes = table.get(prio)
        if minutes is not None:
            out[f"{clock}_due_at"] = add_service_time(opened, minutes, terms.hours, terms.timezone)
            out[f"{clock}_warn_at"] = add_service_time(opened, WARN_AT * minutes, terms.hours, terms.timezone)
    return out


def after_pause(
    terms: ClockTerms | None, due: datetime, warn: datetime | None, paused_since: datetime, now: datetime
) -> tuple[datetime, datetime | None]:
    """The resolution clock was paused from ``paused_since`` to ``now``: its due (and warning, if given)
    time move out by the paused service time (wall time when there is no SLA)."""
    if terms is None:
        shift = now - paused_since
        return due + shift, None if warn is None else warn + shift
    paused = service_time_between(paused_since, now, terms.hours, terms.timezone)
    moved = add_service_time(due, paused, terms.hours, terms.timezone)
    return moved, None if warn is None else add_service_time(warn, paused, terms.hours, terms.timezone)


def marks_reached(
    now: datetime, *, warn: datetime | None, due: datetime | None, warned: bool, breached: bool, stopped: bool
) -> list[str]:
    """Which marks of one clock ``now`` has newly reached: "warning" (75%) and/or "breach" (100%)."""
    if due is None or stopped:
        return []
    out = []
    if not warned and warn is not None and now >= warn:
        out.append("warning")
    if not breached and now >= due:
        out.append("breach")
    return out
