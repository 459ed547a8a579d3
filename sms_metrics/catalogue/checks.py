"""Checks across the catalogue that pydantic cannot do field by field: queries in the store's
query language (PromQL, or MetricsQL when ``store: victoriametrics``)."""

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
