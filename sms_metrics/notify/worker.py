"""The notification worker of ``serve``: a background thread that, every ``SMS_NOTIFY_POLL_SECONDS``,
lets the dispatcher queue the new events and hands every due delivery to a small pool of sender threads.
A sender logs each attempt on its delivery (attempts, last error) and schedules the next one with
exponential backoff; after ``SMS_NOTIFY_MAX_ATTEMPTS`` (or a refusal) the delivery is ``failed``.
Nothing here runs inside a register write, and a slow or dead receiver only holds its sender thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import timedelta

from sqlalchemy import select

from sms_metrics.core.notify import backoff_seconds
from sms_metrics.notify.channels import Outcome, Target, send
from sms_metrics.notify.models import Delivery, Subscription
from sms_metrics.notify.outbox import Dispatcher
from sms_metrics.register.db import transaction
from sms_metrics.register.kinds.notification_subscriptions import masked

log = logging.getLogger(__name__)
BATCH = 200


class NotificationWorker:
    def __init__(self, system, *, on_failed: Callable[[], None] | None = None):
        self.system, self.settings = system, system.settings
        self.dispatcher = Dispatcher(system, grace=self.settings.notify_gap_grace_seconds)
        self.on_failed = on_failed or (lambda: None)
        self.pool = ThreadPoolExecutor(self.settings.notify_concurrency, thread_name_prefix="sms-notify-send")
        self.inflight: set[int | None] = set()  # receivers (subscription ids; None: SMS_NOTIFY_URL) being sent to
        self._lock = threading.Lock()
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
        """Queue new events, then start sending every due delivery; returns the futures started."""
        self.dispatcher.poll()
        return self._send_due()

    def run_once(self) -> None:
        """Queue and send everything due now, waiting for the attempts (the CLI and tests)."""
        wait(self.step())

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
            rows = s.scalars(
                select(Delivery)
                .where(Delivery.status == "pending", Delivery.next_attempt_at <= now)
                .order_by(Delivery.id)
                .limit(BATCH)
            ).all()
            with self._lock:
                picked = {}
                for r in rows:
                    if r.subscription_id not in self.inflight and r.subscription_id not in picked:
                        picked[r.subscription_id] = r
                self.inflight.update(picked)
            rows = list(picked.values())
            targets = self._targets(s, rows)
        return [self.pool.submit(self._deliver, r, targets[r.id]) for r in rows]

    def _deliver(self, row: Delivery, target: Target | None) -> None:
        delivery_id = row.id
        try:
            if target is None:
                outcome = Outcome(False, "the subscription is paused or retired (or SMS_NOTIFY_URL unset)", True)
            else:
                outcome = send(self.settings, target, row.body, row.event, row.event_key)
            self._record(delivery_id, outcome, cancelled=target is None)
        except Exception:
            log.exception("delivery %d failed unexpectedly", delivery_id)
        finally:
            with self._lock:
                self.inflight.discard(row.subscription_id)

    def _record(self, delivery_id: int, outcome: Outcome, *, cancelled: bool) -> None:
        now = self.system.now()
        with transaction(self.system.sessions) as s:
            d = s.get(Delivery, delivery_id)
            d.last_attempt_at = now
            if cancelled:
                d.status, d.last_error = "cancelled", outcome.error
                return
            d.attempts += 1
            d.last_error = outcome.error or d.last_error  # a success keeps the error that preceded it
            if outcome.ok:
                d.status, d.sent_at, d.next_attempt_at = "sent", now, None
            elif outcome.permanent or d.attempts >= self.settings.notify_max_attempts:
                d.status, d.next_attempt_at = "failed", None
            else:
                wait_s = backoff_seconds(d.attempts, self.settings.notify_backoff_seconds)
                d.next_attempt_at = now + timedelta(seconds=wait_s)
        if not outcome.ok and not cancelled:
            log.warning("notification %d (%s) attempt failed: %s", delivery_id, d.event, outcome.error)
            if d.status == "failed":
                self.on_failed()
