"""PromQL for each SLI kind; pure string building, no I/O.

Step windows are made exact with an offset: evaluated at ``T`` (the end of a step),
``sel[W] offset 1ms`` covers ``[T - step, T)`` when ``W`` is ``step - 1ms`` on Prometheus 2
(closed ranges) and ``step`` on Prometheus 3 (left-open ranges).
"""

from __future__ import annotations

from dataclasses import dataclass

from sms_metrics.catalogue.model import SELECTOR, SLI, WINDOW_TEMPLATE


def window(seconds: float, left_open: bool) -> str:
    """The range that, with ``offset 1ms``, covers exactly ``[T - seconds, T)``."""
    ms = round(seconds * 1000)
    return f"{ms if left_open else ms - 1}ms"


@dataclass(frozen=True)
class StepQueries:
    """Queries of a step-state SLI (probe or threshold).

    ``coarse`` gives per-series sample counts and extremes over whole blocks (cheap, raw samples);
    ``detail`` is one value per step; ``good`` says whether a value counts as up.
    """

    kind: str
    selector: str
    fn: str  # min_over_time for probes, max_over_time for thresholds
    outer: str  # cross-series aggregation for ``detail``
    limit: float | None

    def good(self, values):
        return values >= 1 if self.kind == "probe" else values <= self.limit

    def bad_filter(self) -> str:
        """The comparison that keeps only failing values (``< 1`` for probes, ``> max`` else)."""
        return "< 1" if self.kind == "probe" else f"> {self.limit!r}"

    def coarse(self, block_seconds: float, left_open: bool, selector: str | None = None) -> str:
        """Count and extreme per series and block in one request, told apart by ``sms_part``
        (``selector`` replaces the SLI's own, e.g. with a union of several services)."""
        sel, w = selector or self.selector, window(block_seconds, left_open)
        return (
            f'label_replace(count_over_time({sel}[{w}] offset 1ms), "sms_part", "c", "", "") or '
            f'label_replace({self.fn}({sel}[{w}] offset 1ms), "sms_part", "e", "", "")'
        )

    def detail(self, step_seconds: float, left_open: bool) -> str:
        return f"{self.outer}({self.fn}({self.selector}[{window(step_seconds, left_open)}] offset 1ms))"


def step_queries(sli: SLI) -> StepQueries:
    """Step queries for a probe SLI (0/1 gauge) or a threshold SLI (gauge <= max)."""
    if sli.kind == "probe":
        outer = "min" if sli.aggregate == "min" else "max"
        return StepQueries("probe", sli.probe.strip(), "min_over_time", outer, None)
    if sli.kind == "threshold":
        outer = "max" if sli.aggregate == "min" else "min"
        return StepQueries("threshold", sli.threshold.query.strip(), "max_over_time", outer, sli.threshold.max)
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
