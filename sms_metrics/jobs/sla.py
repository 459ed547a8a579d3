"""Every ``SMS_SLA_CHECK_SECONDS``: run the SLA clocks, count warnings and breaches, and send
each event to the optional outgoing notification webhook (``SMS_NOTIFY_URL``)."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import httpx

from sms_metrics.register.db import transaction
from sms_metrics.register.incidents.sla import check_sla_clocks

log = logging.getLogger(__name__)
NOTIFY_ATTEMPTS = 3
NOTIFY_BACKOFF_SECONDS = 0.2


def run_sla_clocks(state) -> int:
    """One pass of the clock job; returns the number of events."""
    with transaction(state.sessions) as session:
        events = check_sla_clocks(session, now=datetime.now(UTC))
    for e in events:
        state.metrics.sla_events.labels(e.clock, e.kind).inc()
        log.warning(
            "incident %d (%s %s): %s clock %s, due %s",
            e.incident_id,
            e.service,
            e.priority,
            e.clock,
            e.kind,
            e.due_at.isoformat(),
        )
        if state.settings.notify_url:
            _notify(state, e)
    return len(events)


def _notify(state, event, attempts: int = NOTIFY_ATTEMPTS) -> None:
    """POST one event to SMS_NOTIFY_URL; connection errors and 5xx are retried with backoff, then counted."""
    for attempt in range(attempts):
        try:
            httpx.post(state.settings.notify_url, json=event.as_json(), timeout=5).raise_for_status()
            return
        except httpx.HTTPStatusError as exc:
            error = exc
            if exc.response.status_code < 500:
                break  # the receiver refuses it: retrying will not help
        except httpx.HTTPError as exc:
            error = exc
        if attempt + 1 < attempts:
            time.sleep(NOTIFY_BACKOFF_SECONDS * 2**attempt)
    state.metrics.notify_failures.inc()
    log.error("notification for incident %d failed after %d attempt(s): %s", event.incident_id, attempt + 1, error)


def guarded(name: str, fn, state):
    """Wrap a job: failures are logged and counted in sms_job_failures_total, never raised."""

    def job():
        try:
            fn(state)
        except Exception:
            state.metrics.job_failures.labels(name).inc()
            log.exception("job %s failed", name)

    return job
