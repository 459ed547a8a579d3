"""How reports show times and numbers to a person: to the minute, in UTC and in the service's time
zone; values in their unit (``sms_metrics.core.units``)."""

from __future__ import annotations

from datetime import UTC, datetime

from sms_metrics.core.periods import zone
from sms_metrics.core.units import human


def parse_time(t: str | datetime) -> datetime:
    """An RFC 3339 text (``...Z``) or a datetime, as an aware UTC datetime."""
    if isinstance(t, datetime):
        return t.astimezone(UTC)
    return datetime.fromisoformat(t.replace("Z", "+00:00")).astimezone(UTC)


def minute(t: str | datetime | None, tz_name: str = "UTC") -> str:
    """``2026-11-03 15:05 CET``: the time to the minute in ``tz_name`` with its abbreviation."""
    if t is None:
        return "-"
    local = parse_time(t).astimezone(zone(tz_name))
    return local.strftime("%Y-%m-%d %H:%M ") + (local.tzname() or tz_name)


def both(t: str | datetime | None, tz_name: str = "UTC") -> str:
    """The time in UTC, and in ``tz_name`` beside it when that is another zone:
    ``2026-12-04 15:36 UTC (16:36 CET)``, with the local date when it differs."""
    if t is None:
        return "-"
    if tz_name == "UTC":
        return minute(t)
    utc, local = minute(t), minute(t, tz_name)
    return f"{utc} ({local[11:] if local[:10] == utc[:10] else local})"


def local_iso(t: str | datetime, tz_name: str) -> str:
    """RFC 3339 with the zone's offset, e.g. ``2026-10-01T00:00:00+02:00``."""
    return parse_time(t).astimezone(zone(tz_name)).isoformat()


def value(v: float | None, unit: str = "other") -> str:
    return human(v, unit)


def percent(v: float | None, digits: int = 1) -> str:
    return "n/a" if v is None else f"{v:.{digits}f}%"


def days(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds / 86400:g} d"
