"""Four days of history ending now, for evaluating the generated rules on two servers at once.

Samples every minute at 17.3 s past the minute, so that no rule window's edge (a whole number of
20 s) ever falls on a sample at an instant either rule engine evaluates (multiples of its
interval): the two engines, evaluating at different instants, still see the same samples between
two ``crossings`` (the instants where some window edge passes a sample). Rates are constant
between changes, and no change sits near the far edge of a rule window at the time of the test,
so ``rate()`` with and without extrapolation agree to about one sample of the window.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

from sms_metrics.localstack.openmetrics import write_eof, write_family

PHASE = 17.3
CATALOGUE = """
apiVersion: sms-metrics/v1
services:
  - name: web
    criticality: high
    sla: {availability_target: 99.9}
    slos:
      - name: availability
        objective: 99.9
        sli: {probe: 'probe_success{service="web"}'}
  - name: lat
    slos:
      - name: fast
        objective: 99.0
        window: 28d
        sli: {threshold: {query: 'probe_duration_seconds{service="lat"}', max: 0.5}}
  - name: api
    slos:
      - name: availability
        objective: 99.0
        sli:
          events:
            errors: 'sum(rate(http_requests_total{service="api",code=~"5.."}[{{window}}]))'
            total: 'sum(rate(http_requests_total{service="api"}[{{window}}]))'
  - name: hist
    slos:
      - name: latency
        objective: 95.0
        sli:
          latency: {histogram: 'http_request_duration_seconds{service="hist"}', threshold_seconds: 0.3}
"""


class History:
    def __init__(self, now: float | None = None, days: int = 4):
        now = time.time() if now is None else now
        self.end = (math.floor(now / 60) - 1) * 60 + PHASE  # the last sample, about a minute ago
        self.t = np.arange(self.end - days * 86400, self.end + 1, 60.0)

    def mask(self, *spans: tuple[float, float]) -> np.ndarray:
        """True for samples within ``[end - a, end - b)`` minutes ago, for each (a, b)."""
        m = np.zeros(len(self.t), dtype=bool)
        for a, b in spans:
            m |= (self.t >= self.end - a * 60) & (self.t < self.end - b * 60)
        return m

    def series(self) -> dict[str, list[tuple[dict, np.ndarray, np.ndarray]]]:
        t, n = self.t, len(self.t)
        web_a = np.where(self.mask((2880, 2850), (300, 270), (40, 25)), 0.0, 1.0)
        web_b = np.where(self.mask((180, 170)), 0.0, 1.0)
        lat = np.where(self.mask((90, 80), (1620, 1560)), 0.9, 0.2)
        errors = np.cumsum(np.where(self.mask((330, 300), (50, 45)), 10.0, 0.0))
        fast = np.where(self.mask((100, 70)), 50.0, 90.0)
        return {
            "probe_success": [
                ({"service": "web", "probe": "web-a"}, t, web_a),
                ({"service": "web", "probe": "web-b"}, t, web_b),
            ],
            "probe_duration_seconds": [({"service": "lat", "probe": "lat-a"}, t, lat)],
            "http_requests_total": [
                ({"service": "api", "code": "200"}, t, np.cumsum(np.full(n, 100.0))),
                ({"service": "api", "code": "500"}, t, errors),
            ],
            "http_request_duration_seconds_bucket": [
                ({"service": "hist", "le": "0.1"}, t, np.cumsum(fast / 2)),
                ({"service": "hist", "le": "0.3"}, t, np.cumsum(fast)),
                ({"service": "hist", "le": "+Inf"}, t, np.cumsum(np.full(n, 100.0))),
            ],
            "http_request_duration_seconds_count": [({"service": "hist"}, t, np.cumsum(np.full(n, 100.0)))],
        }

    def write(self, om: Path) -> Path:
        with open(om, "w") as out:
            for name, ss in self.series().items():
                counter = name == "http_requests_total"
                family = "http_requests" if counter else name
                write_family(out, family, "counter" if counter else "gauge", ss, sample_name=name)
            write_eof(out)
        return om


def epoch(t: float, windows: list[float]) -> tuple[int, ...]:
    """Which stretch between crossings ``t`` is in: for every window edge (and the one-minute grid
    of subqueries), how many samples it has passed. Equal epochs see the same samples."""
    phases = sorted({(PHASE + w) % 60 for w in windows} | {0.0})
    return tuple(math.floor((t - p) / 60) for p in phases)


def near_crossing(t: float, windows: list[float], margin: float = 1.0) -> bool:
    """Whether ``t`` is within ``margin`` seconds of a crossing (where the engines' range
    boundaries and timing jitter could still see different samples)."""
    phases = {(PHASE + w) % 60 for w in windows} | {0.0}
    return any(min((t - p) % 60, (p - t) % 60) < margin for p in phases)
