"""Who gets which event: the dispatcher reads new history rows (after their commit), turns them into
events, matches the active subscriptions (event patterns, services, restricted) and queues one delivery
per receiver in ``notification_deliveries``; jobs ``publish`` their own events (SLA warnings, reviews due)
the same way. Sending is the worker's (``notify/worker.py``): nothing here waits for a receiver."""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from sms_metrics.adapters.notifier import Notifier
from sms_metrics.core.notify import Watermark, matches
from sms_metrics.notify.events import Event, fill_records, group_history
from sms_metrics.notify.models import Delivery, DispatchCursor, Subscription
from sms_metrics.register.base import History
from sms_metrics.register.db import transaction
from sms_metrics.register.records import store

log = logging.getLogger(__name__)
WRITES = ("created", "updated")
PERSIST_EVERY = 30.0  # seconds between cursor writes when nothing is queued


@dataclass
class Batch:
    deliveries: list[dict]
    history_ids: list[int]
    saved: int | None = None  # the cursor to write with the batch (None: no write needed)


@dataclass(frozen=True)
class Receiver:
    id: int
    channel: str
    events: list[str]
    services: list[str]
    restricted: bool

    def wants(self, event: Event, restricted_kind: bool) -> bool:
        if restricted_kind and not self.restricted:
            return False  # restricted records go only to restricted subscriptions
        if self.services and not set(self.services) & set(event.services):
            return False
        return matches(self.events, event.name)


def receivers(session) -> list[Receiver]:
    rows = session.scalars(select(Subscription).where(Subscription.status == "active")).all()
    kind = _kind()
    links = store.links_of(session, kind, [r.id for r in rows])
    return [Receiver(r.id, r.channel, list(r.events), links[r.id]["services"], r.restricted) for r in rows]


def _kind():
    from sms_metrics.register.kinds.notification_subscriptions import KIND

    return KIND


def delivery_rows(system, events: list[Event], subs: list[Receiver], now: datetime) -> list[dict]:
    kinds = system.records.kinds
    rows = []
    for e in events:
        restricted = kinds[e.kind].restricted if e.kind in kinds else True
        wanted = [s for s in subs if s.wants(e, restricted)]
        if not wanted:
            continue
        body = json.dumps(e.payload(kinds), ensure_ascii=False)
        rows += [
            {
                "subscription_id": s.id,
                "channel": s.channel,
                "event": e.name,
                "event_key": e.key,
                "record_kind": e.kind,
                "record_id": e.record_id,
                "body": body,
                "status": "pending",
                "attempts": 0,
                "created_at": now,
                "next_attempt_at": now,
            }
            for s in wanted
        ]
    return rows


def insert_deliveries(session, rows: list[dict]) -> None:
    """Queue deliveries; one already queued for the same subscription and event is left alone."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.execute(insert(Delivery).on_conflict_do_nothing(), rows)


class Dispatcher:
    """Reads the history table from where it stopped (``notification_cursor``; at first start, from the
    newest row: nothing older is sent) and queues deliveries for the events it finds."""

    def __init__(self, system, *, grace: float = 60.0, batch: int = 2000):
        self.system, self.grace, self.batch = system, grace, batch
        self.mark: Watermark | None = None
        self._saved, self._saved_at = -1, 0.0

    def _start(self) -> Watermark:
        with transaction(self.system.sessions) as s:
            row = s.get(DispatchCursor, 1)
            if row is None:
                top = s.scalar(select(func.max(History.id))) or 0
                row = DispatchCursor(id=1, history_id=top, updated_at=self.system.now())
                s.add(row)
            self._saved = row.history_id
        return Watermark(self._saved, self.grace)

    def _read(self, low: int, *, whole: bool = True) -> list:
        """History rows after ``low``; only their ids when no one subscribes (nothing will be sent, but
        the rows are still passed over). Plain rows, not History objects: the server reads every write of
        the webhook here, in a thread that takes turns with the event loop."""
        columns = History.__table__.columns if whole else [History.id]
        with self.system.records.reading() as s:
            query = select(*columns).where(History.id > low).order_by(History.id)
            rows = list(s.execute(query.limit(self.batch)).all())
        if whole and len(rows) == self.batch:  # a write cut by the limit: take its rows next time
            last = (rows[-1].record_kind, rows[-1].record_id, rows[-1].at)
            whole = [r for r in rows if (r.record_kind, r.record_id, r.at) != last]
            rows = whole or rows
        return [r for r in rows if not self.mark.handled(r.id)]

    def collect(self) -> Batch:
        """The deliveries of the events written since the last pass (nothing is written yet)."""
        if self.mark is None:
            self.mark = self._start()
        with self.system.records.reading() as s:
            subs = receivers(s)
        rows = self._read(self.mark.low, whole=bool(subs))
        now = self.system.now()
        queued: list[dict] = []
        if rows and subs:
            with self.system.records.reading() as s:
                events = [e for e in group_history(rows) if any(matches(r.events, e.name) for r in subs)]
                if events:
                    queued = delivery_rows(self.system, fill_records(s, self.system.records, events), subs, now)
        batch = Batch(queued, [r.id for r in rows])
        low = self.mark.preview(batch.history_ids, time.monotonic())
        if queued or (low != self._saved and time.monotonic() - self._saved_at > PERSIST_EVERY):
            batch.saved = low  # the cursor to write with the deliveries (or now and then without)
        return batch

    def write(self, session, batch: Batch) -> None:
        """Queue ``batch``'s deliveries in the caller's transaction, and the cursor."""
        insert_deliveries(session, batch.deliveries)
        if batch.saved is not None:
            session.merge(DispatchCursor(id=1, history_id=batch.saved, updated_at=self.system.now()))

    def done(self, batch: Batch) -> None:
        """After the transaction of ``write`` committed: the batch's rows are handled."""
        self.mark.mark(batch.history_ids, time.monotonic())
        if batch.saved is not None:
            self._saved, self._saved_at = batch.saved, time.monotonic()

    def poll(self) -> int:
        """One pass in a transaction of its own; returns the number of deliveries queued."""
        batch = self.collect()
        if batch.saved is not None:
            with transaction(self.system.sessions) as s:
                self.write(s, batch)
        self.done(batch)
        return len(batch.deliveries)


def publish(system, kind: str, what: str, *, record=None, record_id: int | None = None, details=None) -> int:
    """Queue a job's event (``incident.sla_breach``, ``document.review_due``) for its subscribers, after
    the job's commit. ``record`` is the record's read model (or give ``record_id``)."""
    if record is not None and record_id is None:
        record_id = getattr(record, "id", None)
    event = Event(f"e{uuid.uuid4().hex}", kind, what, record_id, system.now(), details=dict(details or {}))
    with system.records.reading() as s:
        subs = receivers(s)
        if not any(matches(r.events, event.name) for r in subs):
            return 0
        filled = fill_records(s, system.records, [event]) if record_id is not None else [event]
    rows = delivery_rows(system, filled, subs, system.now())
    with transaction(system.sessions) as s:
        insert_deliveries(s, rows)
    return len(rows)


def attach(system) -> None:
    """Turn the register's in-process events that are not record writes (a job's own events) into
    deliveries; record writes reach the dispatcher through the history table."""

    def on_event(kind: str, what: str, record) -> None:
        if what in WRITES or what.startswith("moved:"):
            return
        publish(system, kind, what, record=record)

    system.events.subscribe(on_event)


class QueuedNotifier(Notifier):
    """``SMS_NOTIFY_URL``, kept as it was (the SLA clock job's JSON events) but queued, logged and retried
    like every subscription: the job only writes a delivery row."""

    def __init__(self, system):
        self.system = system

    def send(self, event: dict) -> bool:
        now = self.system.now()
        row = {
            "subscription_id": None,
            "channel": "webhook",
            "event": f"sla.{event.get('event', 'event')}",
            "event_key": f"n{uuid.uuid4().hex}",
            "record_kind": "incident",
            "record_id": event.get("incident_id"),
            "body": json.dumps(event),
            "status": "pending",
            "attempts": 0,
            "created_at": now,
            "next_attempt_at": now,
        }
        try:
            with transaction(self.system.sessions) as s:
                insert_deliveries(s, [row])
        except Exception:
            log.exception("could not queue the notification of %s", row["event"])
            return False
        return True
