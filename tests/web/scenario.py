"""A small world for the page tests: a catalogue with public and internal services, and 91 days of probe
history (an outage ten days ago and one going on now) with error-budget recordings, backfilled into a
real Prometheus with promtool."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from sms_metrics.localstack.openmetrics import write_eof, write_family
from sms_metrics.localstack.prometheus import backfill

NOW = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=2)  # the register's clock
START = NOW - timedelta(days=91)
MAINTENANCE = (NOW + timedelta(days=3), NOW + timedelta(days=3, hours=2))
CATALOGUE = f"""
apiVersion: sms-metrics/v1
services:
  - name: checkout
    display_name: Checkout
    public: true
    criticality: high
    labels: {{team: shop}}
    sla:
      availability_target: 99.9
      response_minutes:   {{P1: 15,  P2: 60,  P3: 240,  P4: 1440}}
      resolution_minutes: {{P1: 240, P2: 480, P3: 2880, P4: 10080}}
      maintenance:
        - {{start: "{MAINTENANCE[0]:%Y-%m-%dT%H:%M:%SZ}", end: "{MAINTENANCE[1]:%Y-%m-%dT%H:%M:%SZ}", description: "Database upgrade"}}
    slos:
      - {{name: availability, objective: 99.9, window: 30d, sli: {{probe: 'probe_success{{service="checkout"}}'}}}}
    capacity:
      - {{name: db-disk, query: 'disk_free_bytes{{service="checkout"}}', limit: 0, direction: down, lead_time: 7d}}
  - name: search
    display_name: Search
    public: true
    criticality: medium
    sla: {{availability_target: 99.5}}
    slos:
      - {{name: availability, objective: 99.5, window: 30d, sli: {{probe: 'probe_success{{service="search"}}'}}}}
  - name: payments
    criticality: high
    sla: {{availability_target: 99.9}}
    slos:
      - {{name: availability, objective: 99.9, window: 30d, sli: {{probe: 'probe_success{{service="payments"}}'}}}}
      - {{name: latency, objective: 99, window: 30d, sli: {{threshold: {{query: 'probe_duration_seconds{{service="payments"}}', max: 0.5}}}}}}
"""
_TEN_DAYS_AGO = (NOW - timedelta(days=10)).replace(hour=3, minute=0)
OUTAGE_PAST = (_TEN_DAYS_AGO, _TEN_DAYS_AGO + timedelta(hours=1))  # one hour down, inside one UTC day
OUTAGE_NOW = (NOW - timedelta(minutes=30), NOW + timedelta(minutes=2))


def _series(step: float, value: float, downs=()):
    ts = np.arange(START.timestamp(), (NOW + timedelta(minutes=2)).timestamp(), step)
    vs = np.full(len(ts), float(value))
    for a, b, v in downs:
        vs[(ts >= a.timestamp()) & (ts < b.timestamp())] = v
    return ts, vs


def write_history(work: Path) -> Path:
    path = work / "history.om"
    with open(path, "w") as out:
        write_family(
            out,
            "probe_success",
            "gauge",
            [
                ({"service": "checkout", "probe": "home"}, *_series(60, 1, [(*OUTAGE_PAST, 0), (*OUTAGE_NOW, 0)])),
                ({"service": "search", "probe": "home"}, *_series(60, 1)),
                ({"service": "payments", "probe": "home"}, *_series(60, 1)),
            ],
        )
        budget = [({"service": s, "slo": "availability"}, *_series(600, 0.35)) for s in ("checkout", "payments")]
        write_family(out, "slo:period_error_budget_remaining:ratio", "gauge", budget)
        ts, _ = _series(300, 0)
        free = 4e11 - (ts - ts[0]) * 4.64e4 + 2e9 * np.sin(ts / 86400 * 2 * np.pi)  # empty about 10 days after NOW
        write_family(out, "disk_free_bytes", "gauge", [({"service": "checkout"}, ts, free)])
        write_eof(out)
    backfill(path, work / "tsdb")
    return path
