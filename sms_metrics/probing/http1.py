"""One HTTP/1.1 exchange on a fresh connection, for probes: connect, (TLS), request, response.

A plain asyncio ``Protocol`` with no stream, pool or task layers: a probe costs a connect, one
write and the parse of one response, which is what lets one prober hold ten thousand targets.
Bodies framed by Content-Length, chunked transfer coding or the end of the connection; gzip and
deflate content codings are undone; interim 1xx answers are skipped. The request always says
``Connection: close`` (as blackbox_exporter, every probe opens its own connection).
"""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import dataclass

MAX_HEAD = 64 * 1024
NO_BODY = {204, 304}


class ProtocolError(ValueError):
    """The server's answer is not HTTP/1.x."""


@dataclass
class Response:
    status_code: int
    reason: str
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes = b""
    truncated: bool = False


@dataclass
class Timings:
    """Seconds per phase of one exchange (0 where a phase did not happen)."""

    connect: float = 0.0
    tls: float = 0.0
    processing: float = 0.0
    transfer: float = 0.0


def _parse_head(head: bytes) -> tuple[int, str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise ProtocolError(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            continue
        key, value = name.strip().lower(), value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return int(parts[1]), parts[2] if len(parts) > 2 else "", headers


class _Exchange(asyncio.Protocol):
    """Collects one response; ``done`` resolves to it (or to the connection's error)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, head_only: bool, max_body: int):
        self.done: asyncio.Future[Response] = loop.create_future()
        # A failed TLS handshake ends the connection after exchange() has given up on it: mark
        # the outcome retrieved, or the future's finaliser logs a traceback.
        self.done.add_done_callback(lambda f: f.cancelled() or f.exception())
        self.buf = bytearray()
        self.head_only, self.max_body = head_only, max_body
        self.response: Response | None = None
        self.framing = ""  # length | chunked | close
        self.remaining = 0  # length framing: body bytes still to come
        self.chunk_left, self.crlf_due, self.trailers = 0, False, False
        self.body = bytearray()
        self.head_at = 0.0
        self.transport: asyncio.BaseTransport | None = None

    # asyncio callbacks -------------------------------------------------------------------------
    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self.done.done():
            return
        self.buf += data
        try:
            self._advance(eof=False)
        except ProtocolError as exc:
            self._finish(exc)

    def eof_received(self) -> bool:
        if not self.done.done():
            try:
                self._advance(eof=True)
            except ProtocolError as exc:
                self._finish(exc)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            why = exc or ConnectionResetError("the server closed the connection before the response was complete")
            self._finish(why)

    # parsing ----------------------------------------------------------------------------------
    def _finish(self, outcome: Response | Exception) -> None:
        if self.done.done():
            return
        if isinstance(outcome, Exception):
            self.done.set_exception(outcome)
        else:
            self.done.set_result(outcome)

    def _advance(self, eof: bool) -> None:
        while self.response is None:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buf) > MAX_HEAD:
                    raise ProtocolError(f"response head over {MAX_HEAD // 1024} KiB")
                if eof:
                    raise ProtocolError("the server closed the connection without a complete response head")
                return
            code, reason, headers = _parse_head(bytes(self.buf[:end]))
            del self.buf[: end + 4]
            if 100 <= code < 200:
                continue  # interim answer (100 Continue, 103 Early Hints): the real one follows
            self.head_at = time.perf_counter()
            self.response = Response(code, reason, headers)
            self._frame(headers, code)
        self._body(eof)

    def _frame(self, headers: dict[str, str], code: int) -> None:
        if self.head_only or code in NO_BODY:
            self.framing, self.remaining = "length", 0
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            self.framing = "chunked"
        elif "content-length" in headers:
            try:
                self.remaining = int(headers["content-length"].split(",")[0])
            except ValueError:
                raise ProtocolError(f"invalid Content-Length {headers['content-length']!r}") from None
            self.framing = "length"
        else:
            self.framing = "close"

    def _take(self, n: int) -> None:
        room = self.max_body - len(self.body)
        self.body += self.buf[: min(n, max(room, 0))]
        del self.buf[:n]

    def _body(self, eof: bool) -> None:
        if self.framing == "length":
            n = min(self.remaining, len(self.buf))
            self._take(n)
            self.remaining -= n
            complete = self.remaining == 0
        elif self.framing == "chunked":
            complete = self._chunks()
        else:
            self._take(len(self.buf))
            complete = eof
        if len(self.body) >= self.max_body:
            complete = True
            self.response.truncated = True
        if complete:
            self.response.body = bytes(self.body)
            self._finish(self.response)
        elif eof:
            raise ProtocolError("the server closed the connection in the middle of the body")

    def _chunks(self) -> bool:
        """Consume chunked framing; True once the last chunk and its trailers are in."""
        while True:
            if self.chunk_left:
                n = min(self.chunk_left, len(self.buf))
                self._take(n)
                self.chunk_left -= n
                if self.chunk_left:
                    return False
                self.crlf_due = True
            if self.crlf_due:
                if len(self.buf) < 2:
                    return False
                del self.buf[:2]
                self.crlf_due = False
            line_end = self.buf.find(b"\r\n")
            if line_end < 0:
                return False
            if self.trailers:  # after the last chunk: header lines up to an empty one
                del self.buf[: line_end + 2]
                if line_end == 0:
                    return True
                continue
            size_text = bytes(self.buf[:line_end]).split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise ProtocolError(f"invalid chunk size {size_text[:20]!r}") from None
            del self.buf[: line_end + 2]
            self.chunk_left, self.trailers = size, size == 0


async def exchange(
    ip: str,
    port: int,
    request: bytes,
    *,
    tls: ssl.SSLContext | None = None,
    server_hostname: str | None = None,
    head_only: bool = False,
    max_body: int = 10 * 1024 * 1024,
) -> tuple[Response, Timings, ssl.SSLObject | None]:
    """Send ``request`` on a new connection to ``ip:port`` and read one response.

    Raises OSError (refused, reset, TLS failures) or ProtocolError; the caller bounds the time."""
    loop = asyncio.get_running_loop()
    proto = _Exchange(loop, head_only, max_body)
    t = Timings()
    t0 = time.perf_counter()
    transport, _ = await loop.create_connection(lambda: proto, ip, port)
    ssl_object = None
    try:
        t1 = time.perf_counter()
        t.connect = t1 - t0
        if tls is not None:
            transport = await loop.start_tls(transport, proto, tls, server_hostname=server_hostname)
            t.tls = time.perf_counter() - t1
            ssl_object = transport.get_extra_info("ssl_object")
        sent = time.perf_counter()
        transport.write(request)
        response = await proto.done
        t.processing = proto.head_at - sent
        t.transfer = time.perf_counter() - proto.head_at
    finally:
        transport.close()
    return response, t, ssl_object
