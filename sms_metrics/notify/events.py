"""Events from the register's history: the rows one write made to one record (same kind, record, time and
actor) are one event — ``created`` when its status row starts from nothing, ``moved:<state>`` when the
status changed, ``updated`` otherwise. The history table is written in the same transaction as the
record, so it is an outbox: whatever process wrote (the API, the webhook's writer process, the CLI, a
job), the event is seen once the write has committed, and never before."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sms_metrics.core.evidence import rfc3339
from sms_metrics.core.notify import names_of
from sms_metrics.register.records import store


@dataclass
class Event:
    key: str  # unique per event: h<first history id> or e<random>
    kind: str  # the kind's name (incident)
    what: str  # created, updated, moved:<state>, or a job's event (sla_warning, review_due)
    record_id: int | None
    at: datetime
    actor: str | None = None
    reason: str | None = None
    changes: list[dict] = field(default_factory=list)
    details: dict = field(default_factory=dict)
    record: dict | None = None  # the record as the API shows it when dispatched, with the event's status
    services: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.kind}.{self.what}"

    def payload(self, kinds: dict) -> dict:
        kind = kinds.get(self.kind)
        return {
            "id": self.key,
            "event": self.name,
            "names": names_of(self.name),
            "kind": self.kind,
            "path": kind.path if kind else None,
            "ref": kind.ref(self.record_id) if kind and self.record_id is not None else None,
            "at": rfc3339(self.at),
            "actor": self.actor,
            "reason": self.reason,
            "services": self.services,
            "changes": self.changes,
            "details": self.details,
            "record": self.record,
        }


def group_history(rows: list) -> list[Event]:
    """History rows (in id order) as events, in the order of their first row."""
    groups: dict[tuple, list] = {}
    for row in rows:
        groups.setdefault((row.record_kind, row.record_id, row.at, row.actor), []).append(row)
    events = []
    for (kind, record_id, at, actor), group in groups.items():
        status = next((r for r in group if r.field == "status"), None)
        if status is not None and status.old is None:
            what = "created"
        elif status is not None:
            what = f"moved:{status.new}"
        else:
            what = "updated"
        changes = [{"field": r.field, "old": r.old, "new": r.new} for r in group]
        reason = next((r.reason for r in group if r.reason), None)
        events.append(Event(f"h{group[0].id}", kind, what, record_id, at, actor, reason, changes))
    return events


def services_of(record: dict) -> list[str]:
    out = list(record.get("services") or [])
    if record.get("service"):
        out.insert(0, record["service"])
    return list(dict.fromkeys(out))


def fill_records(session: Session, records, events: list[Event]) -> list[Event]:
    """Attach each event's record (read as the API shows it, one query per kind); events of kinds the
    register does not know are dropped."""
    by_kind: dict[str, set[int]] = {}
    for e in events:
        if e.kind in records.kinds and e.record_id is not None:
            by_kind.setdefault(e.kind, set()).add(e.record_id)
    loaded: dict[tuple[str, int], dict] = {}
    for name, ids in by_kind.items():
        kind = records.kinds[name]
        rows = session.scalars(select(kind.model).where(kind.model.id.in_(sorted(ids)))).all()
        links = store.links_of(session, kind, [r.id for r in rows])
        for r in rows:
            loaded[(name, r.id)] = records.to_read(kind, r, links[r.id]).model_dump(mode="json")
    out = []
    for e in events:
        record = loaded.get((e.kind, e.record_id)) if e.record_id is not None else None
        if e.kind not in records.kinds or (e.record_id is not None and record is None):
            continue
        moved = next((c["new"] for c in e.changes if c["field"] == "status"), None)
        if record is not None and moved is not None:
            record = {**record, "status": moved}  # read after the event: its state is the event's
        e.record, e.services = record, services_of(record or {})
        out.append(e)
    return out
