"""Run probes with timeouts that a hanging target cannot stretch, and bounded concurrency."""

from __future__ import annotations

import asyncio
import time

from sms_metrics.core.durations import parse_duration
from sms_metrics.probing.config import Module, Target
from sms_metrics.probing.dns import probe_dns
from sms_metrics.probing.http import probe_http
from sms_metrics.probing.result import ProbeResult
from sms_metrics.probing.tcp import probe_tcp

PROBERS = {"http": probe_http, "tcp": probe_tcp, "dns": probe_dns}


def timeout_of(target: Target, module: Module) -> float:
    return parse_duration(target.timeout) if target.timeout else module.timeout_seconds


async def run_probe(target: Target, module: Module) -> ProbeResult:
    """One probe of ``target``; never raises, never outlives its timeout."""
    res = ProbeResult(
        target.name,
        target.service,
        target.module.rsplit(":", 1)[-1],
        target.target,
        supplier=target.supplier,
        labels=dict(target.labels),
    )
    timeout = timeout_of(target, module)
    start = time.perf_counter()
    try:
        await asyncio.wait_for(PROBERS[module.prober](module, target.target, res), timeout)
    except TimeoutError:
        res.fail(f"timeout after {timeout:g}s")
    except Exception as exc:  # a prober bug must not take the scheduler down
        res.fail(f"{type(exc).__name__}: {exc}")
    res.duration_seconds = time.perf_counter() - start
    return res


async def run_once(targets: list[Target], modules: dict[str, Module], concurrency: int = 100) -> list[ProbeResult]:
    """Probe every target once, at most ``concurrency`` at a time, in the targets' order."""
    sem = asyncio.Semaphore(concurrency)

    async def one(t: Target) -> ProbeResult:
        async with sem:
            return await run_probe(t, modules[t.module])

    return list(await asyncio.gather(*(one(t) for t in targets)))
