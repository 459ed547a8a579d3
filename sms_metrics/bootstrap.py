"""The composition root: settings, register engines, catalogue, Prometheus client, notifier and
clock are built once here and handed to the app, the CLI, the jobs and the writer process."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from sms_metrics.adapters.notifier import Notifier, NullNotifier
from sms_metrics.catalogue.model import Catalogue
from sms_metrics.config import Settings
from sms_metrics.register.db import make_engine, session_factory

if TYPE_CHECKING:
    from sms_metrics.adapters.prometheus import PrometheusPort

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Events:
    """After a write commits, what happened is told to the subscribers (notifications, gauges)."""

    def __init__(self) -> None:
        self._subscribers: list[Callable[[str, str, object], None]] = []

    def subscribe(self, fn: Callable[[str, str, object], None]) -> None:
        self._subscribers.append(fn)

    def emit(self, kind: str, event: str, record: object) -> None:
        for fn in self._subscribers:
            try:
                fn(kind, event, record)
            except Exception:  # a subscriber never undoes a committed write
                log.exception("event subscriber failed on %s %s", kind, event)


@dataclass
class System:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]  # writes (BEGIN IMMEDIATE on SQLite)
    readers: sessionmaker[Session]  # reads (deferred, never wait for the writer)
    catalogue: Catalogue | None = None
    notifier: Notifier = field(default_factory=NullNotifier)
    now: Callable[[], datetime] = utc_now
    events: Events = field(default_factory=Events)
    _prometheus: PrometheusPort | None = None

    @property
    def prometheus(self) -> PrometheusPort:
        if self._prometheus is None:
            from sms_metrics.adapters.prometheus import PrometheusHTTP  # its client library is slow to import

            self._prometheus = PrometheusHTTP.from_settings(self.settings)
        return self._prometheus

    @cached_property
    def records(self):
        from sms_metrics.register.kinds import KINDS
        from sms_metrics.register.records.service import Records

        return Records(self, KINDS)

    def close(self) -> None:
        self.engine.dispose()
        if self.readers.kw.get("bind") is not None and self.readers.kw["bind"] is not self.engine:
            self.readers.kw["bind"].dispose()


def register_in_use(settings: Settings) -> bool:
    """Whether a register database is configured: SMS_DATABASE_URL given, or the default file exists."""
    if "database_url" in settings.model_fields_set:
        return True
    url = settings.database_url
    return url.startswith("sqlite:///") and Path(url.removeprefix("sqlite:///")).exists()


def load_catalogue_of(settings: Settings, path: Path | None) -> Catalogue | None:
    from sms_metrics.catalogue import load_catalogue

    path = path or settings.catalogue
    return load_catalogue(path) if path else None


def build(
    settings: Settings,
    *,
    catalogue: Catalogue | None = None,
    prometheus: PrometheusPort | None = None,
    notifier: Notifier | None = None,
    now: Callable[[], datetime] | None = None,
    migrate: bool = True,
) -> System:
    """Everything sms-metrics needs, built once from ``settings``; the register is migrated first."""
    engine = make_engine(settings.database_url, busy_timeout_ms=settings.database_busy_timeout_ms)
    if migrate:
        from sms_metrics.register.migrations import upgrade  # Alembic: loaded only where it runs

        upgrade(engine)
    if settings.database_url.startswith("sqlite"):
        reader = make_engine(settings.database_url, busy_timeout_ms=settings.database_busy_timeout_ms, write=False)
    else:
        reader = engine
    system = System(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        readers=session_factory(reader),
        catalogue=catalogue,
        notifier=notifier or NullNotifier(),
        now=now or utc_now,
        _prometheus=prometheus,
    )
    from sms_metrics.notify.outbox import QueuedNotifier, attach

    if notifier is None and settings.notify_url:
        system.notifier = QueuedNotifier(system)  # SMS_NOTIFY_URL: queued, logged and retried like a subscription
    attach(system)  # jobs' own events (SLA warnings, reviews due) reach the subscriptions
    return system
