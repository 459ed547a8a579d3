"""Name resolution with an IPv4/IPv6 preference, TLS contexts and certificate expiry."""

from __future__ import annotations

import asyncio
import functools
import socket
import ssl
import time

from cryptography import x509


async def resolve(host: str, preferred: str = "ip4", fallback: bool = True) -> tuple[str, float]:
    """(address, seconds taken) for ``host``, preferring IPv4 (``ip4``) or IPv6 (``ip6``)."""
    start = time.perf_counter()
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host.strip("[]"))
        return host.strip("[]"), 0.0
    except OSError:
        pass
    loop = asyncio.get_running_loop()
    families = [socket.AF_INET, socket.AF_INET6] if preferred == "ip4" else [socket.AF_INET6, socket.AF_INET]
    if not fallback:
        families = families[:1]
    last: Exception | None = None
    for fam in families:
        try:
            infos = await loop.getaddrinfo(host, None, family=fam, type=socket.SOCK_STREAM)
            if infos:
                return infos[0][4][0], time.perf_counter() - start
        except socket.gaierror as exc:
            last = exc
    raise OSError(f"cannot resolve {host}: {last.strerror if last else 'no address'}")


@functools.lru_cache(maxsize=256)
def tls_context(
    verify: bool, ca_file: str | None = None, cert_file: str | None = None, key_file: str | None = None
) -> ssl.SSLContext:
    """A client context, shared by every probe with the same settings (loading the system's CA
    store takes ~0.1 s, far more than a probe); without verification no store is loaded."""
    if verify or ca_file:
        ctx = ssl.create_default_context(cafile=ca_file)
    else:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if cert_file:
        ctx.load_cert_chain(cert_file, key_file)
    return ctx


class TLSConfigError(Exception):
    """A file named in a module's ``tls_config`` cannot be loaded: the module's fault, not the target's."""


def context_from(verify: bool, tc) -> ssl.SSLContext:
    """The shared context for a module's ``tls_verify`` and ``tls_config``; a file that cannot be
    loaded raises TLSConfigError naming the files, so the probe does not blame the target."""
    try:
        return tls_context(verify, tc.ca_file, tc.cert_file, tc.key_file)
    except (OSError, ValueError) as exc:
        files = ", ".join(f"{k} {getattr(tc, k)}" for k in ("ca_file", "cert_file", "key_file") if getattr(tc, k))
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise TLSConfigError(f"tls_config ({files}): {why.lower()}") from exc


def cert_expiry(ssl_object) -> float | None:
    """notAfter of the peer's certificate as Unix seconds (works without verification too)."""
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    if not der:
        return None
    return x509.load_der_x509_certificate(der).not_valid_after_utc.timestamp()
