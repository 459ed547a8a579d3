"""Writes that are neither a create, a PATCH nor a move — a job's flag, a measurement, a document marked
reviewed, a finding that raises a nonconformity — with the framework's guarantees: one transaction, a
history row per changed field, the event after the commit."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from sms_metrics.errors import Conflict
from sms_metrics.register.db import transaction
from sms_metrics.register.records import store
from sms_metrics.register.records.access import Principal, require, require_visible
from sms_metrics.register.records.context import WriteContext


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
    frozen_ok: bool = True,
):
    """Apply ``change(ctx, row)`` to one record in a write transaction; returns the record as read.
    ``frozen_ok=False`` refuses a record in one of its kind's frozen states (409)."""
    require_visible(who, kind, record_id)
    require(who, role or kind.write_role, f"change {kind.path}")
    system = records.system
    with transaction(system.sessions) as session:
        ctx = WriteContext(session, who, system.now(), system, records)
        row = records.load(session, kind, record_id)
        if not frozen_ok and row.status in kind.frozen:
            raise Conflict(f"{kind.title} {kind.ref(row.id)} is {row.status}: its fields can no longer change")
        before = store.snapshot(kind, row)
        change(ctx, row)
        row.updated_at = ctx.now
        session.flush()
        ctx.log(kind, row.id, {f: (before[f], getattr(row, f)) for f in before}, reason)
        out = records.to_read(kind, row)
    system.events.emit(kind.name, event, out)
    return out


def set_fields(ctx: WriteContext, kind, row, reason: str | None = None, **values) -> None:
    """Change fields of a record in the caller's transaction (another record than the one a hook was
    given), with history rows."""
    before = {f: getattr(row, f) for f in values}
    for f, v in values.items():
        setattr(row, f, v)
    row.updated_at = ctx.now
    ctx.log(kind, row.id, {f: (before[f], values[f]) for f in values}, reason)


def elsewhere(module: str, name: str) -> Callable[..., None]:
    """A kind's ``routes`` or ``cli`` hook kept in another module, which imports the kind's own (so it is
    imported when the hook is first called)."""

    def hook(*args) -> None:
        getattr(importlib.import_module(f"sms_metrics.register.kinds.{module}"), name)(*args)

    return hook
