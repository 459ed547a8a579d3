"""Five minutes of mixed load on `sms-metrics serve` (the hour-long run is benchmarks/soak.py): memory,
open files and p99 latency show no growth beyond the stated bounds and no request fails."""

from __future__ import annotations

import pytest

from sms_metrics.localstack.soak import run_soak

pytestmark = [pytest.mark.integration, pytest.mark.serial]  # load and timing: run alone
# Bounds. With a register that keeps growing (benchmarks/soak.py, an hour) the service's memory grows for
# about twenty minutes while SQLite's page caches fill (484 -> 513 MB), then stays flat (+20.7 MB an hour by
# least squares over the hour); with the register bounded as here, a leak of a few MB a minute crosses it.
RSS_GROWTH_MB_PER_HOUR = 100
# Open files: a leak under this load (6,000 requests, 3,000 deliveries, a job run a minute) adds a file per
# request, delivery or run. A register connection pool that opens one more connection under a burst of
# concurrent reads adds three (the database, its -wal and -shm) once and keeps them: bounded, not a leak (the
# likeliest cause, not verified, of a run where a least-squares slope over five minutes read a rise from 57 to
# 59 files as 44 files an hour, against a bound of 12). So the lowest count
# of the last minute may exceed the lowest of the first measured minute by at most one such connection.
# (benchmarks/soak.py, over an hour, bounds the slope itself.)
FILES_MORE_AT_THE_END = 3


def test_five_minutes_of_mixed_load_grow_neither_memory_nor_files(tmp_path):
    # 300 fingerprints: the register soon stops growing, so memory that still grows is a leak and not the
    # page caches filling with a larger database (benchmarks/soak.py lets it grow, for an hour)
    result = run_soak(tmp_path, seconds=300, sample_every=20, webhook_rate=10, read_rate=10, fingerprints=300)
    samples = result.samples
    assert len(samples) >= 14
    assert sum(s.errors for s in samples) == 0
    assert sum(s.requests for s in samples) >= 300 * 20 * 0.8  # the load was held
    assert result.slope("rss_mb", skip=3) < RSS_GROWTH_MB_PER_HOUR, [round(s.rss_mb) for s in samples]
    files = [s.open_files for s in samples]
    assert min(files[-3:]) - min(files[3:6]) <= FILES_MORE_AT_THE_END, files
    late = sorted(s.p99_ms for s in samples[-5:])[2]
    early = sorted(s.p99_ms for s in samples[2:7])[2]
    assert late < max(3 * early, 200), [round(s.p99_ms) for s in samples]
