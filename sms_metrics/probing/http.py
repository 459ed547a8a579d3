"""The http prober: status, body and header checks, redirects, TLS, per-phase timings.

Every probe opens a fresh connection (no keep-alive), as blackbox_exporter does. The host is
resolved first (timed, with the IPv4/IPv6 preference), then ``http1.exchange`` connects to that
address with the original Host header and SNI name and times connect, TLS, processing (request
sent to response head) and transfer (head to the end of the body).
"""

from __future__ import annotations

import os
import re
import ssl
import zlib
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from sms_metrics.probing.config import HTTPOptions, Module
from sms_metrics.probing.http1 import ProtocolError, Response, exchange
from sms_metrics.probing.net import TLSConfigError, cert_expiry, context_from, resolve
from sms_metrics.probing.result import ProbeResult

REDIRECTS = {301, 302, 303, 307, 308}
MAX_BODY = 10 * 1024 * 1024
USER_AGENT = "sms-metrics-prober"


def context_for(module: Module) -> ssl.SSLContext:
    return context_from(module.http.tls_verify, module.http.tls_config)


def build_request(o: HTTPOptions, method: str, url: str) -> bytes:
    """The request bytes: the user's headers win over Host, User-Agent and Accept."""
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {"Host": parts.netloc.rsplit("@", 1)[-1], "User-Agent": USER_AGENT, "Accept": "*/*"}
    lower = {k.lower() for k in o.headers}
    headers = {k: v for k, v in headers.items() if k.lower() not in lower} | dict(o.headers)
    body = o.body.encode() if o.body is not None else b""
    headers = {k: v for k, v in headers.items() if k.lower() not in ("connection", "content-length")}
    if o.body is not None or method in ("POST", "PUT", "PATCH"):
        headers["Content-Length"] = str(len(body))
    headers["Connection"] = "close"
    head = f"{method} {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    return head.encode("latin-1") + body


def decoded(response: Response) -> bytes:
    """The body with gzip or deflate content coding undone (left as is when it does not decode)."""
    coding = response.headers.get("content-encoding", "").lower()
    if coding not in ("gzip", "x-gzip", "deflate") or not response.body:
        return response.body
    for wbits in (47, -15) if coding == "deflate" else (31,):
        try:
            return zlib.decompressobj(wbits).decompress(response.body, MAX_BODY)
        except zlib.error:
            continue
    return response.body


@dataclass(frozen=True)
class _Plan:
    """What a request to one URL needs, worked out once (targets are probed again and again)."""

    host: str
    port: int
    https: bool
    server_hostname: str | None
    request: bytes


_plans: dict[tuple[int, str, str], tuple[HTTPOptions, _Plan]] = {}


def plan_for(o: HTTPOptions, method: str, url: str) -> _Plan:
    key = (id(o), method, url)
    got = _plans.get(key)
    if got is not None and got[0] is o:
        return got[1]
    parts = urlsplit(url)
    https = parts.scheme == "https"
    plan = _Plan(
        parts.hostname or "",
        parts.port or (443 if https else 80),
        https,
        (o.tls_config.server_name or parts.hostname) if https else None,
        build_request(o, method, url),
    )
    if len(_plans) > 100_000:  # redirects may lead anywhere: keep the cache bounded
        _plans.clear()
    _plans[key] = (o, plan)
    return plan


async def _hop(module: Module, method: str, url: str, res: ProbeResult) -> tuple[Response, bytes]:
    o = module.http
    p = plan_for(o, method, url)
    ip, resolve_s = await resolve(p.host, o.preferred_ip_protocol, o.ip_protocol_fallback)
    response, t, ssl_object = await exchange(
        ip,
        p.port,
        p.request,
        tls=context_for(module) if p.https else None,
        server_hostname=p.server_hostname,
        head_only=method == "HEAD",
        max_body=MAX_BODY,
    )
    for phase, seconds in (
        ("resolve", resolve_s),
        ("connect", t.connect),
        ("tls", t.tls),
        ("processing", t.processing),
        ("transfer", t.transfer),
    ):
        res.phases[phase] = res.phases.get(phase, 0.0) + seconds
    if ssl_object is not None:
        expiry = cert_expiry(ssl_object)
        if expiry is not None:
            res.ssl_earliest_cert_expiry = min(expiry, res.ssl_earliest_cert_expiry or expiry)
    return response, decoded(response)


def _check(o: HTTPOptions, url: str, response: Response, body: bytes) -> str | None:
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
        value = response.headers.get(hm.header.lower())
        if value is None:
            if not hm.allow_missing:
                return f"header {hm.header} is missing"
            continue
        if bool(re.search(hm.regexp, value)) != must:
            return f"header {hm.header}: {value!r} {'did not match' if must else 'matched'} {hm.regexp!r}"
    return None


def _reason(exc: Exception, url: str) -> str:
    """A one-line reason: certificate problems, TLS alerts, then the OS error (refused, reset...)."""
    netloc = urlsplit(url).netloc
    if isinstance(exc, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(exc):
        detail = getattr(exc, "verify_message", None) or str(exc).split("certificate verify failed:")[-1]
        return f"TLS certificate verification failed: {detail.strip(' ()')}"
    if isinstance(exc, ssl.SSLError):
        return f"{netloc}: TLS error: {exc.reason or exc}".lower()
    if isinstance(exc, ProtocolError):
        return f"{netloc}: {exc}"
    if isinstance(exc, OSError) and (exc.errno or exc.strerror):
        why = os.strerror(exc.errno) if exc.errno else str(exc.strerror)
        return f"{netloc}: {why.lower()}"
    return f"{netloc}: {exc}" if str(exc) else f"{netloc}: {type(exc).__name__}"


async def probe_http(module: Module, url: str, res: ProbeResult) -> ProbeResult:
    o = module.http
    method = o.method.upper()
    for hop in range(o.max_redirects + 1):
        try:
            response, body = await _hop(module, method, url, res)
        except TLSConfigError as exc:
            return res.fail(str(exc))
        except (OSError, ProtocolError) as exc:
            return res.fail(_reason(exc, url))
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
