"""The dns prober: one query to the target server, rcode and answer checks."""

from __future__ import annotations

import re
import time

import dns.asyncquery
import dns.exception
import dns.message
import dns.rcode

from sms_metrics.probing.config import Module
from sms_metrics.probing.result import ProbeResult


async def probe_dns(module: Module, target: str, res: ProbeResult) -> ProbeResult:
    o = module.dns
    host, _, port = target.rpartition(":")
    query = dns.message.make_query(o.query_name, o.query_type)
    start = time.perf_counter()
    try:
        send = dns.asyncquery.udp if o.transport_protocol == "udp" else dns.asyncquery.tcp
        answer = await send(query, host.strip("[]"), port=int(port), timeout=module.timeout_seconds)
    except dns.exception.Timeout:
        return res.fail(f"no answer from {target} within {module.timeout}")
    except (OSError, dns.exception.DNSException) as exc:
        return res.fail(f"query to {target}: {exc}")
    res.dns_lookup_seconds = time.perf_counter() - start
    rcode = dns.rcode.to_text(answer.rcode())
    if rcode not in o.valid_rcodes:
        return res.fail(f"rcode {rcode} is not one of {', '.join(o.valid_rcodes)}")
    lines = [rr.to_text() for rr in answer.answer]
    text = "\n".join(lines)
    for rx in o.fail_if_answer_matches_regexp:
        if re.search(rx, text, re.M):
            return res.fail(f"answer matched {rx!r}")
    for rx in o.fail_if_answer_not_matches_regexp:
        if not re.search(rx, text, re.M):
            return res.fail(f"answer did not match {rx!r}: {lines[:3]}")
    res.success = True
    return res
