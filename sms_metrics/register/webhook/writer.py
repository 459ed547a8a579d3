"""Where webhook deliveries are written: group commit.

Deliveries that arrive together are written together: the writer takes every delivery waiting for it,
applies their alerts in arrival order in one transaction, commits once (one fsync) and only then answers
each of them — so a 2xx still means the delivery is durable, and a busy register does one commit per group
instead of one per delivery. Should a group fail for another reason than a busy database, its deliveries
are written one by one, so one bad delivery never takes the others down.

On SQLite the writer is a dedicated *process*: its Python work (decisions, row building, the executemany)
runs under its own interpreter lock, on the other core, instead of taking turns with the event loop that
parses and validates the next deliveries; SQLite has a single writer anyway. It receives the raw bodies the
view has validated, over a pipe; if it dies, the deliveries it held get a 503 (Alertmanager retries) and a
new writer starts. On PostgreSQL one writer thread does the same (the server does the heavy work).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import logging
import multiprocessing
import queue
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


def _apply(sessions, payloads: list[WebhookPayload], *, catalogue, now: datetime, window: timedelta) -> list[dict]:
    """One transaction for ``payloads``; what happened to the alerts of each, counted."""
    alerts, sizes = [], []
    for p in payloads:
        alerts += [a.event() for a in p.alerts]
        sizes.append(len(p.alerts))
    with transaction(sessions) as session:
        actions = ingest_alerts(session, alerts=alerts, catalogue=catalogue, now=now, reopen_window=window)
    out, start = [], 0
    for n in sizes:
        out.append(dict(Tally(actions[start : start + n])))
        start += n
    return out


def _failure(exc: Exception) -> Reply:
    if isinstance(exc, DatabaseBusy):
        return ("busy", str(exc))
    if isinstance(exc, InputError):
        return ("input", str(exc))
    return ("error", f"{type(exc).__name__}: {exc}")


def write_group(
    sessions, payloads: list[WebhookPayload], *, catalogue, now: datetime, window: timedelta
) -> list[Reply]:
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
                self.sessions, [g[0] for g in group], catalogue=self.catalogue, now=now, window=window
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
        fut.set_result(reply)


READY = "ready"  # the writer's first message: built, warmed up, reading deliveries
READY_WAIT = 30.0  # seconds the server waits for it


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
            group = [] if message is None else list(message)
            stopping = message is None
            while not stopping and len(group) < MAX_GROUP and conn.poll():
                message = conn.recv()
                stopping = message is None
                group += message or []
        except (EOFError, OSError):
            break
        if not group:
            continue
        replies: list = [None] * len(group)
        parsed = []
        for k, (_, body, _) in enumerate(group):
            try:
                parsed.append((k, WebhookPayload.model_validate_json(body)))
            except ValueError as exc:
                replies[k] = ("input", str(exc))
        now = datetime.fromtimestamp(max(g[2] for g in group), UTC)
        written = write_group(system.sessions, [p for _, p in parsed], catalogue=catalogue, now=now, window=window)
        for (k, _), reply in zip(parsed, written):
            replies[k] = reply
        try:
            conn.send([(g[0], *reply) for g, reply in zip(group, replies)])
        except (EOFError, OSError):
            break
    system.close()


class ProcessWriter(DeliveryWriter):
    """SQLite: a writer process, fed through a pipe by one sender thread; answers come back on a reader
    thread. The event loop only queues a delivery and awaits its future: the sender sends whatever has
    queued up in one message, and the reader settles a whole group of answers in one loop callback, so
    a busy server makes a few pipe writes and loop wake-ups per group, not per delivery."""

    def __init__(self, settings: Settings, catalogue: Catalogue | None):
        self.settings, self.catalogue = settings, catalogue
        # the server has threads: never fork it; a fork server (single-threaded, with the register code
        # loaded once) starts writers in milliseconds
        self._ctx = multiprocessing.get_context("forkserver")
        self._ctx.set_forkserver_preload([__name__])
        self._proc = None
        self._conn = None
        self._lock = threading.Lock()
        self._ids = itertools.count()
        self._waiting: dict[int, tuple[asyncio.AbstractEventLoop, asyncio.Future, object]] = {}
        self._outbox: queue.SimpleQueue = queue.SimpleQueue()
        self._sender: threading.Thread | None = None

    def start(self) -> None:
        with self._lock:
            self._start()
            if self._sender is None:
                self._sender = threading.Thread(target=self._send_loop, name="register-writer-sender", daemon=True)
                self._sender.start()

    def _start(self) -> None:
        if self._conn is not None:
            self._conn.close()  # the old writer's pipe: its reader thread has seen it end
        self._conn, child = self._ctx.Pipe()
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
            pass  # it died starting: the reader thread sees the pipe end and the next send starts another
        threading.Thread(target=self._read, args=(self._conn,), name="register-writer-replies", daemon=True).start()

    def _read(self, conn) -> None:
        """Settle each delivery the writer answers; when the writer dies, every delivery it held gets a 503."""
        while True:
            try:
                replies = conn.recv()
            except (EOFError, OSError):
                break
            if replies == READY:  # a writer that took longer than READY_WAIT to start
                continue
            _settle_all([(self._waiting.pop(ident, None), (kind, value)) for ident, kind, value in replies])
        lost = [i for i, w in list(self._waiting.items()) if w[2] is conn]
        if lost:
            log.error("the register writer process died holding %d deliveries; starting a new one", len(lost))
        _settle_all([(self._waiting.pop(i, None), ("busy", "the register writer restarted; retry")) for i in lost])

    def _send_loop(self) -> None:
        """Send what the event loop queued, all of it in one message; restart a writer that died."""
        while True:
            batch = [self._outbox.get()]
            with contextlib.suppress(queue.Empty):
                while len(batch) < MAX_GROUP and batch[-1] is not None:
                    batch.append(self._outbox.get_nowait())
            stop = batch[-1] is None
            items = batch[:-1] if stop else batch
            with self._lock:
                if items:
                    self._send(items)
                if stop:
                    if self._conn is not None and self._proc is not None and self._proc.is_alive():
                        with contextlib.suppress(EOFError, OSError):
                            self._conn.send(None)  # finish what is in the pipe, then exit
                    return

    def _send(self, items: list) -> None:
        if self._proc is None or not self._proc.is_alive():
            self._start()
        for ident, _, _, loop, fut in items:
            self._waiting[ident] = (loop, fut, self._conn)
        try:
            self._conn.send([(ident, body, now) for ident, body, now, _, _ in items])
        except (EOFError, OSError):
            lost = [
                (self._waiting.pop(ident, None), ("busy", "the register writer restarted; retry"))
                for ident, *_ in items
            ]
            _settle_all(lost)

    async def write(self, payload, body, now):
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        if self._sender is None:
            self.start()
        self.pending += 1
        try:
            self._outbox.put((next(self._ids), body, now.timestamp(), loop, fut))
            return _raise(await fut)
        finally:
            self.pending -= 1

    def close(self) -> None:
        if self._sender is not None:
            self._outbox.put(None)  # the sender sends what is queued, then asks the writer to finish
            self._sender.join(10)
        if self._proc is not None:
            self._proc.join(10)
            if self._proc.is_alive():
                self._proc.kill()


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
