"""Run every target on its interval, spread over the interval, never twice at once.

Each target starts at a stable offset inside its interval (a hash of its name), so 5,000
targets at 15 s do not fire together. A semaphore bounds concurrency; a run that starts more
than ``late_after`` behind schedule counts as late, and a run whose previous one is still going
is skipped (and counted), never stacked.
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from sms_metrics.probing.config import Module, Target
from sms_metrics.probing.metrics import LatestResults
from sms_metrics.probing.runner import prepare, run_probe
from sms_metrics.probing.shard import Shard

log = logging.getLogger(__name__)


class ProbeMetrics:
    """The prober's own health (house rule 5: every metric takes ``registry=``)."""

    def __init__(self, registry: CollectorRegistry):
        self.runs = Counter("sms_probe_runs_total", "Probe runs by result", ["result"], registry=registry)
        self.late = Counter("sms_probe_late_runs_total", "Runs that started late", registry=registry)
        self.skipped = Counter(
            "sms_probe_skipped_runs_total",
            "Runs skipped because the previous run of the target was still going",
            registry=registry,
        )
        self.delay = Histogram(
            "sms_probe_start_delay_seconds",
            "How far behind schedule runs started",
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10),
            registry=registry,
        )
        self.targets = Gauge(
            "sms_probe_targets",
            "Targets this prober owns (its shard of the probe files)",
            ["shard"],
            registry=registry,
        )
        self.success, self.failure = self.runs.labels("success"), self.runs.labels("failure")


def offset(name: str, interval: float) -> float:
    """A stable start offset for ``name`` within ``interval`` seconds."""
    return (zlib.crc32(name.encode()) % 10_000) / 10_000 * interval


class Scheduler:
    def __init__(
        self,
        targets: list[Target],
        modules: dict[str, Module],
        *,
        registry: CollectorRegistry,
        concurrency: int = 512,
        late_after: float = 1.0,
        shard: Shard = Shard(),
    ):
        self.targets, self.modules = targets, modules
        self.results = LatestResults()
        registry.register(self.results)
        self.metrics = ProbeMetrics(registry)
        self.metrics.targets.labels(str(shard)).set(len(targets))
        self.sem = asyncio.Semaphore(concurrency)
        self.late_after = late_after
        self._tasks: list[asyncio.Task] = []

    async def _run(self, target: Target, due: float) -> None:
        async with self.sem:
            delay = max(0.0, time.monotonic() - due)
            self.metrics.delay.observe(delay)
            if delay > self.late_after:
                self.metrics.late.inc()
            result = await run_probe(target, self.modules[target.module])
        self.results.update(result)
        (self.metrics.success if result.success else self.metrics.failure).inc()

    async def _loop(self, target: Target, t0: float, stop_at: float | None) -> None:
        interval = target.interval_seconds
        due = t0 + offset(target.name, interval)
        running: asyncio.Task | None = None
        while stop_at is None or due < stop_at:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            if running is not None and not running.done():
                self.metrics.skipped.inc()
            else:
                running = asyncio.create_task(self._run(target, due))
            due += interval
        if running is not None:
            await running

    async def run(self, duration: float | None = None) -> None:
        """Probe until cancelled (or for ``duration`` seconds)."""
        prepare(self.modules)
        t0 = time.monotonic()
        stop_at = t0 + duration if duration else None
        log.info("probing %d targets", len(self.targets))
        self._tasks = [asyncio.create_task(self._loop(t, t0, stop_at)) for t in self.targets]
        try:
            await asyncio.gather(*self._tasks)
        finally:
            for task in self._tasks:
                task.cancel()
