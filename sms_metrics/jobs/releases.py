"""Every ``SMS_RELEASE_CHECK_SECONDS``: watch the deployed releases (fail on page-level burn, verify
once the watch is quiet)."""

from __future__ import annotations

import logging

from sms_metrics.register.kinds.release_watch import watch_all

log = logging.getLogger(__name__)


def run_release_watch(state) -> int:
    """One pass; returns how many releases changed state."""
    outcomes = watch_all(state.system)
    for o in outcomes:
        if o.outcome in ("failed", "verified"):
            log.warning("release %s %s%s", o.ref, o.outcome, f": {o.reason}" if o.reason else "")
    return sum(o.outcome in ("failed", "verified") for o in outcomes)
