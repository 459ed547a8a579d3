"""A record's links, both ways: its link fields and id fields (a problem's incidents, a release's changes,
an incident's CIs) and the records of every kind that name it. Read through the records service, so a
kind the person may not see (restricted) is left out."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Integer

from sms_metrics.errors import RecordNotFound
from sms_metrics.register.records.access import Principal
from sms_metrics.register.records.kind import RecordKind
from sms_metrics.register.records.service import Records

INCOMING_LIMIT = 20


@dataclass
class Item:
    text: str
    href: str | None = None
    status: str | None = None


@dataclass
class Group:
    label: str
    items: list[Item] = field(default_factory=list)
    more: int = 0  # records beyond those listed


def display_name(kind: RecordKind, rec) -> str:
    for name in ("title", "name", "resource"):
        value = getattr(rec, name, None)
        if value:
            return str(value)
    return kind.ref(rec.id)


def record_href(kind: RecordKind, record_id: int) -> str:
    return f"/register/{kind.path}/{record_id}"


def fk_kind(records: Records, kind: RecordKind, column: str) -> RecordKind | None:
    """The kind an id column refers to: from its foreign key, else from its name (``problem_id``,
    ``rollback_change_id`` -> the kind named ``problem``, ``change``)."""
    col = kind.model.__table__.columns.get(column)
    if col is None:
        return None
    for fk in col.foreign_keys:
        table = fk.column.table.name
        found = next((k for k in records.kinds.values() if k.model.__tablename__ == table), None)
        if found is not None:
            return found
    if not column.endswith("_id") or col.foreign_keys or not isinstance(col.type, Integer):
        return None
    words = column.removesuffix("_id").split("_")
    return next(
        (records.kinds["_".join(words[i:])] for i in range(len(words)) if "_".join(words[i:]) in records.kinds), None
    )


def _item(records: Records, who: Principal, kind: RecordKind, record_id: int) -> Item | None:
    try:
        rec = records.get(kind, who, int(record_id))
    except RecordNotFound:
        return Item(f"{kind.ref(int(record_id))} (not found)")
    return Item(f"{rec.ref} {display_name(kind, rec)}", record_href(kind, rec.id), rec.status)


def outgoing(records: Records, who: Principal, kind: RecordKind, rec) -> list[Group]:
    """The records and services this record names."""
    groups = []
    for name, spec in kind.links.items():
        values = getattr(rec, name, None) or []
        if spec.to == "service":
            items = [Item(v, f"/#service-{v}") for v in values]
        else:
            target = _visible_kind(records, who, spec.to)
            items = [i for i in (_item(records, who, target, v) for v in values[:50]) if i] if target else []
        if items:
            groups.append(Group(name.replace("_", " "), items, max(0, len(values) - 50)))
    for name in type(rec).model_fields:
        target = fk_kind(records, kind, name) if name.endswith("_id") else None
        value = getattr(rec, name, None)
        if target is not None and value is not None and _visible_kind(records, who, target.name):
            groups.append(Group(name.removesuffix("_id").replace("_", " "), [_item(records, who, target, value)]))
    return groups


def _visible_kind(records: Records, who: Principal, name: str) -> RecordKind | None:
    try:
        target = records.kind(name)
    except RecordNotFound:
        return None
    return None if target.restricted and not who.restricted else target


def incoming(records: Records, who: Principal, kind: RecordKind, record_id: int) -> list[Group]:
    """The records of every kind (this one included) that name this record."""
    groups = []
    for other in records.kinds.values():
        if other.restricted and not who.restricted:
            continue
        for name, spec in other.links.items():
            if spec.to == kind.name and spec.filter:
                groups += _naming(
                    records, who, other, f"{other.path} naming it in {name}", {spec.filter: str(record_id)}
                )
        for filter_name, column in other.filters.items():
            if fk_kind(records, other, column) is kind:
                groups += _naming(
                    records, who, other, f"{other.path} naming it as {column}", {filter_name: str(record_id)}
                )
    return groups


def _naming(records: Records, who: Principal, other: RecordKind, label: str, filters: dict) -> list[Group]:
    found, total = records.list(other, who, filters=filters, limit=INCOMING_LIMIT)
    if not found:
        return []
    items = [Item(f"{r.ref} {display_name(other, r)}", record_href(other, r.id), r.status) for r in found]
    return [Group(label.replace("-", " ").replace("_", " "), items, total - len(found))]
