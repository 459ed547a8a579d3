"""Bulk inserts for a webhook delivery: one executemany per table, whatever the delivery's size.

On SQLite the rows go straight through the driver (SQLAlchemy's per-value processing is most of the
cost of a large delivery), with each column converted in one pass."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC
from operator import attrgetter

from sqlalchemy import insert
from sqlalchemy.orm import Session


class New:
    """An incident created by this delivery: its column values as plain attributes (the dict is taken
    as it is, not copied), inserted in bulk at the end."""

    def __init__(self, values: dict, **more):
        values.update(more, id=None)
        self.__dict__ = values


class NewOccurrence:
    """An occurrence recorded by this delivery, inserted in bulk once its incident has an id."""

    __slots__ = ("ends_at", "fingerprint", "incident", "resolved", "starts_at")
    COLUMNS = ("incident_id", "fingerprint", "starts_at", "ends_at", "resolved")

    def __init__(self, incident, fingerprint: str, starts_at, ends_at, resolved: bool):
        self.incident, self.fingerprint, self.starts_at = incident, fingerprint, starts_at
        self.ends_at, self.resolved = ends_at, resolved

    row = attrgetter("incident.id", "fingerprint", "starts_at", "ends_at", "resolved")


def _sqlite_datetime(v):
    """UTC text, exactly as SQLAlchemy's SQLite DateTime writes it (so comparisons stay textual)."""
    if v.tzinfo is UTC:  # the usual case: cut the "+00:00" instead of converting
        return v.isoformat(" ", "microseconds")[:26]
    return v.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _converter(column):
    """How a value of ``column`` is stored on SQLite, or None when the driver takes it as it is."""
    kind = type(column.type).__name__
    if kind in ("UTCDateTime", "DateTime"):
        return _sqlite_datetime
    if kind == "JSON":
        return json.dumps
    return None


def insert_rows(session: Session, table, names: tuple[str, ...], rows: list[tuple]) -> None:
    """One executemany of ``rows`` (tuples in the order of ``names``); on SQLite straight through the
    driver, elsewhere through SQLAlchemy."""
    if not rows:
        return
    if session.get_bind().dialect.name != "sqlite":
        session.execute(insert(table), [dict(zip(names, r)) for r in rows])
        return
    insert_columns(session, table, dict(zip(names, zip(*rows))))


def insert_columns(session: Session, table, columns: dict[str, Sequence]) -> None:
    """SQLite: insert rows given column by column; each column is converted in one pass and the
    rows are zipped together (a per-value generator costs three times as much)."""
    names, converted = [], []
    for c, values in columns.items():
        if values.count(None) == len(values):
            continue  # no server defaults in the register: omitted = NULL
        f = _converter(table.c[c])
        names.append(c)
        if f is _sqlite_datetime:  # a delivery's rows share a few instants (now, the alerts' starts)
            memo = {v: None if v is None else f(v) for v in set(values)}
            converted.append(list(map(memo.__getitem__, values)))
        elif f is not None:
            converted.append([None if v is None else f(v) for v in values])
        else:
            converted.append(values)
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    session.connection().exec_driver_sql(sql, list(zip(*converted)))
