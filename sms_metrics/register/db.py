"""Engines and sessions. SQLite runs in WAL mode with synchronous=FULL; writes take the lock at once
(``BEGIN IMMEDIATE``), reads use deferred transactions and never wait for a writer.
``SMS_DATABASE_URL=postgresql+psycopg://...`` selects PostgreSQL."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from sms_metrics.errors import SmsError


class DatabaseBusy(SmsError):
    """The database is locked or overloaded; the caller may retry (HTTP 503)."""

    exit_code = 6


def make_engine(url: str, *, busy_timeout_ms: int = 5000, write: bool = True) -> Engine:
    """An engine on the register. On SQLite, ``write=False`` gives an engine for reads only: its
    transactions are deferred, so readers see a consistent snapshot without taking the write lock."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
            cur.close()

        begin = "BEGIN IMMEDIATE" if write else "BEGIN"

        @event.listens_for(engine, "begin")
        def _begin(conn):
            conn.exec_driver_sql(begin)

        return engine
    return create_engine(url, pool_pre_ping=True)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def _busy(exc: OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text or "could not serialize" in text


@contextlib.contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One write transaction: commits on success, rolls back on error, busy -> ``DatabaseBusy``."""
    session = factory()
    try:
        with session.begin():
            yield session
    except OperationalError as exc:
        if _busy(exc):
            raise DatabaseBusy(f"the register database is busy: {exc.orig}") from None
        raise
    finally:
        session.close()
