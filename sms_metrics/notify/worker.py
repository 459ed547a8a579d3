"""The notification worker of ``serve``: a background thread that, every ``SMS_NOTIFY_POLL_SECONDS``,
writes in one short transaction what the last pass found (the deliveries of new events, the outcome of
the attempts that finished), then hands the oldest due delivery of every receiver to a small pool of
sender threads. Failed attempts are retried with exponential backoff; after ``SMS_NOTIFY_MAX_ATTEMPTS``
(or a refusal) a delivery is ``failed``. Nothing here runs inside a register write, a receiver gets its
deliveries one at a time, and a slow or dead receiver only holds its sender thread."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from sms_metrics.core.notify import backoff_seconds
from sms_metrics.notify.channels import Outcome, Target, send
from sms_metrics.notify.models import Delivery, Subscription
from sms_metrics.notify.outbox import Dispatcher
from sms_metrics.register.db import transaction
from sms_metrics.register.kinds.notification_subscriptions import masked

log = logging.getLogger(__name__)
BATCH = 200


@dataclass(frozen=True)
class Attempt:
    delivery_id: int
    receiver: int | None  # the subscription (None: SMS_NOTIFY_URL)
    outcome: Outcome
    at: datetime
    cancelled: bool = False


class NotificationWorker:
    def __init__(self, system, *, on_failed: Callable[[], None] | None = None):
        self.system, self.settings = system, system.settings
        self.dispatcher = Dispatcher(system, grace=self.settings.notify_gap_grace_seconds)
        self.on_failed = on_failed or (lambda: None)
        self.pool = ThreadPoolExecutor(self.settings.notify_concurrency, thread_name_prefix="sms-notify-send")
        self.inflight: set[int | None] = set()  # receivers being sent to (until their attempt is written)
        self.attempts: queue.SimpleQueue[Attempt] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sms-notify", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.pool.shutdown(wait=False, cancel_futures=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.step()
            except Exception:  # the worker never dies; the next pass retries
                log.exception("notification worker pass failed")
            self._stop.wait(self.settings.notify_poll_seconds)

    def step(self) -> list:
        """Write what the last pass found, then start sending what is due; returns the futures started."""
        batch = self.dispatcher.collect()
        done = []
        while not self.attempts.empty():
            done.append(self.attempts.get())
        failed = 0
        if batch.saved is not None or done:
            try:
                with transaction(self.system.sessions) as s:
                    self.dispatcher.write(s, batch)
                    failed = sum(self._apply(s, a) for a in done)
            except Exception:
                for a in done:  # written next time; the batch's events are read again
                    self.attempts.put(a)
                raise
        self.dispatcher.done(batch)
        self.inflight.difference_update(a.receiver for a in done)
        for _ in range(failed):
            self.on_failed()
        return self._send_due()

    def run_once(self) -> None:
        """Queue and send everything due now, and write the outcomes (the CLI and tests)."""
        wait(self.step())
        self.step()

    def _targets(self, session, rows: list[Delivery]) -> dict[int, Target | None]:
        ids = {r.subscription_id for r in rows if r.subscription_id is not None}
        subs = {s.id: s for s in session.scalars(select(Subscription).where(Subscription.id.in_(ids)))}
        out: dict[int, Target | None] = {}
        for r in rows:
            if r.subscription_id is None:
                url, key = self.settings.notify_url, self.settings.notify_secret
                secret = key.get_secret_value() if key else None
                out[r.id] = Target("webhook", url, secret, shown=url) if url else None
                continue
            s = subs.get(r.subscription_id)
            if s is None or s.status != "active":
                out[r.id] = None
            else:
                shown = masked(s.secret) if s.channel == "slack" and s.secret else s.url or ""
                out[r.id] = Target(s.channel, s.url, s.secret, tuple(s.email_to or ()), shown)
        return out

    def _send_due(self) -> list:
        """Start the oldest due delivery of every receiver that has none in flight: a receiver gets its
        events one at a time, in order (a retried one may arrive after later events)."""
        now = self.system.now()
        with self.system.records.reading() as s:
            oldest = (
                select(func.min(Delivery.id))
                .where(Delivery.status == "pending", Delivery.next_attempt_at <= now)
                .group_by(Delivery.subscription_id)
            )
            rows = s.scalars(select(Delivery).where(Delivery.id.in_(oldest)).order_by(Delivery.id)).all()
            rows = [r for r in rows if r.subscription_id not in self.inflight][:BATCH]
            self.inflight.update(r.subscription_id for r in rows)
            targets = self._targets(s, rows)
        return [self.pool.submit(self._deliver, r, targets[r.id]) for r in rows]

    def _deliver(self, row: Delivery, target: Target | None) -> None:
        try:
            if target is None:
                outcome = Outcome(False, "the subscription is paused or retired (or SMS_NOTIFY_URL unset)", True)
            else:
                outcome = send(self.settings, target, row.body, row.event, row.event_key)
        except Exception as exc:  # a bug in a channel fails the attempt, never the worker
            log.exception("delivery %d failed unexpectedly", row.id)
            outcome = Outcome(False, f"{type(exc).__name__}: {exc}")
        if not outcome.ok and target is not None:
            log.warning("notification %d (%s) attempt failed: %s", row.id, row.event, outcome.error)
        self.attempts.put(Attempt(row.id, row.subscription_id, outcome, self.system.now(), target is None))

    def _apply(self, session, a: Attempt) -> bool:
        """Write one attempt on its delivery; True when the delivery has now failed for good."""
        d = session.get(Delivery, a.delivery_id)
        d.last_attempt_at = a.at
        if a.cancelled:
            d.status, d.last_error = "cancelled", a.outcome.error
            return False
        d.attempts += 1
        d.last_error = a.outcome.error or d.last_error  # a success keeps the error that preceded it
        if a.outcome.ok:
            d.status, d.sent_at, d.next_attempt_at = "sent", a.at, None
        elif a.outcome.permanent or d.attempts >= self.settings.notify_max_attempts:
            d.status, d.next_attempt_at = "failed", None
            return True
        else:
            d.next_attempt_at = a.at + timedelta(
                seconds=backoff_seconds(d.attempts, self.settings.notify_backoff_seconds)
            )
        return False
