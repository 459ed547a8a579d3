"""Every ``SMS_SLA_CHECK_SECONDS``: run the SLA clocks, count warnings and breaches, send each event
through the notifier (``SMS_NOTIFY_URL``, queued) and to the subscriptions of ``sla.warning`` and
``sla.breach`` (``incident.sla_warning``, ``incident.sla_breach``)."""

from __future__ import annotations

import logging

from sms_metrics.notify.outbox import publish
from sms_metrics.register.db import transaction
from sms_metrics.register.incidents.sla import check_sla_clocks

log = logging.getLogger(__name__)


def run_sla_clocks(state) -> int:
    """One pass of the clock job; returns the number of events."""
    system = state.system
    with transaction(system.sessions) as session:
        events = check_sla_clocks(session, now=system.now())
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
        if not system.notifier.send(e.as_json()):
            state.metrics.notify_failures.inc()
        details = {"clock": e.clock, "due_at": e.due_at.isoformat()}
        try:
            publish(system, "incident", f"sla_{e.kind}", record_id=e.incident_id, details=details)
        except Exception:  # the next event is still told
            state.metrics.notify_failures.inc()
            log.exception("could not queue the %s %s of incident %d", e.clock, e.kind, e.incident_id)
    return len(events)


def guarded(name: str, fn, state):
    """Wrap a job: failures are logged and counted in sms_job_failures_total, never raised."""

    def job():
        try:
            fn(state)
        except Exception:  # house rule 7: a job never kills the scheduler
            state.metrics.job_failures.labels(name).inc()
            log.exception("job %s failed", name)

    return job
