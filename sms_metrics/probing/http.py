"""The http prober: status, body and header checks, redirects, TLS, per-phase timings.

Every probe opens a fresh connection (no keep-alive), as blackbox_exporter does. The host is
resolved first (timed, with the IPv4/IPv6 preference), then httpx connects to that address with
the original Host header and SNI name; httpcore's trace events give the other phases.
"""

from __future__ import annotations

import os
import re
import time
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from sms_metrics.probing.config import HTTPOptions, Module
from sms_metrics.probing.net import cert_expiry, resolve, tls_context
from sms_metrics.probing.result import ProbeResult

REDIRECTS = {301, 302, 303, 307, 308}
MAX_BODY = 10 * 1024 * 1024
_clients: dict[int, httpx.AsyncClient] = {}


def client_for(module: Module) -> httpx.AsyncClient:
    """One client per module (TLS settings), never reusing connections."""
    key = id(module)
    if key not in _clients:
        o = module.http
        ctx = tls_context(o.tls_verify, o.tls_config.ca_file, o.tls_config.cert_file, o.tls_config.key_file)
        _clients[key] = httpx.AsyncClient(
            verify=ctx,
            follow_redirects=False,
            trust_env=False,
            limits=httpx.Limits(max_keepalive_connections=0),
            timeout=module.timeout_seconds,
        )
    return _clients[key]


class _Trace:
    def __init__(self) -> None:
        self.t: dict[str, float] = {}
        self.ssl_object = None

    async def __call__(self, event: str, info: dict) -> None:
        self.t[event] = time.perf_counter()
        if event == "connection.start_tls.complete" and info.get("return_value") is not None:
            self.ssl_object = info["return_value"].get_extra_info("ssl_object")

    def span(self, first: str, last: str) -> float:
        a, b = self.t.get(first), self.t.get(last)
        return b - a if a is not None and b is not None else 0.0


def _address_url(url: str, ip: str) -> str:
    parts = urlsplit(url)
    host = f"[{ip}]" if ":" in ip else ip
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


async def _hop(client: httpx.AsyncClient, o: HTTPOptions, method: str, url: str, res: ProbeResult):
    parts = urlsplit(url)
    ip, resolve_s = await resolve(parts.hostname, o.preferred_ip_protocol, o.ip_protocol_fallback)
    res.phases["resolve"] = res.phases.get("resolve", 0.0) + resolve_s
    trace = _Trace()
    headers = {"Host": parts.netloc.rsplit("@", 1)[-1], "User-Agent": "sms-metrics-prober", **o.headers}
    ext = {"trace": trace, "sni_hostname": o.tls_config.server_name or parts.hostname}
    request = client.build_request(
        method,
        _address_url(url, ip),
        headers=headers,
        content=o.body.encode() if o.body is not None else None,
        extensions=ext,
    )
    response = await client.send(request, stream=True)
    try:
        body = b""
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > MAX_BODY:
                break
    finally:
        await response.aclose()
    for phase, (a, b) in {
        "connect": ("connection.connect_tcp.started", "connection.connect_tcp.complete"),
        "tls": ("connection.start_tls.started", "connection.start_tls.complete"),
        "processing": ("http11.send_request_headers.started", "http11.receive_response_headers.complete"),
        "transfer": ("http11.receive_response_body.started", "http11.receive_response_body.complete"),
    }.items():
        res.phases[phase] = res.phases.get(phase, 0.0) + trace.span(a, b)
    if trace.ssl_object is not None:
        expiry = cert_expiry(trace.ssl_object)
        if expiry is not None:
            res.ssl_earliest_cert_expiry = min(expiry, res.ssl_earliest_cert_expiry or expiry)
    return response, body


def _check(o: HTTPOptions, url: str, response: httpx.Response, body: bytes) -> str | None:
    """The reason the final response fails the module's checks, None when it passes."""
    code = response.status_code
    if (o.valid_status_codes and code not in o.valid_status_codes) or (
        not o.valid_status_codes and not 200 <= code < 300
    ):
        return f"status code {code} is not valid ({o.valid_status_codes or '2xx'})"
    tls = url.startswith("https://")
    if o.fail_if_ssl and tls:
        return "the final response came over TLS (fail_if_ssl)"
    if o.fail_if_not_ssl and not tls:
        return "the final response did not come over TLS (fail_if_not_ssl)"
    text = body.decode("utf-8", "replace")
    for rx in o.fail_if_body_matches_regexp:
        if re.search(rx, text):
            return f"body matched {rx!r}"
    for rx in o.fail_if_body_not_matches_regexp:
        if not re.search(rx, text):
            return f"body did not match {rx!r}"
    for hm, must in [(h, False) for h in o.fail_if_header_matches] + [(h, True) for h in o.fail_if_header_not_matches]:
        value = response.headers.get(hm.header)
        if value is None:
            if not hm.allow_missing:
                return f"header {hm.header} is missing"
            continue
        if bool(re.search(hm.regexp, value)) != must:
            return f"header {hm.header}: {value!r} {'did not match' if must else 'matched'} {hm.regexp!r}"
    return None


def _reason(exc: Exception, url: str) -> str:
    """A one-line reason: the OS error behind httpx's wrapper when there is one."""
    seen, cur = set(), exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, OSError) and (cur.errno or cur.strerror):
            why = os.strerror(cur.errno) if cur.errno else cur.strerror
            return f"{urlsplit(url).netloc}: {why.lower()}"
        if "CERTIFICATE_VERIFY_FAILED" in str(cur):
            return (
                f"TLS certificate verification failed: {str(cur).split('certificate verify failed:')[-1].strip(' )')}"
            )
        cur = cur.__cause__ or cur.__context__
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


async def probe_http(module: Module, url: str, res: ProbeResult) -> ProbeResult:
    o = module.http
    client = client_for(module)
    method = o.method.upper()
    for hop in range(o.max_redirects + 1):
        try:
            response, body = await _hop(client, o, method, url, res)
        except httpx.HTTPError as exc:
            return res.fail(_reason(exc, url))
        except OSError as exc:
            return res.fail(str(exc))
        res.status_code = response.status_code
        location = response.headers.get("location")
        if o.follow_redirects and response.status_code in REDIRECTS and location:
            if hop == o.max_redirects:
                return res.fail(f"more than {o.max_redirects} redirects")
            url = urljoin(url, location)
            method = "GET" if response.status_code == 303 else method
            res.redirects += 1
            continue
        reason = _check(o, url, response, body)
        if reason:
            return res.fail(reason)
        res.success = True
        return res
    return res
