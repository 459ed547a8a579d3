"""Capacity gauges for /metrics, read from the current plans at scrape time.

``sms_capacity_exhaustion_timestamp_seconds`` is +Inf when the forecast does not reach the limit
within its horizon, so the static alert rule (gauge - time() < lead time) stays quiet."""

from __future__ import annotations

import math

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import select

from sms_metrics.register.kinds.capacity_plans import LIFECYCLE, CapacityPlan

BANDS = ("value", "lower_80", "upper_80", "lower_95", "upper_95")


def _ts(dt) -> float:
    return dt.timestamp() if dt is not None else math.inf


class CapacityCollector(Collector):
    def __init__(self, sessions):
        self.sessions = sessions

    def collect(self):
        labels = ["service", "resource"]
        at = GaugeMetricFamily(
            "sms_capacity_exhaustion_timestamp_seconds",
            "Forecast time the resource reaches its limit (+Inf: not within the horizon)",
            labels=labels,
        )
        earliest = GaugeMetricFamily(
            "sms_capacity_exhaustion_earliest_timestamp_seconds",
            "Earliest time the 95% band reaches the limit (+Inf: not within the horizon)",
            labels=labels,
        )
        horizon = GaugeMetricFamily(
            "sms_capacity_forecast_horizon_value",
            "Forecast at the end of the horizon, with its 80% and 95% bounds",
            labels=[*labels, "band"],
        )
        limit = GaugeMetricFamily("sms_capacity_limit", "The value at which the resource is exhausted", labels=labels)
        lead = GaugeMetricFamily(
            "sms_capacity_lead_time_seconds", "How long an upgrade of the resource takes", labels=labels
        )
        status = GaugeMetricFamily(
            "sms_capacity_forecast_status", "1 for the forecast status of the resource", labels=[*labels, "status"]
        )
        made = GaugeMetricFamily(
            "sms_capacity_forecast_timestamp_seconds", "When the current plan's figures were made", labels=labels
        )
        with self.sessions() as s:
            plans = s.scalars(
                select(CapacityPlan).where(
                    CapacityPlan.status.in_(sorted(LIFECYCLE.open)), CapacityPlan.inputs_hash.is_not(None)
                )
            ).all()
        for p in plans:
            key = [p.service, p.resource]
            at.add_metric(key, _ts(p.exhaustion_at))
            earliest.add_metric(key, _ts(p.exhaustion_earliest_95))
            for band in BANDS:
                v = getattr(p, "horizon_value" if band == "value" else f"horizon_{band}")
                if v is not None:
                    horizon.add_metric([*key, band], v)
            limit.add_metric(key, p.limit_value)
            lead.add_metric(key, p.lead_time_seconds)
            for st in ("ok", "plan", "urgent"):
                status.add_metric([*key, st], 1.0 if p.forecast_status == st else 0.0)
            made.add_metric(key, p.created_at.timestamp())
        return [at, earliest, horizon, limit, lead, status, made]
