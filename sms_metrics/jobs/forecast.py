"""The daily capacity job: re-forecast every catalogue resource on all cores and keep the results
as capacity plans. A resource without enough data keeps its current plan untouched."""

from __future__ import annotations

import logging

from sms_metrics.capacity.run import forecast_targets, select_targets
from sms_metrics.register.capacity.plans import record_forecasts
from sms_metrics.register.db import transaction

log = logging.getLogger(__name__)
ACTOR = "job:capacity-forecast"


def run_capacity_forecasts(state) -> int:
    """One pass; returns the number of plans written."""
    system = state.system
    settings, catalogue = system.settings, system.catalogue
    if catalogue is None or not any(s.capacity for s in catalogue.services):
        return 0
    outcomes = forecast_targets(
        system.prometheus,
        select_targets(catalogue),
        now=system.now(),
        workers=settings.forecast_workers or None,
        read_concurrency=settings.prometheus_concurrency,
    )
    for o in outcomes:
        if o.error:
            state.metrics.forecast_skipped.labels(o.target.service, o.target.resource.name).inc()
            log.warning("capacity %s/%s not forecast: %s", o.target.service, o.target.resource.name, o.error)
    docs = [o.doc for o in outcomes if o.doc]
    with transaction(system.sessions) as session:
        done = record_forecasts(session, docs, actor=ACTOR, now=system.now())
    log.info(
        "capacity forecasts: %d resources, %d new plans, %d unchanged, %d not forecast",
        len(outcomes),
        done.created,
        done.unchanged,
        len(outcomes) - len(docs),
    )
    return done.created
