"""Which PromQL server answers, and where its semantics differ from Prometheus'.

sms-metrics sends the same queries to every server. What differs is handled here, once:

- range boundaries: Prometheus 2 ranges are closed ``[t - d, t]``; Prometheus 3 and VictoriaMetrics
  ranges are left-open ``(t - d, t]``. The step reader needs to know (its windows cover exactly
  ``[T - step, T)``), so the adapter measures it with one query on ``vector(1)`` that needs no data,
  whatever the server says it is;
- ``rate()``/``increase()``: VictoriaMetrics starts from the last sample before the window and does
  not extrapolate to the window's edges, Prometheus (and Thanos, Mimir) extrapolates: event
  counts differ slightly, so reports of events and latency SLIs say so in their warnings;
- Thanos: queries ask for raw data and no partial responses (``query_params``);
- VictoriaMetrics: queries are sent with ``nocache=1`` (its response cache aligns ``start``
  to the step and may serve results from before a backfill); it has no ``/api/v1/status/flags``
  (retention is read from ``/flags``), no ``stats=all``, and looks back over an interval derived
  from the samples' spacing rather than Prometheus' 5 minutes for selectors without a range.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sms_metrics.core.durations import parse_duration

PROMETHEUS, VICTORIA, THANOS, MIMIR, UNKNOWN = "prometheus", "victoriametrics", "thanos", "mimir", "unknown"
# count_over_time(vector(1)[60s:30s]) at a multiple of 30 s: 3 points in [t-60, t], 2 in (t-60, t]
BOUNDARY_PROBE = "count_over_time(vector(1)[60s:30s])"
RATE_NOTE = (
    "VictoriaMetrics computes rate() from the last sample before each window and without "
    "Prometheus' extrapolation to the window's edges: event counts (and this availability) can "
    "differ slightly from what Prometheus reports for the same data"
)
_VM_NOTES = (
    "queries are sent with nocache=1 (no response cache, no start alignment)",
    "no stats=all, so no count of samples scanned",
    "selectors without a range look back over an interval from the samples' spacing, not 5 minutes",
    "retention from -retentionPeriod on /flags",
)


@dataclass(frozen=True)
class ServerInfo:
    kind: str
    version: str | None
    left_open: bool  # ranges (t - d, t] rather than [t - d, t]
    measured: bool = True  # left_open from the boundary probe (else from the kind and version)

    @property
    def major(self) -> int | None:
        """The Prometheus major version whose range semantics the server follows."""
        if self.kind == PROMETHEUS and self.version and self.version[:1].isdigit():
            return int(self.version.split(".")[0])
        return 3 if self.left_open else 2

    @property
    def extrapolates_rate(self) -> bool:
        return self.kind != VICTORIA

    @property
    def query_params(self) -> dict[str, str]:
        """Parameters sent with every query: VictoriaMetrics uncached (its cache aligns ``start``
        to the step and may predate a backfill); Thanos raw data only (counts on downsampled
        chunks are not sample counts) and no partial answers (a missing store is not "unknown")."""
        if self.kind == VICTORIA:
            return {"nocache": "1"}
        if self.kind == THANOS:
            return {"max_source_resolution": "0s", "partial_response": "false"}
        return {}

    def warnings_for(self, sli_kind: str | None) -> list[str]:
        """Report warnings where this server changes what a figure means."""
        if sli_kind in ("events", "latency") and not self.extrapolates_rate:
            return [RATE_NOTE]
        return []

    def describe(self) -> str:
        ranges = "left-open (t-d, t]" if self.left_open else "closed [t-d, t]"
        how = "measured" if self.measured else "assumed from the version"
        text = f"{self.kind} {self.version or '(version not reported)'}; ranges {ranges} ({how})"
        if self.kind == VICTORIA:
            text += "; " + "; ".join((*_VM_NOTES, "rate() without extrapolation"))
        if self.query_params and self.kind != VICTORIA:
            text += "; queries sent with " + ", ".join(f"{k}={v}" for k, v in self.query_params.items())
        return text


def classify(buildinfo: dict | None, victoria_marker: bool) -> tuple[str, str | None]:
    """(kind, version) from ``/api/v1/status/buildinfo`` data and VictoriaMetrics' own endpoint."""
    data = buildinfo or {}
    version = str(data.get("version") or "") or None
    if "mimir" in str(data.get("application", "")).lower():
        return MIMIR, version
    if version and version[:1].isdigit():
        return (THANOS if version.startswith("0.") else PROMETHEUS), version
    if victoria_marker:
        return VICTORIA, version
    return UNKNOWN, version


def left_open_from_probe(points: float | None, kind: str, version: str | None) -> tuple[bool, bool]:
    """(left_open, measured): from the boundary probe's answer, else from what the server is."""
    if points == 2:
        return True, True
    if points == 3:
        return False, True
    if kind == VICTORIA:
        return True, False
    major = int(version.split(".")[0]) if kind == PROMETHEUS and version else 2
    return major >= 3, False


_VM_APP_VERSION = re.compile(r'^vm_app_version\{[^}]*version="([^"]+)"', re.M)
_VM_RETENTION = re.compile(r'^-retentionPeriod="?([^"\s]+)"?', re.M)
_VM_UNITS = {"h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}


def victoria_version(metrics_text: str) -> str | None:
    m = _VM_APP_VERSION.search(metrics_text)
    return m[1] if m else None


def victoria_retention_seconds(flags_text: str) -> float | None:
    """``-retentionPeriod`` from VictoriaMetrics' ``/flags``: a number of months (31 days, its
    default is 1) or a number with h, d, w or y; None when not set or unreadable."""
    m = _VM_RETENTION.search(flags_text)
    value = m[1] if m else "1"
    unit = value[-1]
    try:
        if unit in _VM_UNITS:
            return float(value[:-1]) * _VM_UNITS[unit]
        if unit.isdigit():
            return float(value) * 31 * 86400
        return parse_duration(value)
    except ValueError:
        return None
