"""The columns that put a record into a pack's period besides its history: declared date columns, a
period label and spans (``Evidence.dates``, ``period_column``, ``spans``), or, for kinds that declare
none, the register's conventions: a text column ``period`` holding a label (``2026-10``) and every pair of
date or time columns ``X_start``/``X_end`` (``period_start``/``period_end``, ``window_start``/``window_end``).

A span belongs when it overlaps the period (a span without an end: when it starts in it). Date columns
are compared with the period's first and last local day in the service's time zone, time columns with
its UTC instants. A record labelled with a month matches a month pack by its label only, so a supplier's
month measured in UTC does not spill into the neighbouring month of a service in another time zone; a
record labelled otherwise (``2026-Q4``, a date range) belongs to every month its span overlaps."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import Date, DateTime, String, and_, func, not_, or_
from sqlalchemy.types import TypeDecorator

from sms_metrics.core.periods import Period, zone

MONTH = re.compile(r"^\d{4}-\d{2}$")


def _kind_of(column) -> str | None:
    """Whether the column holds a date, a time or text (None: a type the conventions do not read)."""
    t = column.type
    t = t.impl if isinstance(t, TypeDecorator) else t
    t = t() if isinstance(t, type) else t
    if isinstance(t, DateTime):
        return "time"
    if isinstance(t, Date):
        return "date"
    return "text" if isinstance(t, String) else None


def period_column(model, spec) -> str | None:
    if spec.period_column:
        return spec.period_column
    column = model.__table__.columns.get("period")
    return "period" if column is not None and _kind_of(column) == "text" else None


def spans(model, spec) -> tuple[tuple[str, str], ...]:
    if spec.spans is not None:
        return spec.spans
    columns = model.__table__.columns
    pairs = []
    for column in columns:
        if column.name.endswith("_start") and _kind_of(column) in ("date", "time"):
            end = columns.get(column.name[: -len("_start")] + "_end")
            if end is not None and _kind_of(end) in ("date", "time"):
                pairs.append((column.name, end.name))
    return tuple(pairs)


def bounds(column, period: Period, tz: str):
    """The period's ``[start, end)`` in the column's terms: local days for a date column."""
    if _kind_of(column) != "date":
        return period.start, period.end
    local = zone(tz)
    first = period.start.astimezone(local).date()
    last = (period.end - timedelta(microseconds=1)).astimezone(local).date()
    return first, last + timedelta(days=1)


def _overlaps(model, start_name: str, end_name: str, period: Period, tz: str):
    s, e = getattr(model, start_name), getattr(model, end_name)
    s_from, s_to = bounds(model.__table__.columns[start_name], period, tz)
    e_from, _ = bounds(model.__table__.columns[end_name], period, tz)
    return and_(s < s_to, or_(e > e_from, and_(e.is_(None), s >= s_from)))


def _month_label(column):
    """SQL: the column holds a month label (``2026-10``, not ``2026-Q4``)."""
    return and_(func.length(column) == 7, func.substr(column, 5, 1) == "-", func.substr(column, 6, 1).in_(("0", "1")))


def date_terms(model, spec, period: Period, tz: str) -> list:
    """The terms (OR-ed with the history rule) that put a record of ``model`` into ``period``."""
    terms = []
    for name in spec.dates:
        a, b = bounds(model.__table__.columns[name], period, tz)
        terms.append(and_(getattr(model, name) >= a, getattr(model, name) < b))
    overlap = [_overlaps(model, s, e, period, tz) for s, e in spans(model, spec)]
    label = period_column(model, spec)
    if label is None:
        return terms + overlap
    column = getattr(model, label)
    terms.append(column == period.label)
    if overlap and MONTH.match(period.label):
        terms.append(and_(or_(column.is_(None), not_(_month_label(column))), or_(*overlap)))
    elif overlap:
        terms += overlap
    return terms
