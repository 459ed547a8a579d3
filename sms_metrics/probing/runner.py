"""Run probes with timeouts that a hanging target cannot stretch, and bounded concurrency."""

from __future__ import annotations

import asyncio
import functools
import logging
import time

from sms_metrics.core.durations import parse_duration
from sms_metrics.probing.config import Module, Target, TLSConfig
from sms_metrics.probing.dns import probe_dns
from sms_metrics.probing.http import probe_http
from sms_metrics.probing.net import TLSConfigError, context_from
from sms_metrics.probing.result import ProbeResult
from sms_metrics.probing.tcp import probe_tcp

log = logging.getLogger(__name__)
PROBERS = {"http": probe_http, "tcp": probe_tcp, "dns": probe_dns}


_seconds = functools.lru_cache(maxsize=1024)(parse_duration)  # parsed once per distinct text, not per probe


def timeout_of(target: Target, module: Module) -> float:
    return _seconds(target.timeout or module.timeout)


def prepare(modules: dict[str, Module]) -> None:
    """Build every module's TLS contexts before any probe's clock starts. Loading the system's CA
    store blocks the event loop (0.1 s on a quiet machine, seconds on a busy one); done inside the
    first probes, it would count against their timeouts and those of every probe waiting on the
    loop. A file that cannot be loaded is left for the probe to report."""
    for name, module in modules.items():
        wanted = []
        if module.prober == "http":
            wanted.append((module.http.tls_verify, module.http.tls_config))
        elif module.prober == "tcp" and module.tcp.tls:
            wanted.append((module.tcp.tls_verify, module.tcp.tls_config))
        if module.prober == "tcp" and any(step.starttls for step in module.tcp.query_response):
            wanted.append((module.tcp.tls_verify, TLSConfig()))
        for verify, tc in wanted:
            try:
                context_from(verify, tc)
            except TLSConfigError as exc:
                log.debug("module %s: %s (the probes will report it)", name, exc)


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
        async with asyncio.timeout(timeout):  # no extra task per probe, unlike wait_for
            await PROBERS[module.prober](module, target.target, res)
    except TimeoutError:
        res.fail(f"timeout after {timeout:g}s")
    except Exception as exc:  # a prober bug must not take the scheduler down
        res.fail(f"{type(exc).__name__}: {exc}")
    res.duration_seconds = time.perf_counter() - start
    return res


async def run_once(targets: list[Target], modules: dict[str, Module], concurrency: int = 100) -> list[ProbeResult]:
    """Probe every target once, at most ``concurrency`` at a time, in the targets' order."""
    prepare(modules)
    sem = asyncio.Semaphore(concurrency)

    async def one(t: Target) -> ProbeResult:
        async with sem:
            return await run_probe(t, modules[t.module])

    return list(await asyncio.gather(*(one(t) for t in targets)))


def run_loop(coro):
    """Run ``coro`` on uvloop (libuv's event loop in C: a probe's connect, write and read cost about
    half as much CPU as on asyncio's own loop), or on asyncio's loop where uvloop is missing."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency; this keeps odd platforms working
        log.info("uvloop is not installed: probing on asyncio's own event loop")
        return asyncio.run(coro)
    return uvloop.run(coro)
