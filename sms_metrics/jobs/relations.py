"""Scheduled jobs of the relationship and resolution records: supplier performance each month, contracts'
renewal flags each day, and the fulfilment clocks of service requests every ``SMS_SLA_CHECK_SECONDS``."""

from __future__ import annotations

import logging

from sms_metrics.core.periods import previous_month
from sms_metrics.jobs.sla import guarded

log = logging.getLogger(__name__)
# The previous month is measured on the 2nd at 12:00 UTC: by then it has ended in every time zone.
SUPPLIER_DAY, SUPPLIER_HOUR = 2, 12
RENEWAL_HOUR = 4


def run_supplier_performance(state) -> int:
    """Measure every supplier over the previous calendar month; returns how many records were written."""
    from sms_metrics.register.kinds.supplier_measure import measure

    system = state.system
    period = previous_month(system.now()).label
    outcomes = measure(system, period)
    breached = [o.supplier for o in outcomes if o.result == "breached"]
    log.info(
        "supplier performance %s: %d suppliers measured, %d without data, breached: %s",
        period,
        sum(o.action != "no_data" for o in outcomes),
        sum(o.action == "no_data" for o in outcomes),
        ", ".join(breached) or "none",
    )
    return sum(o.action in ("created", "updated") for o in outcomes)


def run_contract_renewals(state) -> int:
    from sms_metrics.register.kinds.contracts import refresh_renewals

    return len(refresh_renewals(state.system))


def run_request_clocks(state) -> int:
    from sms_metrics.register.kinds.request_clocks import check_request_clocks

    events = check_request_clocks(state.system)
    for e in events:
        state.metrics.sla_events.labels("fulfilment", e.event).inc()
        log.warning(
            "service request %s (%s %s): fulfilment clock %s, due %s",
            e.request_id,
            e.service,
            e.priority,
            e.event,
            e.due_at.isoformat(),
        )
        if not state.system.notifier.send(e.as_json()):
            state.metrics.notify_failures.inc()
    return len(events)


def add_jobs(jobs, state) -> None:
    """Add these jobs to the service's scheduler (``app._jobs``)."""
    table = (
        (
            "supplier-performance",
            run_supplier_performance,
            "cron",
            {"day": SUPPLIER_DAY, "hour": SUPPLIER_HOUR, "minute": 0},
        ),
        ("contract-renewals", run_contract_renewals, "cron", {"hour": RENEWAL_HOUR, "minute": 15}),
        ("request-clocks", run_request_clocks, "interval", {"seconds": state.settings.sla_check_seconds}),
    )
    for name, fn, trigger, when in table:
        zone = {"timezone": "UTC"} if trigger == "cron" else {}
        jobs.add_job(guarded(name, fn, state), trigger, id=name, max_instances=1, coalesce=True, **when, **zone)
