"""Which records of a kind belong to a service's evidence pack for a period, read as the API shows them.

A record belongs to the period when any of these holds (``[start, end)`` is the period, in the service's
SLA time zone, as in the availability report):
- it has a history row (a creation, a move, a changed field) in the period;
- it was created or last updated in the period;
- it was created before the period's end and is still open (so it was open when the period ended);
- one of its date columns falls in the period, its period label is the period's, or one of its spans
  overlaps the period (``periods.py``: declared by the kind, or found by the register's conventions)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from sms_metrics.core.periods import Period
from sms_metrics.evidence.periods import date_terms
from sms_metrics.register.base import History, Link
from sms_metrics.register.records import store
from sms_metrics.register.records.kind import RecordKind

CHUNK = 900  # ids per IN (...) list
HISTORY = (History.record_id, History.at, History.actor, History.field, History.old, History.new, History.reason)


@dataclass
class KindEvidence:
    kind: RecordKind
    scope: str  # "service" or "sms" (the kind has no service: every record of the period)
    records: list = field(default_factory=list)  # read models, as the API returns them
    history: list = field(default_factory=list)  # history rows (HISTORY columns) of the period, by record then id


def scope_of(kind: RecordKind) -> str:
    columns = kind.model.__table__.columns
    return "service" if "service" in columns or "services" in kind.links else "sms"


def _service_filter(kind: RecordKind, service: str):
    """The records of ``service``, and those that name no service (they concern the whole SMS: a CI
    without a service, a request type offered for every service)."""
    model = kind.model
    if "service" in model.__table__.columns:
        return or_(model.service == service, model.service.is_(None))
    if "services" in kind.links:
        linked = select(Link.id).where(Link.kind == kind.name, Link.field == "services", Link.record_id == model.id)
        return or_(model.id.in_(store.linked_ids(kind, "services", service)), ~linked.exists())
    return None


def period_filter(kind: RecordKind, spec, period: Period, tz: str = "UTC"):
    model, start, end = kind.model, period.start, period.end
    touched = select(History.record_id).where(History.record_kind == kind.name, History.at >= start, History.at < end)
    terms = [
        model.id.in_(touched),
        and_(model.created_at >= start, model.created_at < end),
        and_(model.updated_at >= start, model.updated_at < end),
        and_(model.created_at < end, model.status.in_(sorted(kind.lifecycle.open))),
    ]
    return or_(*terms, *date_terms(model, spec, period, tz))


def ids_query(kind: RecordKind, spec, service: str, period: Period, tz: str = "UTC"):
    """A SELECT of the ids of ``kind``'s records that belong to the pack."""
    if spec.select is not None:
        return spec.select(kind, service, period)
    query = select(kind.model.id).where(period_filter(kind, spec, period, tz))
    where = _service_filter(kind, service)
    return query.where(where) if where is not None else query


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def collect(
    session: Session, records, kind: RecordKind, spec, service: str, period: Period, tz: str = "UTC"
) -> KindEvidence:
    """The kind's records of the pack (oldest first) and their history rows of the period."""
    out = KindEvidence(kind, scope_of(kind))
    ids = list(session.scalars(ids_query(kind, spec, service, period, tz).order_by(None)))
    ids.sort()
    for part in _chunks(ids):
        rows = session.scalars(select(kind.model).where(kind.model.id.in_(part)).order_by(kind.model.id)).all()
        links = store.links_of(session, kind, part)
        out.records += [records.to_read(kind, r, links[r.id]) for r in rows]
        if spec.history:
            out.history += session.execute(
                select(*HISTORY)
                .where(
                    History.record_kind == kind.name,
                    History.record_id.in_(part),
                    History.at >= period.start,
                    History.at < period.end,
                )
                .order_by(History.record_id, History.id)
            ).all()
    return out
