"""Checks across the catalogue that pydantic cannot do field by field: queries in the store's
query language (PromQL, or MetricsQL when ``store: victoriametrics``), and warnings: legal but probably
not what the author meant (``catalogue validate`` prints them)."""

from __future__ import annotations

from collections.abc import Iterator

from sms_metrics.catalogue.model import Catalogue
from sms_metrics.catalogue.promql import problems


def queries(catalogue: Catalogue) -> Iterator[tuple[tuple, str]]:
    """(location, query) of every query in the catalogue."""
    for i, svc in enumerate(catalogue.services):
        for j, slo in enumerate(svc.slos):
            at, sli = ("services", i, "slos", j, "sli"), slo.sli
            if sli.probe is not None:
                yield (*at, "probe"), sli.probe
            if sli.events is not None:
                yield (*at, "events", "errors"), sli.events.errors
                yield (*at, "events", "total"), sli.events.total
            if sli.latency is not None:
                yield (*at, "latency", "histogram"), sli.latency.histogram
            if sli.threshold is not None:
                yield (*at, "threshold", "query"), sli.threshold.query
        for k, res in enumerate(svc.capacity):
            yield ("services", i, "capacity", k, "query"), res.query


def query_problems(catalogue: Catalogue) -> list[tuple[tuple, str]]:
    """(location, reason) for each query its store cannot run."""
    return [(loc, why) for loc, q in queries(catalogue) for why in problems(q, catalogue.store)]


def catalogue_warnings(catalogue: Catalogue) -> list[str]:
    """``path: reason`` for each service whose SLA target differs from the objective of the SLO its
    SLA report measures: the report judges the month by the target, the alerts burn on the objective."""
    out = []
    for i, svc in enumerate(catalogue.services):
        slo = svc.availability_slo()
        if svc.sla is None or slo is None or abs(svc.sla.availability_target - slo.objective) < 1e-9:
            continue
        out.append(
            f"services[{i}].sla.availability_target: {svc.sla.availability_target:g}% differs from the objective "
            f"{slo.objective:g}% of SLO {slo.name!r} of {svc.name!r}, which the SLA report measures (the report "
            "judges the SLA by the target, the burn-rate alerts by the objective)"
        )
    return out
