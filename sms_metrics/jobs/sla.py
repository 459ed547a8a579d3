"""Every ``SMS_SLA_CHECK_SECONDS``: run the SLA clocks, count warnings and breaches, and send
each event to the optional outgoing notification webhook (``SMS_NOTIFY_URL``)."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

import httpx

from sms_metrics.register.db import transaction
from sms_metrics.register.incidents.sla import check_sla_clocks

log = logging.getLogger(__name__)


def run_sla_clocks(state) -> int:
    """One pass of the clock job; returns the number of events."""
    with transaction(state.sessions) as session:
        events = check_sla_clocks(session, now=datetime.now(timezone.utc))
    for e in events:
        state.metrics.sla_events.labels(e.clock, e.kind).inc()
        log.warning("incident %d (%s %s): %s clock %s, due %s", e.incident_id, e.service, e.priority, e.clock,
                    e.kind, e.due_at.isoformat())
        if state.settings.notify_url:
            try:
                httpx.post(state.settings.notify_url, json=e.as_json(), timeout=5).raise_for_status()
            except httpx.HTTPError as exc:
                state.metrics.notify_failures.inc()
                log.error("notification for incident %d failed: %s", e.incident_id, exc)
    return len(events)


def guarded(name: str, fn, state):
    """Wrap a job: failures are logged and counted in sms_job_failures_total, never raised."""
    def job():
        try:
            fn(state)
        except Exception:       # noqa: BLE001 - house rule 7: a job never kills the scheduler
            state.metrics.job_failures.labels(name).inc()
            log.exception("job %s failed", name)
    return job
