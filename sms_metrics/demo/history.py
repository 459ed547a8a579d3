"""Generate plausible history for the demo catalogue as OpenMetrics text.

Every series is generated one UTC day at a time from a random generator seeded with
``(seed, series, day)``: a minute's value does not depend on when the history starts or ends, so
the same closed month gives the same figures on every run and every machine. Counters are summed
from the history's start (their increases, which is what rates read, are the same on every run).
Capacity trends are anchored to the history's end ("25 days of disk left now").
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import numpy as np

from sms_metrics.catalogue.model import SELECTOR, Catalogue
from sms_metrics.localstack.openmetrics import write_eof, write_family

_MATCHER = re.compile(r'(\w+)\s*=\s*"([^"]*)"')
BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5)
DAY, STEP = 86400, 60
MINUTES = DAY // STEP


def selector_labels(selector: str) -> tuple[str, dict[str, str]]:
    """Metric name and equality matchers of a plain selector."""
    m = SELECTOR.match(selector)
    return m["name"], dict(_MATCHER.findall(m["matchers"] or ""))


def daily(ts: np.ndarray, seed: int, key: str, make: Callable[[np.random.Generator, np.ndarray], np.ndarray]):
    """Values of one series at minute timestamps ``ts``, made day by day by ``make(rng, day_grid)``
    (a day's 1,440 minute timestamps), each day with its own generator."""
    days = (ts // DAY).astype(np.int64)
    out: np.ndarray | None = None
    for day in np.unique(days):
        grid = day * DAY + np.arange(0, DAY, STEP, dtype=float)
        values = np.asarray(make(np.random.default_rng([seed, zlib.crc32(key.encode()), int(day)]), grid))
        if out is None:
            out = np.empty((len(ts), *values.shape[1:]))
        sel = days == day
        out[sel] = values[((ts[sel] - day * DAY) // STEP).astype(int)]
    return out if out is not None else np.empty(0)


def _probe_day(rng: np.random.Generator, grid: np.ndarray) -> np.ndarray:
    """Up, with an outage of 3–45 minutes on about one day in eight and a 20-minute gap once a month."""
    up = np.ones(MINUTES)
    if rng.random() < 0.12:
        a = int(rng.integers(0, MINUTES - 45))
        up[a : a + int(rng.integers(3, 45))] = 0
    if rng.random() < 1 / 30:
        a = int(rng.integers(0, MINUTES - 20))
        up[a : a + 20] = np.nan
    return up


def _latency_day(rng: np.random.Generator, grid: np.ndarray) -> np.ndarray:
    lat = np.abs(rng.normal(0.2, 0.05, MINUTES))
    lat[rng.random(MINUTES) < 0.004] += 0.6
    return lat


def _request_day(rng: np.random.Generator, grid: np.ndarray) -> np.ndarray:
    """Requests and errors per minute (two columns); a daily cycle and now and then an error burst."""
    rate = 20 + 10 * np.sin(2 * np.pi * (grid % DAY) / DAY)
    ok = rng.poisson(rate * 60)
    errs = rng.poisson(rate * 60 * np.where(rng.random(MINUTES) < 0.01, 0.2, 0.001))
    return np.stack([ok, errs], axis=1)


def _histogram_day(rng: np.random.Generator, grid: np.ndarray) -> np.ndarray:
    """Per-minute observations per bucket (cumulative over ``le``) and the count, as columns; the median
    latency is 80 ms (about 0.5% of requests over 300 ms) and in one minute of 200 five times that."""
    n = rng.poisson(600, MINUTES).astype(float)
    median = 0.08 * np.where(rng.random(MINUTES) < 0.005, 5.0, 1.0)
    bounds = np.array(BUCKETS)
    share = 1 / (1 + np.exp(-(np.log(bounds)[None, :] - np.log(median)[:, None]) / 0.25))
    return np.column_stack([np.rint(n[:, None] * share), n])


def _probe(seed, ts, selector, family):
    name, labels = selector_labels(selector)
    for probe in ("eu", "us"):
        lab = {**labels, "probe": f"{labels.get('service', 'x')}-{probe}"}
        family.setdefault(name, []).append((lab, ts, daily(ts, seed, f"{name}{lab}", _probe_day)))


def _threshold(seed, ts, selector, family):
    name, labels = selector_labels(selector)
    lab = {**labels, "probe": f"{labels.get('service', 'x')}-eu"}
    family.setdefault(name, []).append((lab, ts, daily(ts, seed, f"{name}{lab}", _latency_day)))


def _events(seed, ts, service, counters):
    per_minute = daily(ts, seed, f"http_requests_total{service}", _request_day)
    ok, errs = np.cumsum(per_minute, axis=0).T
    counters += [({"service": service, "code": "200"}, ts, ok), ({"service": service, "code": "500"}, ts, errs)]


def _histogram(seed, ts, selector, hist):
    """Cumulative histogram counters."""
    name, labels = selector_labels(selector)
    cum = np.cumsum(daily(ts, seed, f"{name}{labels}", _histogram_day), axis=0)
    for i, le in enumerate(BUCKETS):
        hist.append((f"{name}_bucket", {**labels, "le": f"{le}"}, ts, cum[:, i]))
    hist.append((f"{name}_bucket", {**labels, "le": "+Inf"}, ts, cum[:, -1]))
    hist.append((f"{name}_count", labels, ts, cum[:, -1]))


def _capacity(seed, ts, res, family):
    """A disk filling towards its limit or a daily and weekly seasonal load well below it."""
    name, labels = selector_labels(res.query)
    days = (ts - ts[-1]) / DAY  # 0 now, negative in the past
    daily_cycle = np.sin(2 * np.pi * (ts % DAY) / DAY - 2.0)
    weekend = ((ts // DAY + 3) % 7 >= 5).astype(float)
    noise = daily(ts, seed, f"{name}{labels}", lambda rng, grid: rng.normal(0, 1, MINUTES))
    if res.direction == "down":  # 20 GB a day: 25 days left, 4 GB more used by day
        value = 20e9 * (25 - days) - 4e9 * daily_cycle + 1e9 * noise
    else:
        value = res.limit * (0.35 + 0.1 * daily_cycle - 0.08 * weekend + 0.002 * days) + 10 * noise
    family.setdefault(name, []).append((labels, ts, value))


def write_demo_history(catalogue: Catalogue, path: Path, *, start: datetime, end: datetime, seed: int = 7) -> int:
    """Write 1-minute history of every demo SLI and capacity resource between ``start`` and ``end``;
    returns sample lines."""
    ts = np.arange(int(start.timestamp()) // STEP * STEP, int(end.timestamp()), STEP, dtype=float)
    gauges: dict[str, list] = {}
    counters: list = []
    hist: list = []
    for svc in catalogue.services:
        for slo in svc.slos:
            kind = slo.sli.kind
            if kind == "probe":
                _probe(seed, ts, slo.sli.probe, gauges)
            elif kind == "threshold":
                _threshold(seed, ts, slo.sli.threshold.query, gauges)
            elif kind == "events":
                _events(seed, ts, svc.name, counters)
            elif kind == "latency":
                _histogram(seed, ts, slo.sli.latency.histogram, hist)
        for res in svc.capacity:
            _capacity(seed, ts, res, gauges)
    lines = 0
    with open(path, "w") as out:
        for name, series in gauges.items():
            lines += write_family(out, name, "gauge", series)
        if counters:
            lines += write_family(out, "http_requests", "counter", counters, sample_name="http_requests_total")
        for sample_name in sorted({h[0] for h in hist}):
            lines += write_family(out, sample_name, "gauge", [(lb, t, v) for n, lb, t, v in hist if n == sample_name])
        write_eof(out)
    return lines
