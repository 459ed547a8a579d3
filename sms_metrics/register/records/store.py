"""How records sit in the database: rows of the kind's table, their links and their history rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.orm import Session

from sms_metrics.errors import RecordInvalid
from sms_metrics.register.base import History, Link
from sms_metrics.register.records.kind import RecordKind

COMMON = ("id", "status", "created_at", "updated_at")


def columns(kind: RecordKind) -> list[str]:
    return [c.key for c in kind.model.__table__.columns]


def watched(kind: RecordKind) -> tuple[str, ...]:
    """The columns whose changes go into history."""
    if kind.history_fields:
        return kind.history_fields
    return tuple(c for c in columns(kind) if c not in ("id", "created_at", "updated_at"))


def snapshot(kind: RecordKind, row) -> dict:
    return {c: getattr(row, c) for c in watched(kind)}


def links_of(session: Session, kind: RecordKind, ids: Iterable[int]) -> dict[int, dict[str, list[str]]]:
    """The link fields of the records ``ids``, in one query."""
    out: dict[int, dict[str, list[str]]] = defaultdict(lambda: {f: [] for f in kind.links})
    ids = list(ids)
    if not kind.links or not ids:
        return {i: {f: [] for f in kind.links} for i in ids}
    rows = session.execute(
        select(Link.record_id, Link.field, Link.target)
        .where(Link.kind == kind.name, Link.record_id.in_(ids))
        .order_by(Link.id)
    )
    for rid, fld, target in rows:
        if fld in kind.links:
            out[rid][fld].append(_target(kind, fld, target))
    return {i: out[i] for i in ids}


def _target(kind: RecordKind, field: str, target: str):
    return target if kind.links[field].to == "service" else int(target)


def set_links(session: Session, kind: RecordKind, record_id: int, field: str, targets: list) -> tuple[list, list]:
    """Replace a link field's values; returns (old, new)."""
    old = links_of(session, kind, [record_id])[record_id][field]
    new = list(dict.fromkeys(targets))
    if old == new:
        return old, new
    session.execute(delete(Link).where(Link.kind == kind.name, Link.record_id == record_id, Link.field == field))
    session.add_all(Link(kind=kind.name, record_id=record_id, field=field, target=str(t)) for t in new)
    return old, new


def linked_ids(kind: RecordKind, field: str, value: str):
    """A subquery of the ids of ``kind`` records whose ``field`` links to ``value``."""
    return select(Link.record_id).where(Link.kind == kind.name, Link.field == field, Link.target == str(value))


def list_query(kind: RecordKind, *, statuses: frozenset[str] | None, filters: dict[str, str], q: str | None) -> Select:
    model = kind.model
    query = select(model)
    if statuses is not None:
        query = query.where(model.status.in_(sorted(statuses)))
    for name, value in filters.items():
        link = next((f for f, spec in kind.links.items() if spec.filter == name), None)
        if link is not None:
            query = query.where(model.id.in_(linked_ids(kind, link, value)))
        else:
            column = getattr(model, kind.filters[name])
            query = query.where(column == _typed(name, column, value))
    if q:
        query = query.where(_search(kind, q.strip()))
    return query


def _typed(name: str, column, value: str):
    """A filter's text as the column's type: ``problem=12`` compares with an integer column (PostgreSQL
    compares no integer with text)."""
    try:
        python = column.type.python_type
    except NotImplementedError:
        return value
    if python is int:
        if not value.isdigit() or not 0 < int(value) < 2**31:
            raise RecordInvalid([f"query.{name}: expected a record id (a whole number), got {value!r}"])
        return int(value)
    if python is bool:
        if value.lower() not in ("true", "false", "1", "0"):
            raise RecordInvalid([f"query.{name}: expected true or false, got {value!r}"])
        return value.lower() in ("true", "1")
    if python is float:
        try:
            return float(value)
        except ValueError:
            raise RecordInvalid([f"query.{name}: {value!r} is not a number"]) from None
    return value


def _search(kind: RecordKind, q: str):
    """Case-insensitive substring over the kind's text columns, or the record's reference."""
    model = kind.model
    terms = [getattr(model, c).ilike(f"%{_escape(q)}%", escape="\\") for c in kind.search]
    ref = q.upper().removeprefix(kind.prefix + "-")
    if ref.isdigit():
        terms.append(model.id == int(ref))
    return or_(*terms)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def count(session: Session, query: Select) -> int:
    return int(session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0)


def history_rows(session: Session, kind: RecordKind, record_id: int) -> list[History]:
    return list(
        session.scalars(
            select(History).where(History.record_kind == kind.name, History.record_id == record_id).order_by(History.id)
        )
    )
