"""Generate plausible history for the demo catalogue as OpenMetrics text (seeded, repeatable)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import numpy as np

from sms_metrics.catalogue.model import SELECTOR, Catalogue
from sms_metrics.localstack.openmetrics import write_eof, write_family

_MATCHER = re.compile(r'(\w+)\s*=\s*"([^"]*)"')
BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5)


def selector_labels(selector: str) -> tuple[str, dict[str, str]]:
    """Metric name and equality matchers of a plain selector."""
    m = SELECTOR.match(selector)
    return m["name"], dict(_MATCHER.findall(m["matchers"] or ""))


def _outages(rng, n: int, count: int, longest: int) -> np.ndarray:
    up = np.ones(n)
    for _ in range(count):
        a = int(rng.integers(0, n - longest))
        up[a : a + int(rng.integers(3, longest))] = 0
    return up


def _probe(rng, ts, selector, family):
    name, labels = selector_labels(selector)
    for probe in ("eu", "us"):
        up = _outages(rng, len(ts), 4, 45)
        gap = int(rng.integers(0, len(ts) - 30))
        up[gap : gap + 20] = np.nan
        family.setdefault(name, []).append(({**labels, "probe": f"{labels.get('service', 'x')}-{probe}"}, ts, up))


def _threshold(rng, ts, selector, family):
    name, labels = selector_labels(selector)
    lat = np.abs(rng.normal(0.2, 0.05, len(ts)))
    spikes = rng.random(len(ts)) < 0.004
    lat[spikes] += 0.6
    family.setdefault(name, []).append(({**labels, "probe": f"{labels.get('service', 'x')}-eu"}, ts, lat))


def _events(rng, ts, service, counters):
    rate = 20 + 10 * np.sin(2 * np.pi * (ts % 86400) / 86400)
    ok = np.cumsum(rng.poisson(rate * 60))
    errs = np.cumsum(rng.poisson(rate * 60 * np.where(rng.random(len(ts)) < 0.01, 0.2, 0.001)))
    counters += [({"service": service, "code": "200"}, ts, ok), ({"service": service, "code": "500"}, ts, errs)]


def _histogram(rng, ts, selector, hist):
    """Cumulative histogram counters; the median latency drifts and now and then goes slow."""
    name, labels = selector_labels(selector)
    n = rng.poisson(600, len(ts)).astype(float)
    median = 0.08 * np.where(rng.random(len(ts)) < 0.01, 5.0, 1.0)
    bounds = np.array(BUCKETS)
    share = 1 / (1 + np.exp(-(np.log(bounds)[None, :] - np.log(median)[:, None]) / 0.35))
    per_minute = np.rint(n[:, None] * share)
    cum = np.cumsum(per_minute, axis=0)
    total = np.cumsum(n)
    for i, le in enumerate(BUCKETS):
        hist.append((f"{name}_bucket", {**labels, "le": f"{le}"}, ts, cum[:, i]))
    hist.append((f"{name}_bucket", {**labels, "le": "+Inf"}, ts, total))
    hist.append((f"{name}_count", labels, ts, total))


def _capacity(rng, ts, res, family):
    """A disk filling towards its limit or a daily and weekly seasonal load well below it."""
    name, labels = selector_labels(res.query)
    days = (ts - ts[-1]) / 86400  # 0 now, negative in the past
    daily = np.sin(2 * np.pi * (ts % 86400) / 86400 - 2.0)
    weekend = ((ts // 86400 + 3) % 7 >= 5).astype(float)
    if res.direction == "down":  # 20 GB a day: 25 days left, 4 GB more used by day
        value = 20e9 * (25 - days) - 4e9 * daily + rng.normal(0, 1e9, len(ts))
    else:
        value = res.limit * (0.35 + 0.1 * daily - 0.08 * weekend + 0.002 * days) + rng.normal(0, 10, len(ts))
    family.setdefault(name, []).append((labels, ts, value))


def write_demo_history(catalogue: Catalogue, path: Path, *, start: datetime, end: datetime, seed: int = 7) -> int:
    """Write 1-minute history of every demo SLI and capacity resource between ``start`` and ``end``;
    returns sample lines."""
    rng = np.random.default_rng(seed)
    ts = np.arange(int(start.timestamp()) // 60 * 60, int(end.timestamp()), 60, dtype=float)
    gauges: dict[str, list] = {}
    counters: list = []
    hist: list = []
    for svc in catalogue.services:
        for slo in svc.slos:
            kind = slo.sli.kind
            if kind == "probe":
                _probe(rng, ts, slo.sli.probe, gauges)
            elif kind == "threshold":
                _threshold(rng, ts, slo.sli.threshold.query, gauges)
            elif kind == "events":
                _events(rng, ts, svc.name, counters)
            elif kind == "latency":
                _histogram(rng, ts, slo.sli.latency.histogram, hist)
        for res in svc.capacity:
            _capacity(rng, ts, res, gauges)
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
