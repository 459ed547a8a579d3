"""A 35-day probe history with known outages, gaps and maintenance, and its ground truth.

The truth is computed here minute by minute with plain datetime/zoneinfo arithmetic, not with
the engine under test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

UTC = UTC
DATA_START = datetime(2026, 9, 28, tzinfo=UTC)
DATA_END = datetime(2026, 11, 2, tzinfo=UTC)  # 35 days
MINUTES = int((DATA_END - DATA_START).total_seconds() // 60)


def at(*a) -> datetime:
    return datetime(*a, tzinfo=UTC)


def idx(t: datetime) -> int:
    return int((t - DATA_START).total_seconds() // 60)


@dataclass
class ProbeSeries:
    labels: dict
    offset_seconds: float
    values: np.ndarray = field(default_factory=lambda: np.ones(MINUTES))

    def set(self, a: datetime, b: datetime, value: float) -> ProbeSeries:
        self.values[idx(a) : idx(b)] = value
        return self

    def timestamps(self) -> np.ndarray:
        return DATA_START.timestamp() + np.arange(MINUTES) * 60.0 + self.offset_seconds


def web_series() -> list[ProbeSeries]:
    s = ProbeSeries({"service": "web", "probe": "web-eu"}, 17)
    for a, b in [
        (at(2026, 9, 30, 23, 50), at(2026, 10, 1, 0, 10)),
        (at(2026, 10, 4, 0, 30), at(2026, 10, 4, 1, 30)),
        (at(2026, 10, 10, 12), at(2026, 10, 10, 12, 45)),
        (at(2026, 10, 20, 3, 17), at(2026, 10, 20, 3, 20)),
        (at(2026, 10, 31, 23, 55), at(2026, 11, 1, 0, 5)),
    ]:
        s.set(a, b, 0)
    s.set(at(2026, 10, 15, 6), at(2026, 10, 15, 8), np.nan)
    return [s]


def office_series() -> list[ProbeSeries]:
    a = ProbeSeries({"service": "office", "probe": "office-a"}, 0)
    b = ProbeSeries({"service": "office", "probe": "office-b"}, 30)
    a.set(at(2026, 10, 6, 9), at(2026, 10, 6, 9, 20), 0)  # Tuesday, in hours (CEST)
    b.set(at(2026, 10, 26, 6, 30), at(2026, 10, 26, 7, 30), 0)  # Monday after DST: half in hours
    a.set(at(2026, 10, 10, 10), at(2026, 10, 10, 14), 0)  # Saturday: excluded
    b.set(at(2026, 10, 7, 12), at(2026, 10, 7, 13), np.nan)  # one series missing, the other up
    return [a, b]


def latency_series() -> list[ProbeSeries]:
    s = ProbeSeries({"service": "lat", "probe": "lat-eu"}, 5)
    s.values[:] = 0.2
    s.set(at(2026, 10, 12, 10), at(2026, 10, 12, 10, 30), 0.9)
    return [s]


CATALOGUE = """
apiVersion: sms-metrics/v1
services:
  - name: web
    criticality: high
    sla:
      availability_target: 99.9
      maintenance:
        - {start: "2026-10-04T01:00:00Z", end: "2026-10-04T03:00:00Z"}
    slos:
      - name: availability
        objective: 99.9
        sli: {probe: 'probe_success{service="web"}'}
      - name: latency
        objective: 99.0
        sli: {threshold: {query: 'probe_duration_seconds{service="lat"}', max: 0.5}}
  - name: office
    criticality: medium
    sla:
      availability_target: 99.5
      timezone: Europe/Berlin
      service_hours: "Mon-Fri 08:00-18:00"
    slos:
      - name: availability
        objective: 99.5
        sli: {probe: 'probe_success{service="office"}', aggregate: min}
  - name: lat
    sla: {availability_target: 99.0}
    slos:
      - name: fast
        objective: 99.0
        sli: {threshold: {query: 'probe_duration_seconds{service="lat"}', max: 0.5}}
  - name: api
    sla: {availability_target: 99.0}
    slos:
      - name: availability
        objective: 99.0
        sli:
          events:
            errors: 'sum(rate(http_requests_total{service="api",code=~"5.."}[{{window}}]))'
            total: 'sum(rate(http_requests_total{service="api"}[{{window}}]))'
  - name: hist
    sla: {availability_target: 85.0}
    slos:
      - name: latency
        objective: 85.0
        sli:
          latency: {histogram: 'http_request_duration_seconds{service="hist"}', threshold_seconds: 0.3}
  - name: ghost
    sla: {availability_target: 99.9}
    slos:
      - name: availability
        objective: 99.9
        sli: {probe: 'probe_success{service="ghost"}'}
"""

API_ERRORS = (at(2026, 10, 18), at(2026, 10, 18, 6))


def api_counters() -> list[tuple[dict, np.ndarray, np.ndarray]]:
    ts = DATA_START.timestamp() + np.arange(MINUTES) * 60.0 + 11
    ok = np.cumsum(np.full(MINUTES, 100.0))
    err_rate = np.zeros(MINUTES)
    err_rate[idx(API_ERRORS[0]) : idx(API_ERRORS[1])] = 10
    return [({"service": "api", "code": "200"}, ts, ok), ({"service": "api", "code": "500"}, ts, np.cumsum(err_rate))]


HIST_SLOW = (at(2026, 10, 22, 14), at(2026, 10, 22, 16))


def histogram_counters() -> list[tuple[str, dict, np.ndarray, np.ndarray]]:
    """100 requests a minute, 90 under 0.3 s; 50 under 0.3 s during HIST_SLOW."""
    ts = DATA_START.timestamp() + np.arange(MINUTES) * 60.0 + 23
    fast = np.full(MINUTES, 90.0)
    fast[idx(HIST_SLOW[0]) : idx(HIST_SLOW[1])] = 50
    lab = {"service": "hist"}
    return [
        ("http_request_duration_seconds_bucket", {**lab, "le": "0.1"}, ts, np.cumsum(fast / 2)),
        ("http_request_duration_seconds_bucket", {**lab, "le": "0.3"}, ts, np.cumsum(fast)),
        ("http_request_duration_seconds_bucket", {**lab, "le": "+Inf"}, ts, np.cumsum(np.full(MINUTES, 100.0))),
        ("http_request_duration_seconds_count", lab, ts, np.cumsum(np.full(MINUTES, 100.0))),
    ]


def truth(
    series: list[ProbeSeries], *, start: datetime, end: datetime, good, tz="UTC", hours=None, maintenance=()
) -> dict:
    """Expected report figures, minute by minute: aggregate min over the series present."""
    zone = ZoneInfo(tz)
    up = down = unknown = excluded = 0
    states = []
    t = start
    while t < end:
        local = t.astimezone(zone)
        out = hours is not None and not (local.weekday() < 5 and hours[0] <= local.hour < hours[1])
        out = out or any(a <= t < b for a, b in maintenance)
        vals = [s.values[idx(t)] for s in series if not np.isnan(s.values[idx(t)])]
        if out:
            excluded += 1
            states.append("x")
        elif not vals:
            unknown += 1
            states.append("u")
        elif all(good(v) for v in vals):
            up += 1
            states.append("1")
        else:
            down += 1
            states.append("0")
        t += timedelta(minutes=1)
    outages, i = [], 0
    while i < len(states):
        if states[i] == "0":
            j = i
            while j < len(states) and states[j] == "0":
                j += 1
            outages.append((start + timedelta(minutes=i), start + timedelta(minutes=j)))
            i = j
        else:
            i += 1
    return {
        "up_seconds": up * 60,
        "downtime_seconds": down * 60,
        "unknown_seconds": unknown * 60,
        "excluded_seconds": excluded * 60,
        "outages": outages,
        "availability_percent": 100 * up / (up + down) if up + down else None,
    }
