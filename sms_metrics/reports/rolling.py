"""The rolling-window figures of the recording rules (``rules/``), added to reports where Prometheus has them."""

from __future__ import annotations

import logging
from datetime import datetime

from sms_metrics.adapters.prometheus import PrometheusPort
from sms_metrics.core.periods import rfc3339
from sms_metrics.errors import PrometheusError
from sms_metrics.sli.recorded import read_recorded

log = logging.getLogger(__name__)


def attach_recorded(prom: PrometheusPort, pairs: list, now: datetime) -> None:
    """For each (report, plan of its SLA SLO): the recorded budget and burn rates as of the period's end
    (or now, for a rolling window ending now)."""
    by_time: dict[datetime, list] = {}
    for rep, plan in pairs:
        end = rep.period.end
        recent = (now - end).total_seconds() < plan.grid.step
        by_time.setdefault(now if recent else min(now, end), []).append((rep, plan))
    for at, group in by_time.items():
        ids = {plan.service.sloth_id(plan.slo): (rep, plan) for rep, plan in group}
        try:
            found = read_recorded(prom, list(ids), at)
        except PrometheusError as exc:
            log.warning("rolling figures from recording rules unavailable: %s", exc)
            return
        for sid, values in found.items():
            rep, plan = ids[sid]
            rep.rolling = {
                "source": "recording rules",
                "window": plan.slo.window,
                "at": rfc3339(at),
                **{k: None if v is None else round(float(v), 6) for k, v in values.items()},
            }
