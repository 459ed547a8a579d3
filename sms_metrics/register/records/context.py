"""What hooks and gates are given: the session of the write, who acts, when, and the system
(settings, catalogue, Prometheus) — never globals."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from sms_metrics.register.base import record_changes
from sms_metrics.register.records.access import Principal

if TYPE_CHECKING:
    from sms_metrics.bootstrap import System
    from sms_metrics.register.records.service import Records


@dataclass
class WriteContext:
    session: Session
    who: Principal
    now: datetime
    system: System
    records: Records
    notes: list[str] = field(default_factory=list)  # said back to the caller after the write
    links: dict[str, list] = field(default_factory=dict)  # a new record's link fields, for before_create

    @property
    def catalogue(self):
        return self.system.catalogue

    def log(self, kind, record_id: int, changes: dict[str, tuple[object, object]], reason: str | None = None) -> None:
        """History rows for the changed fields of a record, in this transaction."""
        record_changes(
            self.session,
            kind=kind.name,
            record_id=record_id,
            actor=self.who.name,
            at=self.now,
            changes=changes,
            reason=reason,
        )

    def create(self, kind: str, data: dict, *, reason: str | None = None):
        """Create another record in this transaction (an effect of a move)."""
        return self.records.create_in(self, kind, data, reason=reason)


@dataclass
class MoveContext(WriteContext):
    record: Any = None
    kind: Any = None
    source: str = ""
    target: str = ""
    body: Any = None
    reason: str | None = None


@dataclass(frozen=True)
class Gatekeeping:
    """A gate's view of the move: the record as it is (read model and links), the move asked for."""

    record: Any
    links: dict[str, list[str]]
    target: str
    body: Any
    who: Principal
    now: datetime
    system: System
