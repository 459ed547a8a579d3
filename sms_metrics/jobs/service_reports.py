"""Every day at ``SMS_SERVICE_REPORT_HOUR_UTC``:15, from ``SMS_SERVICE_REPORT_DAY`` (default the 1st) to the
end of the month: the availability report of the month before for every catalogue service that has no
complete report of that month yet, kept as service-report records (one per service and month). A report is
complete once it was measured after the month ended, so a run that failed (Prometheus down) or a report
saved before the month was over is measured again on the next day; a complete report is left alone. Run with
an explicit period (``run_monthly_reports(state, "2026-10")``) it measures every service again (new versions).
A service whose save fails does not stop the others; the job fails at the end, naming them."""

from __future__ import annotations

import logging

from sqlalchemy import select

from sms_metrics.core.periods import previous_month
from sms_metrics.errors import SmsError
from sms_metrics.register.kinds.report_saving import measure_reports, save_report
from sms_metrics.register.kinds.service_reports import ServiceReport
from sms_metrics.register.records.access import Principal

log = logging.getLogger(__name__)
ACTOR = Principal("job:service-reports", "admin")


def due_services(system, period: str) -> list[str]:
    """The catalogue services with no report of ``period`` measured after the period ended."""
    with system.readers() as s:
        rows = s.execute(
            select(ServiceReport.service, ServiceReport.measured_at, ServiceReport.period_end).where(
                ServiceReport.period == period
            )
        )
        complete = {service for service, measured, end in rows if measured >= end}
    return [x.name for x in system.catalogue.services if x.name not in complete]


def run_monthly_reports(state, period: str | None = None) -> int:
    """Measure and save the reports of ``period`` (default: last month's missing ones); returns how many
    were saved."""
    system = state.system
    if system.catalogue is None or not system.catalogue.services:
        return 0
    services = None
    if period is None:
        now = system.now()
        if now.day < system.settings.service_report_day:
            return 0
        period = previous_month(now).label
        services = due_services(system, period)
        if not services:
            return 0
    saved, failed = 0, []
    for report in measure_reports(system, period, services=services):
        if report["availability_percent"] is None:
            log.warning("service report %s %s: no data (kept as such)", report["service"], period)
        try:
            s = save_report(system.records, ACTOR, report, source="job")
        except SmsError as exc:
            log.error("service report %s %s not saved: %s", report["service"], period, exc)
            failed.append(report["service"])
            continue
        log.info("service report %s: %s %s, version %d", s.ref, report["service"], period, s.version)
        saved += 1
    if failed:
        raise SmsError(f"service reports of {period} not saved for: {', '.join(failed)} ({saved} saved)")
    return saved
