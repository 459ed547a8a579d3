"""Service hours (``24x7``, ``Mon-Fri 08:00-18:00``) and maintenance windows as step masks.

A step is classified by its start instant: it is excluded when that instant lies outside the
service hours (read in the SLA's time zone, so daylight-saving changes are honoured) or inside
a maintenance window ``[start, end)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

from sms_metrics.core.periods import zone

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_RULE = re.compile(r"^(?P<days>[A-Za-z,\-]+)\s+(?P<start>\d{2}:\d{2})-(?P<end>\d{2}:\d{2})$")


@dataclass(frozen=True)
class HoursRule:
    """Days of week (0 = Monday) and a local time range in minutes, ``start < end``."""

    days: frozenset[int]
    start_minute: int
    end_minute: int


@dataclass(frozen=True)
class ServiceHours:
    """``always`` for 24x7, else the union of ``rules``."""

    text: str
    always: bool
    rules: tuple[HoursRule, ...] = ()


def _parse_days(spec: str) -> set[int]:
    out: set[int] = set()
    for part in spec.lower().split(","):
        ends = part.split("-")
        if len(ends) > 2 or any(e[:3] not in DAYS or len(e) < 3 for e in ends):
            raise ValueError(f"unknown day range {part!r}: use Mon, Tue, ... Sun, e.g. Mon-Fri")
        a, b = DAYS.index(ends[0][:3]), DAYS.index(ends[-1][:3])
        out.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(b + 1)])
    return out


def _minutes(hhmm: str) -> int:
    h, m = (int(x) for x in hhmm.split(":"))
    if m > 59 or h > 24 or (h == 24 and m):
        raise ValueError(f"invalid time {hhmm!r}: use HH:MM between 00:00 and 24:00")
    return h * 60 + m


def parse_service_hours(text: str) -> ServiceHours:
    """Parse ``24x7`` or rules like ``Mon-Fri 08:00-18:00, Sat 09:00-13:00``.

    A range that ends before it starts (``22:00-06:00``) runs past midnight into the next day.
    Raise ``ValueError`` with a message naming the bad part.
    """
    raw = str(text).strip()
    if raw.lower() in ("24x7", "24/7", "always"):
        return ServiceHours(raw, True)
    rules: list[HoursRule] = []
    for part in filter(None, (p.strip() for p in re.split(r"[;,](?=\s*[A-Za-z])", raw))):
        m = _RULE.match(part)
        if not m:
            raise ValueError(f"cannot read {part!r}: expected '24x7' or e.g. 'Mon-Fri 08:00-18:00'")
        days, start, end = _parse_days(m["days"]), _minutes(m["start"]), _minutes(m["end"])
        if start == end:
            raise ValueError(f"empty time range in {part!r}")
        if start < end:
            rules.append(HoursRule(frozenset(days), start, end))
        else:
            rules.append(HoursRule(frozenset(days), start, 1440))
            if end:
                rules.append(HoursRule(frozenset((d + 1) % 7 for d in days), 0, end))
    return ServiceHours(raw, False, tuple(rules))


def step_starts(start: datetime, n_steps: int, step_seconds: float) -> pd.DatetimeIndex:
    """UTC start instants of ``n_steps`` steps from ``start``."""
    import pandas as pd

    idx = pd.date_range(pd.Timestamp(start), periods=n_steps, freq=pd.Timedelta(seconds=step_seconds))
    return idx.as_unit("ns")


def outside_hours_mask(starts: pd.DatetimeIndex, hours: ServiceHours, tz_name: str) -> np.ndarray:
    """True for each step whose start lies outside the service hours."""
    if hours.always:
        return np.zeros(len(starts), dtype=bool)
    local = starts.tz_convert(zone(tz_name))
    weekday = np.asarray(local.day_of_week)
    minute = np.asarray(local.hour) * 60 + np.asarray(local.minute) + np.asarray(local.second) / 60
    inside = np.zeros(len(starts), dtype=bool)
    for rule in hours.rules:
        inside |= np.isin(weekday, list(rule.days)) & (minute >= rule.start_minute) & (minute < rule.end_minute)
    return ~inside


def maintenance_mask(starts: pd.DatetimeIndex, windows: list[tuple[datetime, datetime]]) -> np.ndarray:
    """True for each step whose start lies in one of the ``[start, end)`` windows."""
    import pandas as pd

    mask = np.zeros(len(starts), dtype=bool)
    ts = starts.as_unit("ns").asi8
    for a, b in windows:
        lo, hi = pd.Timestamp(a).value, pd.Timestamp(b).value
        mask |= (ts >= lo) & (ts < hi)
    return mask
