"""Each month (``SMS_SERVICE_REPORT_DAY``, default the 1st, at ``SMS_SERVICE_REPORT_HOUR_UTC``:15): the
availability report of the month before for every catalogue service, kept as service-report records (one
per service and month; a re-run makes a new version of the same record)."""

from __future__ import annotations

import logging

from sms_metrics.core.periods import previous_month
from sms_metrics.register.kinds.report_saving import measure_reports, save_report
from sms_metrics.register.records.access import Principal

log = logging.getLogger(__name__)
ACTOR = Principal("job:service-reports", "admin")


def run_monthly_reports(state, period: str | None = None) -> int:
    """Measure and save the reports of ``period`` (default: last month); returns how many were saved."""
    system = state.system
    if system.catalogue is None or not system.catalogue.services:
        return 0
    period = period or previous_month(system.now()).label
    saved = 0
    for report in measure_reports(system, period):
        if report["availability_percent"] is None:
            log.warning("service report %s %s: no data (kept as such)", report["service"], period)
        s = save_report(system.records, ACTOR, report, source="job")
        log.info("service report %s: %s %s, version %d", s.ref, report["service"], period, s.version)
        saved += 1
    return saved
