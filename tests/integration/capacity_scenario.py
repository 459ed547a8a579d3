"""Capacity history with known answers: 28 days of 5-minute samples ending at ``END``."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import numpy as np

from sms_metrics.localstack.openmetrics import write_eof, write_family
from sms_metrics.localstack.prometheus import backfill

DAY = 86400
STEP = 300
END = (int(time.time()) // 3600) * 3600 - 600  # the last sample, a little before now
T = np.arange(END - 28 * DAY + STEP, END + 1, STEP, dtype=float)
CLOCK_T = np.arange(END - 28 * DAY + STEP, END + 601, STEP, dtype=float)  # up to the hour: whole 15-min steps
rng = np.random.default_rng(11)
daily = np.sin(2 * np.pi * (T % DAY) / DAY)
weekend = ((T // DAY + 3) % 7 >= 5).astype(float)  # 1970-01-01 was a Thursday

CATALOGUE = """
apiVersion: sms-metrics/v1
services:
  - name: files
    criticality: high
    capacity:
      - {name: disk, query: 'node_filesystem_avail_bytes{service="files", mountpoint="/"}', limit: 0,
         direction: down, lead_time: 7d, unit: bytes}
  - name: queue
    capacity:
      - {name: depth, query: 'queue_messages{service="queue"}', limit: 7000, direction: up, lead_time: 3d}
  - name: db
    capacity:
      - {name: connections, query: 'db_connections{service="db"}', limit: 1000, direction: up, lead_time: 14d,
         unit: count}
  - name: logs
    capacity:
      - {name: written, query: 'app_bytes_written_total{service="logs"}', limit: 9e8, direction: up, lead_time: 7d}
  - name: tiny
    capacity:
      - {name: fresh, query: 'tiny_gauge{service="tiny"}', limit: 10, direction: up, lead_time: 1d}
"""

# When each resource truly runs out (seconds after END), None when never within a horizon.
DISK_LEFT = 10 * DAY  # 200 GB left, 20 GB a day
QUEUE_LEFT = 2 * DAY  # 5,000 messages, 1,000 more a day, limit 7,000
LOGS_LEFT = (9e8 - 28 * 24 * 1e6) / 1e6 * 3600


def at(text: str) -> float:
    """Unix seconds of an RFC 3339 time of the forecast JSON."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def series() -> dict[str, list[tuple[dict, np.ndarray, np.ndarray]]]:
    ago = (END - T) / DAY
    disk = 200e9 + 20e9 * ago + 2e9 * daily + rng.normal(0, 0.3e9, len(T))
    queue = 5000 - 1000 * ago + 150 * daily + rng.normal(0, 30, len(T))
    conns = 300 + 80 * daily - 60 * weekend + rng.normal(0, 10, len(T))
    hours = (T - T[0]) / 3600 + 1
    written = hours * 1e6 - np.floor(hours / 120) * 120e6  # a restart every 5 days resets the counter
    tiny_t = T[-24:]
    return {
        "node_filesystem_avail_bytes": [({"service": "files", "mountpoint": "/"}, T, disk)],
        "queue_messages": [({"service": "queue"}, T, queue)],
        "db_connections": [({"service": "db"}, T, conns)],
        "app_bytes_written_total": [({"service": "logs"}, T, written)],
        "tiny_gauge": [({"service": "tiny"}, tiny_t, np.full(len(tiny_t), 3.0))],
        "clock_seconds": [({"service": "clock"}, CLOCK_T, CLOCK_T.copy())],  # each value is its own time
    }


def backfill_history(work: Path) -> Path:
    """Write the history with promtool into ``work/tsdb`` (what a LocalPrometheus on ``work`` serves)."""
    work.mkdir(parents=True, exist_ok=True)
    om = work / "history.om"
    with open(om, "w") as out:
        for name, ss in series().items():
            counter = name.endswith("_total")
            write_family(out, name, "counter" if counter else "gauge", ss, sample_name=name if counter else None)
        write_eof(out)
    backfill(om, work / "tsdb")
    om.unlink()
    return work / "tsdb"
