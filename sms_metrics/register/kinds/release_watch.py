"""The post-release watch: for ``SMS_RELEASE_WATCH`` after a deployment, a page-level burn of the
release's service — a page-severity ``ErrorBudgetBurn`` incident opened since the deployment, or a 5m
and 1h burn rate at or above 14.4 in Prometheus — fails the release (its after-move effect opens the
emergency rollback change); a quiet watch verifies it. Run by the scheduler and on demand."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select

from sms_metrics.core.control import burn_failure, promql_names
from sms_metrics.errors import PrometheusError
from sms_metrics.register.kinds.incidents import Incident
from sms_metrics.register.kinds.releases import KIND, Release
from sms_metrics.register.records.access import SYSTEM

log = logging.getLogger(__name__)
BURN = 'slo:sli_error:ratio_rate{w}{{service=~"{s}"}} / on(service, slo) group_left() slo:error_budget:ratio{{service=~"{s}"}}'


@dataclass
class Outcome:
    ref: str
    outcome: str  # failed | verified | watching | unknown
    reason: str | None = None


def _paging_incident(session, rel) -> str | None:
    inc = session.scalar(
        select(Incident)
        .where(
            Incident.service == rel.service,
            Incident.alertname == "ErrorBudgetBurn",
            Incident.urgency == 1,
            Incident.opened_at >= rel.deployed_at,
        )
        .order_by(Incident.id)
        .limit(1)
    )
    if inc is None:
        return None
    return (
        f"page-severity ErrorBudgetBurn incident INC-{inc.id:06d} ({inc.slo or 'SLO'}) opened "
        f"{(inc.opened_at - rel.deployed_at).total_seconds() / 60:.0f} min after the deployment"
    )


def _burn(system, rel) -> str | None:
    rates: dict[str, list] = {}
    for i, window in enumerate(("5m", "1h")):
        for labels, value in system.prometheus.query(
            BURN.format(w=window, s=promql_names([rel.service])), system.now()
        ):
            rates.setdefault(labels.get("slo", "?"), [None, None])[i] = value
    return burn_failure({slo: (a, b) for slo, (a, b) in rates.items()})


def check(system, release_id: int) -> Outcome:
    """Watch one deployed release now: fail it, verify it, or leave it watching."""
    records = system.records
    with records.reading() as s:
        rel = records.load(s, KIND, release_id)
        if rel.status != "deployed":
            return Outcome(KIND.ref(rel.id), rel.status)
        reason = _paging_incident(s, rel)
    try:
        reason = reason or _burn(system, rel)
    except PrometheusError as exc:
        log.warning("release %s: burn rates unavailable, still watching: %s", KIND.ref(rel.id), exc)
        return Outcome(KIND.ref(rel.id), "unknown", str(exc))
    if reason:
        records.move(KIND, SYSTEM, rel.id, "failed", reason=reason)
        return Outcome(KIND.ref(rel.id), "failed", reason)
    if rel.watch_until is not None and system.now() >= rel.watch_until:
        watched = system.settings.release_watch
        records.move(KIND, SYSTEM, rel.id, "verified", reason=f"no page-level burn within {watched} of the deployment")
        return Outcome(KIND.ref(rel.id), "verified")
    return Outcome(KIND.ref(rel.id), "watching")


def watch_all(system) -> list[Outcome]:
    """One pass over every deployed release."""
    with system.records.reading() as s:
        ids = list(s.scalars(select(Release.id).where(Release.status == "deployed").order_by(Release.id)))
    return [check(system, i) for i in ids]
