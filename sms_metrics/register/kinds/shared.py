"""Helpers the relationship and resolution kinds share: reference checks that name the field at fault,
unique names, and writes outside create/PATCH/move (a measurement, a job's flag, figures refreshed) with
the framework's guarantees: one transaction, a history row per changed field, the event after the commit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from sms_metrics.errors import Conflict, RecordInvalid
from sms_metrics.register.kinds import writes
from sms_metrics.register.kinds.writes import set_fields  # noqa: F401 - the relationship kinds import it from here
from sms_metrics.register.records.access import Principal
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


def write_record(records, kind, who: Principal, record_id: int, change: Callable[[WriteContext, Any], None], **kw):
    """``writes.write_record`` refusing a record in a frozen state: the relationship kinds' writes."""
    return writes.write_record(records, kind, who, record_id, change, frozen_ok=False, **kw)


def seconds_between(a: datetime | None, b: datetime | None) -> float | None:
    if a is None or b is None:
        return None
    return (b - a).total_seconds()
