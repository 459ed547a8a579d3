"""PromQL for each SLI kind; pure string building, no I/O.

Step windows are made exact with an offset: evaluated at ``T`` (the end of a step),
``sel[W] offset 1ms`` covers ``[T - step, T)`` when ``W`` is ``step - 1ms`` on Prometheus 2
(closed ranges) and ``step`` on Prometheus 3 (left-open ranges).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sms_metrics.catalogue.model import SELECTOR, SLI, WINDOW_TEMPLATE


def window(seconds: float, left_open: bool) -> str:
    """The range that, with ``offset 1ms``, covers exactly ``[T - seconds, T)``."""
    ms = round(seconds * 1000)
    return f"{ms if left_open else ms - 1}ms"


_GOOD = {"gte": np.greater_equal, "gt": np.greater, "lte": np.less_equal, "lt": np.less}
_BAD = {"gte": "<", "gt": "<=", "lte": ">", "lt": ">="}


@dataclass(frozen=True)
class StepQueries:
    """Queries of a step-state SLI (probe or threshold).

    ``coarse`` gives per-series sample counts and extremes over whole blocks (cheap, raw samples);
    ``detail`` is one value per step; ``good`` says whether a value counts as up. A threshold
    on an expression (not a plain selector) is evaluated once per step, at the step's end, through
    a subquery at the step.
    """

    kind: str
    selector: str
    fn: str  # the worst value: min_over_time (probes, lower bounds), max_over_time (upper bounds)
    outer: str  # cross-series aggregation for ``detail``
    limit: float | None
    op: str = "gte"  # how a good value compares with ``limit`` (probes: >= 1)
    expression: bool = False
    step: float = 60.0

    def good(self, values):
        return _GOOD[self.op](values, 1.0 if self.limit is None else self.limit)

    @property
    def bad_fill(self) -> float:
        """A value that is never good (stands for a missing extreme)."""
        return np.inf if self.op in ("lte", "lt") else -np.inf

    def bad_filter(self) -> str:
        """The comparison that keeps only failing values (``< 1`` for probes, ``> max`` ...)."""
        return f"{_BAD[self.op]} {1 if self.limit is None else self.limit!r}"

    def ranged(self, seconds: float, left_open: bool, selector: str | None = None) -> str:
        """The samples of the ``seconds`` before the evaluation time: ``[T - seconds, T)`` of a
        selector's raw samples, or the expression at each step end in ``(T - seconds, T]``."""
        if self.expression:
            return f"({self.selector})[{round(seconds * 1000) - 1}ms:{round(self.step)}s]"
        return f"{selector or self.selector}[{window(seconds, left_open)}] offset 1ms"

    def coarse(self, block_seconds: float, left_open: bool, selector: str | None = None) -> str:
        """Count and extreme per series and block in one request, told apart by ``sms_part``
        (``selector`` replaces the SLI's own, e.g. with a union of several services)."""
        r = self.ranged(block_seconds, left_open, selector)
        return (
            f'label_replace(count_over_time({r}), "sms_part", "c", "", "") or '
            f'label_replace({self.fn}({r}), "sms_part", "e", "", "")'
        )

    def detail(self, step_seconds: float, left_open: bool) -> str:
        if self.expression:
            return f"{self.outer}({self.selector})"
        return f"{self.outer}({self.fn}({self.ranged(step_seconds, left_open)}))"


def step_queries(sli: SLI, step: float = 60.0) -> StepQueries:
    """Step queries for a probe SLI (0/1 gauge) or a threshold SLI (a value against a bound)."""
    if sli.kind == "probe":
        assert sli.probe is not None
        outer = "min" if sli.aggregate == "min" else "max"
        return StepQueries("probe", sli.probe.strip(), "min_over_time", outer, None)
    if sli.kind == "threshold":
        t = sli.threshold
        assert t is not None
        upper = t.op in ("lte", "lt")
        worst, best = ("max", "min") if upper else ("min", "max")
        outer = worst if sli.aggregate == "min" else best
        return StepQueries(
            "threshold", t.query.strip(), f"{worst}_over_time", outer, t.value, t.op, not t.is_selector, step
        )
    raise ValueError(f"{sli.kind} SLIs are measured by events, not steps")


def _le_values(threshold: float) -> str:
    forms = {repr(float(threshold)), f"{threshold:g}"}
    if float(threshold).is_integer():
        forms |= {str(int(threshold)), f"{int(threshold)}.0"}
    return "|".join(sorted(f.replace(".", "\\\\.").replace("+", "\\\\+") for f in forms))


def _with_suffix(selector: str, suffix: str, extra: str = "") -> str:
    m = SELECTOR.match(selector)
    if not m or not m["name"]:
        raise ValueError(f"latency histogram {selector!r} must be a metric name with optional {{matchers}}")
    matchers = ", ".join(x for x in ((m["matchers"] or "").strip().rstrip(","), extra) if x)
    return f"{m['name']}{suffix}{{{matchers}}}"


def event_queries(sli: SLI) -> tuple[str, str]:
    """(errors, total) templates with ``{{window}}`` for events and latency SLIs."""
    if sli.kind == "events":
        return sli.events.errors, sli.events.total
    if sli.kind == "latency":
        h = sli.latency.histogram
        good = _with_suffix(h, "_bucket", f'le=~"{_le_values(sli.latency.threshold_seconds)}"')
        total = f"sum(rate({_with_suffix(h, '_count')}[{{{{window}}}}]))"
        return f"{total} - sum(rate({good}[{{{{window}}}}]))", total
    raise ValueError(f"{sli.kind} SLIs are measured by steps, not events")


def render_window(template: str, seconds: float) -> str:
    """Replace ``{{window}}`` (or Sloth's ``{{.window}}``) with a duration in seconds."""
    return WINDOW_TEMPLATE.sub(f"{round(seconds)}s", template)
