"""The service functions every kind gets from its declaration: list, get, create, update, move
(transition) and history, with the permission checks, in one place for the API, the CLI and the jobs.

A move runs in two steps: the gates (which may ask Prometheus) are checked on a read snapshot outside
the write lock; the write then re-reads the record and refuses with 409 if it moved meanwhile."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from sms_metrics.errors import Conflict, GateRefused, RecordInvalid, RecordNotFound
from sms_metrics.register.db import transaction
from sms_metrics.register.records import store
from sms_metrics.register.records.access import Principal, require, require_visible
from sms_metrics.register.records.context import Gatekeeping, MoveContext, WriteContext
from sms_metrics.register.records.kind import RecordKind
from sms_metrics.register.records.schemas import MAX_ID, HistoryRow, MoveRequest, read_schema, update_schema

if TYPE_CHECKING:
    from sms_metrics.bootstrap import System

MAX_LIMIT = 1000


def problems_of(exc: ValidationError, root: str = "body") -> list[str]:
    """pydantic errors as ``path: reason`` lines."""
    out = []
    for e in exc.errors():
        path = ".".join([root, *(str(p) for p in e["loc"])])
        out.append(f"{path}: {e['msg'].removeprefix('Value error, ')}")
    return out


def validated(schema: type[BaseModel], data: Any) -> BaseModel:
    if isinstance(data, schema):
        return data
    if isinstance(data, BaseModel):
        data = data.model_dump(exclude_unset=True)
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise RecordInvalid(problems_of(exc)) from None


class Records:
    def __init__(self, system: System, kinds: dict[str, RecordKind]):
        self.system = system
        self.kinds = dict(kinds)  # its own map: a system may change a kind without touching others
        self.by_path = {k.path: k for k in kinds.values()}

    def kind(self, name: str | RecordKind) -> RecordKind:
        if isinstance(name, RecordKind):
            return name
        found = self.kinds.get(name) or self.by_path.get(name)
        if found is None:
            raise RecordNotFound(f"no record kind {name!r}; kinds: {', '.join(sorted(self.by_path))}")
        return found

    def read_model(self, kind: RecordKind) -> type[BaseModel]:
        return kind.read or read_schema(kind.create)

    # -- reads ---------------------------------------------------------------------------------------

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self.system.readers() as session, session.begin():
            yield session

    def list(
        self,
        kind: str | RecordKind,
        who: Principal,
        *,
        status: str | None = None,
        q: str | None = None,
        filters: dict[str, str] | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[list[BaseModel], int]:
        kind = self.kind(kind)
        require_visible(who, kind)
        if not 1 <= limit <= MAX_LIMIT or offset < 0:
            raise RecordInvalid([f"query.limit: 1 to {MAX_LIMIT}; query.offset: 0 or more"])
        statuses = kind.lifecycle.statuses(status, kind.title) if status else None
        filters = {k: v for k, v in (filters or {}).items() if v not in (None, "")}
        known = {*kind.filters, *(spec.filter for spec in kind.links.values() if spec.filter)}
        bad = sorted(set(filters) - known)
        if bad:
            raise RecordInvalid(
                [f"query.{b}: not a filter of {kind.path}; filters: {', '.join(sorted(known))}" for b in bad]
            )
        query = store.list_query(kind, statuses=statuses, filters=filters, q=q)
        with self.reading() as s:
            total = store.count(s, query)
            rows = list(s.scalars(query.order_by(kind.model.id.desc()).limit(limit).offset(offset)))
            links = store.links_of(s, kind, [r.id for r in rows])
            return [self.to_read(kind, r, links[r.id]) for r in rows], total

    def get(self, kind: str | RecordKind, who: Principal, record_id: int) -> BaseModel:
        kind = self.kind(kind)
        require_visible(who, kind, record_id)
        with self.reading() as s:
            return self.to_read(kind, self.load(s, kind, record_id))

    def history(self, kind: str | RecordKind, who: Principal, record_id: int) -> list[HistoryRow]:
        kind = self.kind(kind)
        require_visible(who, kind, record_id)
        with self.reading() as s:
            self.load(s, kind, record_id)
            return [HistoryRow.model_validate(h, from_attributes=True) for h in store.history_rows(s, kind, record_id)]

    def load(self, session: Session, kind: RecordKind, record_id: int):
        # an id no database could hold (e.g. 2**64 from a URL) is simply not there, not an overflow
        row = session.get(kind.model, record_id) if 1 <= record_id <= MAX_ID else None
        if row is None:
            raise RecordNotFound(f"{kind.title} {record_id} does not exist")
        return row

    def to_read(self, kind: RecordKind, row, links: dict[str, list] | None = None) -> BaseModel:
        schema = self.read_model(kind)
        if links is None:
            links = store.links_of(Session.object_session(row), kind, [row.id])[row.id]
        data = {f: getattr(row, f) for f in schema.model_fields if f not in kind.links and hasattr(row, f)}
        return schema.model_validate({**data, **links, "ref": kind.ref(row.id)})

    # -- writes --------------------------------------------------------------------------------------

    def _context(self, session: Session, who: Principal) -> WriteContext:
        return WriteContext(session, who, self.system.now(), self.system, self)

    def create(self, kind: str | RecordKind, who: Principal, data: Any, *, reason: str | None = None) -> BaseModel:
        kind = self.kind(kind)
        require_visible(who, kind)
        require(who, kind.write_role, f"create {kind.path}")
        if not kind.creatable:
            raise Conflict(f"{kind.path} are not created by hand: {kind.description}")
        body = validated(kind.create, data)
        with transaction(self.system.sessions) as session:
            ctx = self._context(session, who)
            row = self.create_in(ctx, kind, body, reason=reason)
            out = self.to_read(kind, row)
        self.system.events.emit(kind.name, "created", out)
        return out

    def create_in(self, ctx: WriteContext, kind: str | RecordKind, data: Any, *, reason: str | None = None):
        """Insert a record in the caller's transaction (hooks use it for records a move creates)."""
        kind = self.kind(kind)
        values = validated(kind.create, data).model_dump()
        link_values = {f: list(values.pop(f, None) or []) for f in kind.links}
        self.check_links(ctx, kind, link_values)
        if kind.before_create:
            ctx.links = link_values
            kind.before_create(ctx, values)
        row = kind.model(**values, status=kind.state_of(values), created_at=ctx.now, updated_at=ctx.now)
        ctx.session.add(row)
        ctx.session.flush()
        changes: dict[str, tuple[object, object]] = {"status": (None, row.status)}
        changes.update({f: (None, getattr(row, f)) for f in store.watched(kind) if f != "status"})
        for f, targets in link_values.items():
            changes[f] = (None, store.set_links(ctx.session, kind, row.id, f, targets)[1] or None)
        ctx.log(kind, row.id, changes, reason)
        return row

    def check_links(self, ctx: WriteContext, kind: RecordKind, link_values: dict[str, list]) -> None:
        problems = []
        for field, targets in link_values.items():
            to = kind.links[field].to
            if to == "service":
                cat = ctx.catalogue
                known = {s.name for s in cat.services} if cat is not None else None
                problems += [
                    f"body.{field}.{i}: unknown service {t!r}; the catalogue has: {', '.join(sorted(known))}"
                    for i, t in enumerate(targets)
                    if known is not None and t not in known
                ]
                continue
            model = self.kind(to).model
            found = set(ctx.session.scalars(select(model.id).where(model.id.in_(targets)))) if targets else set()
            problems += [
                f"body.{field}.{i}: {self.kind(to).title} {t} does not exist"
                for i, t in enumerate(targets)
                if t not in found
            ]
        if problems:
            raise RecordInvalid(problems)

    def update(
        self, kind: str | RecordKind, who: Principal, record_id: int, data: Any, *, reason: str | None = None
    ) -> BaseModel:
        kind = self.kind(kind)
        require_visible(who, kind, record_id)
        require(who, kind.write_role, f"change {kind.path}")
        changes = validated(kind.update or update_schema(kind.create), data).model_dump(exclude_unset=True)
        if not changes:
            raise RecordInvalid(["body: name at least one field to change"])
        with transaction(self.system.sessions) as session:
            ctx = self._context(session, who)
            row = self.load(session, kind, record_id)
            if row.status in kind.frozen:
                raise Conflict(f"{kind.title} {kind.ref(row.id)} is {row.status}: its fields can no longer change")
            self._apply_update(ctx, kind, row, changes, reason)
            out = self.to_read(kind, row)
        self.system.events.emit(kind.name, "updated", out)
        return out

    def _apply_update(self, ctx: WriteContext, kind: RecordKind, row, changes: dict, reason: str | None) -> None:
        links = store.links_of(ctx.session, kind, [row.id])[row.id]
        current = {f: links[f] if f in kind.links else getattr(row, f, None) for f in kind.create.model_fields}
        merged = validated(kind.create, {**current, **changes}).model_dump()  # whole-record rules still hold
        before = store.snapshot(kind, row)
        history: dict[str, tuple[object, object]] = {}
        for f in changes:
            if f in kind.links:
                old, new = store.set_links(ctx.session, kind, row.id, f, list(merged[f] or []))
                history[f] = (old or None, new or None)
            else:
                setattr(row, f, merged[f])
        if history:
            self.check_links(ctx, kind, {f: merged[f] or [] for f in history})
        if kind.on_update:
            kind.on_update(ctx, row, changes)
        row.updated_at = ctx.now
        ctx.session.flush()
        history.update({f: (before[f], getattr(row, f)) for f in before})
        ctx.log(kind, row.id, history, reason)

    def move(
        self,
        kind: str | RecordKind,
        who: Principal,
        record_id: int,
        to: str,
        *,
        reason: str | None = None,
        override: str | None = None,
        body: dict | None = None,
    ) -> BaseModel:
        kind = self.kind(kind)
        require_visible(who, kind, record_id)
        req = validated(
            kind.move_body or MoveRequest, {**(body or {}), "to": to, "reason": reason, "override": override}
        )
        with self.reading() as s:
            row = self.load(s, kind, record_id)
            kind.lifecycle.check(kind.title, row.status, to)
            require(who, kind.move_roles.get(to, kind.write_role), f"move {kind.path} to {to}")
            source, view = row.status, self.to_read(kind, row)
        links = {f: getattr(view, f) for f in kind.links}
        overridden = self._gates(kind, Gatekeeping(view, links, to, req, who, self.system.now(), self.system), req)
        with transaction(self.system.sessions) as session:
            row = self.load(session, kind, record_id)
            if row.status != source:
                raise Conflict(f"{kind.title} {record_id} moved from {source} to {row.status} meanwhile; try again")
            ctx = MoveContext(
                session,
                who,
                self.system.now(),
                self.system,
                self,
                record=row,
                kind=kind,
                source=source,
                target=to,
                body=req,
                reason=req.reason,
            )
            self._apply_move(ctx, overridden)
            out = self.to_read(kind, row)
        self.system.events.emit(kind.name, f"moved:{to}", out)
        return out

    def _gates(self, kind: RecordKind, view: Gatekeeping, req) -> list[tuple[str, str]]:
        """Run the gates of the target state; returns the (gate, refusal) pairs a manager overrode."""
        overridden = []
        for gate in kind.gates.get(view.target, ()):
            refusal = gate.check(view)
            if refusal is None:
                continue
            if gate.overridable and req.override:
                require(view.who, "manager", f"override the {gate.name} gate")
                overridden.append((gate.name, refusal))
                continue
            hint = " (a manager may pass it with an override and a justification)" if gate.overridable else ""
            raise GateRefused(gate.name, refusal + hint)
        return overridden

    def _apply_move(self, ctx: MoveContext, overridden: list[tuple[str, str]]) -> None:
        kind, row = ctx.kind, ctx.record
        before = store.snapshot(kind, row)
        if kind.on_move:
            kind.on_move(ctx)
        row.status, row.updated_at = ctx.target, ctx.now
        ctx.session.flush()
        ctx.log(kind, row.id, {f: (before[f], getattr(row, f)) for f in before}, ctx.reason)
        for gate, refusal in overridden:
            ctx.log(kind, row.id, {f"override:{gate}": (refusal, ctx.body.override)}, ctx.reason)
        if kind.after_move:
            kind.after_move(ctx)
