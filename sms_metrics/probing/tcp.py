"""The tcp prober: connect (optionally over TLS), then a send/expect dialogue (banners)."""

from __future__ import annotations

import asyncio
import re

from sms_metrics.probing.config import Module
from sms_metrics.probing.net import TLSConfigError, cert_expiry, context_from, resolve, tls_context
from sms_metrics.probing.result import ProbeResult


async def probe_tcp(module: Module, target: str, res: ProbeResult) -> ProbeResult:
    o = module.tcp
    host, _, port = target.rpartition(":")
    host = host.strip("[]")
    try:
        ctx = context_from(o.tls_verify, o.tls_config) if o.tls else None
    except TLSConfigError as exc:
        return res.fail(str(exc))
    try:
        ip, _ = await resolve(host, o.preferred_ip_protocol)
        reader, writer = await asyncio.open_connection(
            ip, int(port), ssl=ctx, server_hostname=(o.tls_config.server_name or host) if ctx else None
        )
    except (OSError, ValueError) as exc:
        return res.fail(f"connect to {target}: {exc.strerror if isinstance(exc, OSError) and exc.strerror else exc}")
    try:
        if ctx is not None:
            res.ssl_earliest_cert_expiry = cert_expiry(writer.get_extra_info("ssl_object"))
        for i, step in enumerate(o.query_response):
            if step.expect:
                line = await reader.readline()
                text = line.decode("utf-8", "replace").rstrip("\r\n")
                if not re.search(step.expect, text):
                    return res.fail(f"query_response[{i}]: expected {step.expect!r}, got {text[:80]!r}")
            if step.send is not None:
                writer.write((step.send + "\n").encode())
                await writer.drain()
            if step.starttls:
                await writer.start_tls(tls_context(o.tls_verify), server_hostname=host)
                res.ssl_earliest_cert_expiry = cert_expiry(writer.get_extra_info("ssl_object"))
        res.success = True
        return res
    except (OSError, asyncio.IncompleteReadError) as exc:
        return res.fail(f"dialogue with {target}: {exc}")
    finally:
        writer.close()
