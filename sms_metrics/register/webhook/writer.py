"""Where webhook deliveries are written.

On SQLite a delivery is written by a dedicated writer *process*: its Python work (decisions, row
building, the executemany) then runs under its own interpreter lock, on the other core, instead of
taking turns with the event loop that parses and validates the next deliveries. SQLite has a single
writer anyway, so one process loses nothing. The writer re-reads the delivery from its raw body
(already validated by the view), writes it in one transaction and answers only after the commit;
if it dies, the delivery gets a 503 (Alertmanager retries) and a new writer starts.

On PostgreSQL the server does the heavy work; a few threads suffice.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from abc import ABC, abstractmethod
from collections import Counter as Tally
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sms_metrics.bootstrap import System, build
from sms_metrics.catalogue.model import Catalogue
from sms_metrics.config import Settings
from sms_metrics.errors import InputError
from sms_metrics.register.db import DatabaseBusy, transaction
from sms_metrics.register.incidents.ingest import ingest_alerts
from sms_metrics.register.webhook.schema import WebhookPayload

log = logging.getLogger(__name__)


def write_delivery(
    sessions, payload: WebhookPayload, *, catalogue: Catalogue | None, now: datetime, reopen_window: timedelta
) -> dict[str, int]:
    """Apply one delivery in one transaction; what happened to its alerts, counted."""
    with transaction(sessions) as session:
        return dict(
            Tally(
                ingest_alerts(
                    session,
                    alerts=[a.event() for a in payload.alerts],
                    catalogue=catalogue,
                    now=now,
                    reopen_window=reopen_window,
                )
            )
        )


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
    def __init__(self, settings: Settings, catalogue: Catalogue | None, sessions, threads: int = 4):
        self.settings, self.catalogue, self.sessions = settings, catalogue, sessions
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="register-writer")

    async def write(self, payload, body, now):
        window = timedelta(seconds=self.settings.reopen_window_seconds)
        self.pending += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(
                self._pool,
                lambda: write_delivery(self.sessions, payload, catalogue=self.catalogue, now=now, reopen_window=window),
            )
        finally:
            self.pending -= 1

    def close(self) -> None:
        self._pool.shutdown(wait=True)


def _writer_main(conn, settings: Settings, catalogue: Catalogue | None) -> None:
    """The writer process: one delivery at a time until the server's end of the pipe closes."""
    system = build(settings, catalogue=catalogue, migrate=False)
    sessions = system.sessions
    window = timedelta(seconds=settings.reopen_window_seconds)
    while True:
        try:
            body, now = conn.recv()
        except (EOFError, OSError):
            break
        try:
            payload = WebhookPayload.model_validate_json(body)
            reply = (
                "ok",
                write_delivery(
                    sessions, payload, catalogue=catalogue, now=datetime.fromtimestamp(now, UTC), reopen_window=window
                ),
            )
        except DatabaseBusy as exc:
            reply = ("busy", str(exc))
        except InputError as exc:
            reply = ("input", str(exc))
        except Exception as exc:
            reply = ("error", f"{type(exc).__name__}: {exc}")
        try:
            conn.send(reply)
        except (EOFError, OSError):
            break
    system.close()


class ProcessWriter(DeliveryWriter):
    def __init__(self, settings: Settings, catalogue: Catalogue | None):
        self.settings, self.catalogue = settings, catalogue
        # the server has threads: never fork it; a fork server (single-threaded, with the register code
        # loaded once) starts writers in milliseconds
        self._ctx = multiprocessing.get_context("forkserver")
        self._ctx.set_forkserver_preload([__name__])
        self._proc = None
        self._conn = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="register-writer-pipe")

    def start(self) -> None:
        self._conn, child = self._ctx.Pipe()
        self._proc = self._ctx.Process(
            target=_writer_main, args=(child, self.settings, self.catalogue), name="sms-register-writer", daemon=True
        )
        self._proc.start()
        child.close()

    def _roundtrip(self, body: bytes, now: datetime):
        if self._proc is None or not self._proc.is_alive():
            self.start()
        try:
            self._conn.send((body, now.timestamp()))
            return self._conn.recv()
        except (EOFError, OSError) as exc:
            log.error("the register writer process died (%s); starting a new one", exc)
            self.start()
            return ("busy", "the register writer restarted; retry")

    async def write(self, payload, body, now):
        self.pending += 1
        try:
            kind, value = await asyncio.get_running_loop().run_in_executor(self._pool, self._roundtrip, body, now)
        finally:
            self.pending -= 1
        if kind == "ok":
            return value
        if kind == "input":
            raise InputError(value)
        if kind == "error":
            log.error("writing a delivery failed: %s", value)
        raise DatabaseBusy(value if kind == "busy" else f"the delivery could not be written: {value}")

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        if self._conn is not None:
            self._conn.close()
        if self._proc is not None:
            self._proc.join(10)
            if self._proc.is_alive():
                self._proc.kill()


def delivery_writer(system: System) -> DeliveryWriter:
    if system.settings.database_url.startswith("sqlite"):
        return ProcessWriter(system.settings, system.catalogue)
    return ThreadWriter(system.settings, system.catalogue, system.sessions)
