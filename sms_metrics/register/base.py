"""Declarative base, shared column types, the append-only history table and the links table."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import DateTime, Index, Integer, String, Text, TypeDecorator, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the register; use UTC-aware datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class RecordColumns:
    """The columns every record kind has: its number, its state and when it was made and changed."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class History(Base):
    """One changed field of one record: who, when, what and why (append-only)."""

    __tablename__ = "history"
    __table_args__ = (Index("ix_history_record", "record_kind", "record_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_kind: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[int] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    field: Mapped[str] = mapped_column(String(80))
    old: Mapped[str | None] = mapped_column(Text, nullable=True)
    new: Mapped[str | None] = mapped_column(Text, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class Link(Base):
    """A many-valued field of a record: the services a change touches, the CIs an incident names, the
    CIs a CI depends on. ``target`` is a service name or the id of a record of the field's kind."""

    __tablename__ = "links"
    __table_args__ = (
        UniqueConstraint("kind", "record_id", "field", "target", name="uq_links"),
        Index("ix_links_target", "kind", "field", "target"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(60))
    target: Mapped[str] = mapped_column(String(200))


def _plain(value: object) -> object:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")  # type: ignore[attr-defined]
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def text_of(value: object) -> str | None:
    """How a value is written into a history row: scalars as text, lists of names or ids joined by
    commas, structured values (test results, attributes) as JSON. An empty list is no value, as for links."""
    if value is None or (isinstance(value, list | tuple | set) and not value):
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, list | tuple | set) and all(isinstance(v, str | int) for v in value):
        return ", ".join(str(v) for v in value)
    if isinstance(value, list | tuple | dict) or hasattr(value, "model_dump"):
        return json.dumps(_plain(value), sort_keys=True, default=str)
    return str(value)


def record_changes(
    session,
    *,
    kind: str,
    record_id: int,
    actor: str,
    at: datetime,
    changes: dict[str, tuple[object, object]],
    reason: str | None = None,
) -> None:
    """Append a history row per changed field, in the caller's transaction."""
    for field, (old, new) in changes.items():
        if old != new and text_of(old) != text_of(new):
            session.add(
                History(
                    record_kind=kind,
                    record_id=record_id,
                    actor=actor,
                    at=at,
                    field=field,
                    old=text_of(old),
                    new=text_of(new),
                    reason=reason,
                )
            )
