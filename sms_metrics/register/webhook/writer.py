"""Where webhook deliveries are written: group commit.

Deliveries that arrive together are written together: the writer takes every delivery waiting for it,
applies their alerts in arrival order in one transaction, commits once (one fsync) and only then answers
each of them — so a 2xx still means the delivery is durable, and a busy register does one commit per group
instead of one per delivery. Should a group fail for another reason than a busy database, its deliveries
are written one by one, so one bad delivery never takes the others down.

On SQLite the writer is a dedicated *process*: its Python work (decisions, row building, the executemany)
runs under its own interpreter lock, on the other core, instead of taking turns with the event loop that
parses and validates the next deliveries; SQLite has a single writer anyway. It receives the alert events
of the deliveries the view has validated (pickled: cheaper to load than the JSON is to parse again) over a
socket the event loop reads and writes itself; if it dies, the deliveries it held get a 503 (Alertmanager
retries) and a new writer starts. On PostgreSQL one writer thread does the same (the server does the heavy
work)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import logging
import multiprocessing
import os
import pickle
import queue
import socket
import struct
import threading
from abc import ABC, abstractmethod
from collections import Counter as Tally
from datetime import UTC, datetime, timedelta

from sms_metrics.bootstrap import System, build
from sms_metrics.catalogue.model import Catalogue
from sms_metrics.config import Settings
from sms_metrics.errors import InputError
from sms_metrics.register.db import DatabaseBusy, transaction
from sms_metrics.register.incidents.alert import AlertEvent
from sms_metrics.register.incidents.ingest import ingest_alerts
from sms_metrics.register.webhook.schema import WebhookPayload

log = logging.getLogger(__name__)
MAX_GROUP = 512  # deliveries in one transaction
Reply = tuple[str, object]  # ("ok", actions) | ("busy" | "input" | "error", message)


Delivery = list[AlertEvent]  # a delivery's alerts, in order


def _apply(sessions, deliveries: list[Delivery], *, catalogue, now: datetime, window: timedelta) -> list[dict]:
    """One transaction for ``deliveries``; what happened to the alerts of each, counted."""
    alerts, sizes = [], []
    for d in deliveries:
        alerts += d
        sizes.append(len(d))
    with transaction(sessions) as session:
        actions = ingest_alerts(session, alerts=alerts, catalogue=catalogue, now=now, reopen_window=window)
    out, start = [], 0
    for n in sizes:
        out.append(dict(Tally(actions[start : start + n])))
        start += n
    return out


def events(payload: WebhookPayload) -> Delivery:
    return [a.event() for a in payload.alerts]


def _failure(exc: Exception) -> Reply:
    if isinstance(exc, DatabaseBusy):
        return ("busy", str(exc))
    if isinstance(exc, InputError):
        return ("input", str(exc))
    return ("error", f"{type(exc).__name__}: {exc}")


def write_group(sessions, payloads: list[Delivery], *, catalogue, now: datetime, window: timedelta) -> list[Reply]:
    """Write deliveries that arrived together; a reply per delivery, in order (see the module)."""
    try:
        return [("ok", a) for a in _apply(sessions, payloads, catalogue=catalogue, now=now, window=window)]
    except DatabaseBusy as exc:
        return [("busy", str(exc))] * len(payloads)
    except Exception as exc:
        if len(payloads) == 1:
            return [_failure(exc)]
    replies: list[Reply] = []
    for p in payloads:  # isolate the delivery that fails
        try:
            replies.append(("ok", _apply(sessions, [p], catalogue=catalogue, now=now, window=window)[0]))
        except Exception as exc:
            replies.append(_failure(exc))
    return replies


def _raise(reply: Reply) -> dict[str, int]:
    kind, value = reply
    if kind == "ok":
        return value  # type: ignore[return-value]
    if kind == "input":
        raise InputError(str(value))
    if kind == "error":
        log.error("writing a delivery failed: %s", value)
    raise DatabaseBusy(str(value) if kind == "busy" else f"the delivery could not be written: {value}")


class DeliveryWriter(ABC):
    pending: int = 0

    def start(self) -> None:  # noqa: B027 - optional hook
        """Get ready (the app's lifespan calls it)."""

    @abstractmethod
    async def write(self, payload: WebhookPayload, body: bytes, now: datetime) -> dict[str, int]:
        """Commit the delivery; raise DatabaseBusy when it cannot be written now."""

    @abstractmethod
    def close(self) -> None: ...


class ThreadWriter(DeliveryWriter):
    """PostgreSQL: one thread takes every waiting delivery and writes them in one transaction."""

    def __init__(self, settings: Settings, catalogue: Catalogue | None, sessions):
        self.settings, self.catalogue, self.sessions = settings, catalogue, sessions
        self._queue: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="register-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        window = timedelta(seconds=self.settings.reopen_window_seconds)
        while (item := self._queue.get()) is not None:
            group = [item]
            while len(group) < MAX_GROUP and not self._queue.empty():
                nxt = self._queue.get()
                if nxt is None:
                    self._queue.put(None)
                    break
                group.append(nxt)
            now = max(g[1] for g in group)
            replies = write_group(
                self.sessions, [events(g[0]) for g in group], catalogue=self.catalogue, now=now, window=window
            )
            _settle_all([((loop, fut), reply) for (_, _, loop, fut), reply in zip(group, replies)])

    async def write(self, payload, body, now):
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        self.pending += 1
        try:
            self._queue.put((payload, now, loop, fut))
            return _raise(await fut)
        finally:
            self.pending -= 1

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(30)


def _settle(fut: asyncio.Future, reply: Reply) -> None:
    if not fut.done():
        with contextlib.suppress(RuntimeError):  # its loop has closed: no one waits for it
            fut.set_result(reply)


READY = "ready"  # the writer's first message: built, warmed up, reading deliveries
READY_WAIT = 30.0  # seconds the server waits for it
FLUSH_BYTES = 64 * 1024  # queued bodies sent to the writer before the loop's turn ends


def _warm_up(system: System, catalogue: Catalogue | None, window: timedelta) -> None:
    """Write an alert in a transaction that is rolled back, so that the first real deliveries do not
    pay for the mappers' configuration and the statements' compilation (a few hundred ms on 2 cores,
    which every delivery queued behind them would wait)."""
    now = datetime.now(UTC)
    alert = AlertEvent(
        status="firing", fingerprint="sms-metrics-warm-up", starts_at=now, labels={"alertname": "WarmUp"}
    )
    session = system.sessions()
    try:
        ingest_alerts(session, alerts=[alert], catalogue=catalogue, now=now, reopen_window=window)
        session.flush()
    except Exception as exc:  # a busy or odd register: the first delivery will just be slower
        log.info("the register writer's warm-up did not complete: %s", exc)
    finally:
        session.rollback()
        session.close()


def _writer_main(conn, settings: Settings, catalogue: Catalogue | None) -> None:
    """The writer process: every delivery waiting in the pipe is written in one transaction, then answered.
    Deliveries come in lists (whatever the server had queued when it sent); None asks it to finish."""
    system = build(settings, catalogue=catalogue, migrate=False)
    window = timedelta(seconds=settings.reopen_window_seconds)
    _warm_up(system, catalogue, window)
    # a group's rows are freed by reference counting; the cyclic collector, run every 700 allocations
    # by default, walked the whole register code again and again (a quarter of a large group's time)
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)
    try:
        conn.send(READY)
    except (EOFError, OSError):
        return
    stopping = False
    while not stopping:
        try:
            message = conn.recv()
        except (EOFError, OSError, pickle.UnpicklingError):
            break
        group = [] if message is None else list(message)
        stopping = message is None
        try:
            while not stopping and len(group) < MAX_GROUP and conn.poll():
                message = conn.recv()
                stopping = message is None
                group += message or []
        except (EOFError, OSError, pickle.UnpicklingError):
            stopping = True  # the server hung up: write what came before, then exit
        if not group:
            continue
        now = datetime.fromtimestamp(max(g[2] for g in group), UTC)
        replies = write_group(system.sessions, [g[1] for g in group], catalogue=catalogue, now=now, window=window)
        try:
            conn.send([(g[0], *reply) for g, reply in zip(group, replies)])
        except (EOFError, OSError):
            break
    system.close()


class ProcessWriter(DeliveryWriter):
    """SQLite: a writer process on the other end of a socket pair that the event loop reads and writes
    itself (no thread between them). A delivery is queued and its future awaited; everything queued in
    one turn of the loop goes to the writer in one message, and its answers settle their futures in the
    loop that reads them. A writer that dies gets every delivery it held answered 503 and is replaced,
    off the loop, when the next delivery comes."""

    def __init__(self, settings: Settings, catalogue: Catalogue | None):
        self.settings, self.catalogue = settings, catalogue
        # the server has threads: never fork it; a fork server (single-threaded, with the register code
        # loaded once) starts writers in milliseconds
        self._ctx = multiprocessing.get_context("forkserver")
        self._ctx.set_forkserver_preload(["sms_metrics.register.webhook.preload"])
        self._proc = None
        self._conn = None  # our end of the pair, as the writer process was started with it
        self._link: _Link | None = None  # the same socket, read and written by the event loop
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ids = itertools.count()
        self._waiting: dict[int, asyncio.Future] = {}
        self._outbox: list[tuple[int, Delivery, float]] = []
        self._outbox_bytes = 0
        self._connecting: asyncio.Future | None = None

    def start(self) -> None:
        """Start the writer process now (the app's lifespan), rather than with the first delivery."""
        if self._proc is None or not self._proc.is_alive():
            self._spawn()

    def _spawn(self) -> None:
        """Start a writer process and wait (blocking) until it is ready."""
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.close()
        self._conn, child = self._ctx.Pipe()  # duplex: a Unix socket pair
        self._proc = self._ctx.Process(
            target=_writer_main, args=(child, self.settings, self.catalogue), name="sms-register-writer", daemon=True
        )
        self._proc.start()
        child.close()
        try:  # deliveries sent before the writer is ready would wait for its start, not just their turn
            if self._conn.poll(READY_WAIT):
                self._conn.recv()
            else:
                log.warning("the register writer process is not ready after %g s; deliveries will wait", READY_WAIT)
        except (EOFError, OSError):
            pass  # it died starting: the link sees the socket end and the next delivery starts another

    async def _connect(self, loop: asyncio.AbstractEventLoop) -> None:
        """A live writer and the loop's link to it; a new writer (started off the loop) if it died."""
        if self._proc is None or not self._proc.is_alive() or self._conn is None or self._conn.closed:
            await loop.run_in_executor(None, self._spawn)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM, fileno=os.dup(self._conn.fileno()))
        _, link = await loop.create_unix_connection(lambda: _Link(self), sock=sock)
        self._link = link

    def _bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Serve deliveries from ``loop``: the server's, or a test client's after the one before closed.
        A writer that served a closed loop is let go (it exits when its socket ends): its stream may
        hold a reply half read by the old loop, and no one waits for its answers any more."""
        if self._loop is not None:
            if self._link is not None:
                with contextlib.suppress(Exception):
                    self._link.transport.abort()
                self._link = None
            _hang_up(self._conn)
            self._waiting = {}
        self._loop, self._outbox, self._outbox_bytes, self._connecting = loop, [], 0, None

    async def write(self, payload, body, now):
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            bound = self._loop
            if bound is not None and bound.is_running() and not bound.is_closed():
                # another loop serves the writer: hand the delivery to it
                coro = self.write(payload, body, now)
                return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, bound))
            self._bind(loop)
        fut = loop.create_future()
        ident = next(self._ids)
        self._waiting[ident] = fut
        if not self._outbox:
            loop.call_soon(self._flush)
        self._outbox.append((ident, events(payload), now.timestamp()))
        self._outbox_bytes += len(body)
        if self._outbox_bytes >= FLUSH_BYTES:
            self._flush()  # large deliveries: the writer starts on them while the loop reads the rest
        self.pending += 1
        try:
            return _raise(await fut)
        finally:
            self.pending -= 1

    def _flush(self) -> None:
        """Send what this turn of the loop queued, in one message; connect (or restart) first if need be."""
        if not self._outbox:
            return
        if self._link is None or self._link.transport.is_closing():
            if self._connecting is None or self._connecting.done():
                self._connecting = asyncio.ensure_future(self._reconnect(), loop=self._loop)
            return
        items, self._outbox, self._outbox_bytes = self._outbox, [], 0
        self._link.send(items)

    async def _reconnect(self) -> None:
        try:
            await self._connect(asyncio.get_running_loop())
        except Exception as exc:  # the deliveries waiting get a 503; Alertmanager retries them
            log.error("the register writer could not be started: %s", exc)
            items, self._outbox, self._outbox_bytes = self._outbox, [], 0
            for ident, _, _ in items:
                _settle(self._waiting.pop(ident), ("busy", f"the register writer could not be started: {exc}"))
            return
        self._flush()

    def _lost(self, link: _Link) -> None:
        """The writer's end closed: it died (or is finishing); what it held is answered 503."""
        if link.sent:
            log.error("the register writer process died holding %d deliveries; starting a new one", len(link.sent))
        for ident in link.sent:
            fut = self._waiting.pop(ident, None)
            if fut is not None:
                _settle(fut, ("busy", "the register writer restarted; retry"))
        link.sent.clear()
        if self._link is link:
            # a link that ends unasked ends its writer too: the next delivery starts a new one rather than
            # reading on from a stream that may hold half a reply
            self._link = None
            _hang_up(self._conn)
            if self._outbox and self._loop is not None and not self._loop.is_closed():
                self._loop.call_soon(self._flush)

    def close(self) -> None:
        _hang_up(self._conn)  # the writer finishes what it has read, sees the end and exits
        if self._link is not None:
            self._link.transport.abort()
            self._link = None
        if self._proc is not None:
            self._proc.join(10)
            if self._proc.is_alive():
                self._proc.kill()


def _hang_up(conn) -> None:
    """End the socket to a writer for every descriptor of it (the event loop's copy may close later)."""
    if conn is None or conn.closed:
        return
    with contextlib.suppress(OSError), socket.socket(fileno=os.dup(conn.fileno())) as sock:
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        conn.close()


class _Link(asyncio.Protocol):
    """The event loop's side of the socket to the writer, framed as ``multiprocessing.Connection``
    frames them (a 4-byte big-endian length, then a pickle), which is what the writer reads and sends."""

    def __init__(self, owner: ProcessWriter):
        self.owner = owner
        self.transport: asyncio.Transport
        self.sent: set[int] = set()  # deliveries sent and not yet answered
        self._buffer = bytearray()

    def connection_made(self, transport) -> None:
        self.transport = transport

    def send(self, items: list[tuple[int, Delivery, float]]) -> None:
        data = pickle.dumps(items, pickle.HIGHEST_PROTOCOL)
        self.sent.update(ident for ident, _, _ in items)
        self.transport.write(_frame(data))

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        while len(buffer) >= 4:
            (size,) = struct.unpack_from("!i", buffer)
            head = 4
            if size == -1:  # Connection's header for a message over 2 GiB
                if len(buffer) < 12:
                    return
                (size,) = struct.unpack_from("!Q", buffer, 4)
                head = 12
            if len(buffer) < head + size:
                return
            replies = pickle.loads(buffer[head : head + size])
            del buffer[: head + size]
            if replies == READY:
                continue
            waiting, sent = self.owner._waiting, self.sent
            for ident, kind, value in replies:
                sent.discard(ident)
                fut = waiting.pop(ident, None)
                if fut is not None:
                    _settle(fut, (kind, value))

    def connection_lost(self, exc) -> None:
        self.owner._lost(self)


def _frame(data: bytes) -> bytes:
    size = len(data)
    if size > 0x7FFFFFFF:
        return struct.pack("!iQ", -1, size) + data
    return struct.pack("!i", size) + data


def _settle_all(settled: list) -> None:
    """Settle futures from another thread: one callback per event loop, not one per delivery."""
    by_loop: dict = {}
    for waiting, reply in settled:
        if waiting is not None:
            by_loop.setdefault(waiting[0], []).append((waiting[1], reply))
    for loop, pairs in by_loop.items():
        with contextlib.suppress(RuntimeError):  # a loop that has closed has no one waiting
            loop.call_soon_threadsafe(_settle_pairs, pairs)


def _settle_pairs(pairs: list) -> None:
    for fut, reply in pairs:
        _settle(fut, reply)


def delivery_writer(system: System) -> DeliveryWriter:
    if system.settings.database_url.startswith("sqlite"):
        return ProcessWriter(system.settings, system.catalogue)
    return ThreadWriter(system.settings, system.catalogue, system.sessions)
