"""Every ``SMS_REVIEW_CHECK_SECONDS`` (default an hour): flag the records whose review or due date has
passed — published documents, current availability and continuity plans, security controls in force,
open nonconformities — with a history row and an event each, counted in ``sms_review_flags_total``."""

from __future__ import annotations

import logging

from sms_metrics.register.kinds import DUES
from sms_metrics.register.kinds.reviews import check_dues

log = logging.getLogger(__name__)


def run_review_checks(state) -> int:
    """One pass; returns how many records were flagged."""
    flagged, cleared = check_dues(state.system, list(DUES))
    for f in flagged:
        state.metrics.review_flags.labels(f.kind).inc()
    if flagged or cleared:
        log.info("reviews: %d record(s) flagged overdue, %d flag(s) cleared", len(flagged), cleared)
    return len(flagged)


def schedule(jobs, state, guarded) -> None:
    """The register's delivery jobs: the review check and the monthly service reports (a daily run that
    saves what last month still lacks, from ``SMS_SERVICE_REPORT_DAY`` on)."""
    from sms_metrics.jobs.service_reports import run_monthly_reports

    settings = state.settings
    jobs.add_job(
        guarded("reviews", run_review_checks, state),
        "interval",
        id="reviews",
        seconds=settings.review_check_seconds,
        max_instances=1,
        coalesce=True,
    )
    jobs.add_job(
        guarded("service-reports", run_monthly_reports, state),
        "cron",
        id="service-reports",
        hour=settings.service_report_hour_utc,
        minute=15,
        timezone="UTC",
        max_instances=1,
        coalesce=True,
    )
