"""Helpers the relationship and resolution kinds share: reference checks that name the field at fault,
unique names, and writes outside create/PATCH/move (a measurement, a job's flag, figures refreshed) with
the framework's guarantees: one transaction, a history row per changed field, the event after the commit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from sms_metrics.errors import Conflict, RecordInvalid
from sms_metrics.register.db import transaction
from sms_metrics.register.records import store
from sms_metrics.register.records.access import Principal, require, require_visible
from sms_metrics.register.records.context import WriteContext

PRIORITIES = ("P1", "P2", "P3", "P4")
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def check_service(ctx: WriteContext, name: str | None, field: str = "service") -> None:
    """A single-valued service field must name a catalogue service (when a catalogue is loaded)."""
    cat = ctx.catalogue
    if name is None or cat is None or cat.find(name) is not None:
        return
    known = ", ".join(sorted(s.name for s in cat.services)) or "none"
    raise RecordInvalid([f"body.{field}: unknown service {name!r}; the catalogue has: {known}"])


def check_record(ctx: WriteContext, kind: str, record_id: int | None, field: str) -> Any:
    """The record ``record_id`` of ``kind`` (a reference field), or 422 naming the field."""
    if record_id is None:
        return None
    target = ctx.records.kind(kind)
    row = ctx.session.get(target.model, record_id)
    if row is None:
        raise RecordInvalid([f"body.{field}: {target.title} {record_id} does not exist"])
    return row


def check_unique(ctx: WriteContext, model, column: str, value: str, title: str, own_id: int | None = None) -> None:
    """409 when another record of ``model`` already has ``value`` in ``column``."""
    col = getattr(model, column)
    query = select(model.id).where(col == value)
    if own_id is not None:
        query = query.where(model.id != own_id)
    other = ctx.session.scalar(query.limit(1))
    if other is not None:
        raise Conflict(f"a {title} named {value!r} exists already (id {other}); names are unique")


def today(ctx: WriteContext) -> date:
    return ctx.now.date()


def set_fields(ctx: WriteContext, kind, row, reason: str | None = None, **values) -> None:
    """Change fields of a record in the caller's transaction, with history rows."""
    before = {f: getattr(row, f) for f in values}
    for f, v in values.items():
        setattr(row, f, v)
    row.updated_at = ctx.now
    ctx.log(kind, row.id, {f: (before[f], values[f]) for f in values}, reason)


def write_record(
    records,
    kind,
    who: Principal,
    record_id: int,
    change: Callable[[WriteContext, Any], None],
    *,
    reason: str | None = None,
    role: str | None = None,
    event: str = "updated",
):
    """Apply ``change(ctx, row)`` to one record in a write transaction; returns the record as read."""
    require_visible(who, kind, record_id)
    require(who, role or kind.write_role, f"change {kind.path}")
    system = records.system
    with transaction(system.sessions) as session:
        ctx = WriteContext(session, who, system.now(), system, records)
        row = records.load(session, kind, record_id)
        if row.status in kind.frozen:
            raise Conflict(f"{kind.title} {kind.ref(row.id)} is {row.status}: its fields can no longer change")
        before = store.snapshot(kind, row)
        change(ctx, row)
        row.updated_at = ctx.now
        session.flush()
        ctx.log(kind, row.id, {f: (before[f], getattr(row, f)) for f in before}, reason)
        out = records.to_read(kind, row)
    system.events.emit(kind.name, event, out)
    return out


def seconds_between(a: datetime | None, b: datetime | None) -> float | None:
    if a is None or b is None:
        return None
    return (b - a).total_seconds()
