"""Periods of register records: a year (``2026``), a quarter (``2026-Q3``), a month (``2026-10``) or a
date range (``2026-07-01..2026-10-01``, end exclusive), in UTC. Budgets and management reviews use them;
``within`` says whether a record's period lies inside one asked for."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from sms_metrics.core.periods import Period, parse_period
from sms_metrics.errors import PeriodError

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")
_RANGE = re.compile(r"^\d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2}$")
FORMS = "a year (2026), a quarter (2026-Q3), a month (2026-10) or a date range (2026-07-01..2026-10-01)"


def _midnight(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def parse_span(text: str) -> Period:
    """The UTC period named by ``text``; ``PeriodError`` naming the accepted forms otherwise."""
    text = str(text).strip()
    if m := _YEAR.match(text):
        y = int(m[1])
        return Period(_midnight(date(y, 1, 1)), _midnight(date(y + 1, 1, 1)), text)
    if m := _QUARTER.match(text):
        y, q = int(m[1]), int(m[2])
        end = date(y + 1, 1, 1) if q == 4 else date(y, 3 * q + 1, 1)
        return Period(_midnight(date(y, 3 * q - 2, 1)), _midnight(end), text)
    if _MONTH.match(text) or _RANGE.match(text):
        return parse_period(text, "UTC")
    raise PeriodError(f"invalid period {text!r}: use {FORMS}")


def valid_span(text: str) -> str:
    """A pydantic validator: the text, once it parses."""
    parse_span(text)
    return text.strip()


def within(inner: str, outer: str) -> bool:
    """Whether the period ``inner`` lies wholly inside ``outer``."""
    a, b = parse_span(inner), parse_span(outer)
    return b.start <= a.start and a.end <= b.end


def months(span: Period) -> list[str]:
    """The calendar months (``YYYY-MM``) wholly inside ``span``."""
    out: list[str] = []
    y, m = span.start.year, span.start.month
    if span.start != _midnight(date(y, m, 1)):
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    while True:
        nxt = (y + 1, 1) if m == 12 else (y, m + 1)
        if _midnight(date(*nxt, 1)) > span.end:
            return out
        out.append(f"{y}-{m:02d}")
        y, m = nxt
