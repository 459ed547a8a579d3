"""What the register's pages show of a kind and a record, derived from the kind's declaration: list
columns and filters, the fields of a record, the moves the person may make, and the form fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic_core import PydanticUndefined

from sms_metrics.register.records.access import Principal
from sms_metrics.register.records.kind import RecordKind
from sms_metrics.register.records.schemas import MoveRequest, update_schema
from sms_metrics.web.forms import FormField, fields_of, widget_of
from sms_metrics.web.links import fk_kind

COMMON = ("id", "ref", "status", "created_at", "updated_at")
PAGE_SIZE = 50


@dataclass
class Move:
    to: str
    label: str


@dataclass
class Actions:
    moves: list[Move]
    extra: list[FormField] = field(default_factory=list)  # fields some moves need (an assignee)
    needs: dict[str, list[str]] = field(default_factory=dict)  # field -> the states that need it


def may_write(kind: RecordKind, who: Principal) -> bool:
    return who.has(kind.write_role)


def actions(kind: RecordKind, who: Principal, status: str) -> Actions:
    """The moves from ``status`` the person's role allows, labelled by the kind's verbs."""
    verbs = {target: verb for verb, target in kind.verbs.items()}
    moves = [
        Move(to, verbs.get(to, to).replace("_", " ").capitalize())
        for to in kind.lifecycle.allowed(status)
        if who.has(kind.move_roles.get(to, kind.write_role))
    ]
    body = kind.move_body or MoveRequest
    extra_names = move_extra_names(kind)
    needs = {n: [to for to, ex in kind.move_examples.items() if n in ex] for n in extra_names}
    wanted = {m.to for m in moves}
    extra = [
        f for f in fields_of(kind, body, [], editing=True) if f.name in extra_names and set(needs[f.name]) & wanted
    ]
    return Actions(moves, extra, needs)


def move_extra_names(kind: RecordKind) -> list[str]:
    """Fields a kind's moves take besides to, reason and override (an incident's assignee)."""
    return [n for n in (kind.move_body or MoveRequest).model_fields if n not in MoveRequest.model_fields]


def overridable(kind: RecordKind, target: str, gate: str) -> bool:
    return any(g.name == gate and g.overridable for g in kind.gates.get(target, ()))


def list_columns(kind: RecordKind, read: type) -> list[str]:
    return [c for c in kind.table if c in read.model_fields and c not in COMMON]


def filter_names(kind: RecordKind) -> list[str]:
    return list(dict.fromkeys([*kind.filters, *(s.filter for s in kind.links.values() if s.filter)]))


def filter_choices(kind: RecordKind, name: str, services: list[str]) -> list[str]:
    """A select's options for filters on a service or on a field with fixed values; [] for free text."""
    link = next((s for s in kind.links.values() if s.filter == name), None)
    if (link is not None and link.to == "service") or name == "service":
        return services
    column = kind.filters.get(name)
    info = kind.create.model_fields.get(column) if column else None
    if info is not None:
        widget, choices = widget_of(kind, column, info.annotation, info.metadata, [])
        if widget == "select":
            return choices
    return []


def status_choices(kind: RecordKind) -> list[str]:
    return ["open", *kind.lifecycle.aliases, *kind.lifecycle.states]


def record_fields(records, kind: RecordKind, rec, hidden: tuple[str, ...] = ()) -> list[tuple[str, Any]]:
    """(name, value) of every field a detail page lists: not the common ones, links, ids or ``hidden``."""
    out = []
    for name in type(rec).model_fields:
        if name in COMMON or name in kind.links or name in hidden:
            continue
        if name.endswith("_id") and fk_kind(records, kind, name) is not None:
            continue
        out.append((name, getattr(rec, name)))
    return out


def create_fields(kind: RecordKind, services: list[str]) -> list[FormField]:
    fields = fields_of(kind, kind.create, services, editing=False)
    for f in fields:
        default = kind.create.model_fields[f.name].default
        if default is not PydanticUndefined and default not in (None, "", [], {}):
            f.value = default if f.widget in ("checkbox", "choices") else str(default)
    return fields


def edit_fields(kind: RecordKind, services: list[str]) -> list[FormField]:
    return fields_of(kind, kind.update or update_schema(kind.create), services, editing=True)
