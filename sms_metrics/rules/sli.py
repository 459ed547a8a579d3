"""The error ratio of each SLI kind over a window, as PromQL for recording rules.

Reports count time step by step; rules need a cheap ratio every evaluation:
- probe: the share of failed samples of the worst series (``aggregate: min``) or the best one
  (``aggregate: max``): ``1 - min(avg_over_time(sel[w]))``;
- threshold: the share of steps whose value breaks the bound, through a subquery at the SLO step;
- events: ``errors / total`` with ``{{window}}`` replaced (errors count as 0 while no error series
  exists, so a service without failures has a ratio of 0, not no data);
- latency: requests slower than the threshold bucket over all requests.
"""

from __future__ import annotations

from sms_metrics.catalogue.model import SLO
from sms_metrics.core.durations import format_duration
from sms_metrics.sli.queries import event_queries, render_window


def error_ratio(slo: SLO, window: float) -> str:
    """PromQL for the SLI's error ratio over the last ``window`` seconds."""
    sli, w = slo.sli, format_duration(window)
    pick = "min" if sli.aggregate == "min" else "max"
    if sli.kind == "probe":
        assert sli.probe is not None
        return f"1 - {pick}(avg_over_time({sli.probe.strip()}[{w}]))"
    if sli.kind == "threshold":
        t = sli.threshold
        assert t is not None
        cmp = {"lte": "<=", "lt": "<", "gte": ">=", "gt": ">"}[t.op]
        step = format_duration(slo.step_seconds)
        return f"1 - {pick}(avg_over_time(({t.query.strip()} {cmp} bool {t.value!r})[{w}:{step}]))"
    errors, total = (render_window(q, window) for q in event_queries(sli))
    # No error series at all (no 5xx yet) means a ratio of 0, not a missing SLI.
    return f"(\n  ({errors})\n  or\n  (0 * ({total}))\n)\n/\n({total})"


def source_selector(slo: SLO) -> str | None:
    """The raw series a step SLI reads (for no-data alerts), None for events and latency."""
    if slo.sli.probe is not None:
        return slo.sli.probe.strip()
    if slo.sli.threshold is not None:
        return slo.sli.threshold.query.strip()
    return None
