"""Bulk inserts for a webhook delivery: one executemany per table, whatever the delivery's size.

On SQLite the rows go straight through the driver (SQLAlchemy's per-value processing is most of the
cost of a large delivery), with each column converted in one pass."""

from __future__ import annotations

import json
from datetime import UTC

from sqlalchemy import insert
from sqlalchemy.orm import Session


class New:
    """A record created by this delivery: plain attributes, inserted in bulk at the end."""

    def __init__(self, **values):
        self.__dict__.update(values)
        self.id = None


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
    if kind == "Boolean":
        return int
    return None


def bulk_insert(session: Session, table, rows: list[dict]) -> None:
    """One executemany; on SQLite straight through the driver, elsewhere through SQLAlchemy."""
    if not rows:
        return
    if session.get_bind().dialect.name != "sqlite":
        session.execute(insert(table), rows)
        return
    cols = list(rows[0])
    insert_columns(session, table, {c: [r[c] for r in rows] for c in cols})


def insert_columns(session: Session, table, columns: dict[str, list]) -> None:
    """SQLite: insert rows given column by column; each column is converted in one pass and the
    rows are zipped together (a per-value generator costs three times as much)."""
    names, converted = [], []
    for c, values in columns.items():
        if values.count(None) == len(values):
            continue  # no server defaults in the register: omitted = NULL
        f = _converter(table.c[c])
        names.append(c)
        if f is _sqlite_datetime:  # a delivery's rows share a few instants (now, the alerts' starts)
            memo: dict = {None: None}
            converted.append([memo[v] if v in memo else memo.setdefault(v, f(v)) for v in values])
        else:
            converted.append([None if v is None else f(v) for v in values] if f else values)
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    session.connection().exec_driver_sql(sql, list(zip(*converted)))
