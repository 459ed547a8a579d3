"""Evidence-pack tests: a real Prometheus over a backfilled October 2026 of checkout's probe (one 45-minute
outage), the register on SQLite and PostgreSQL, and the register's clock set inside that history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from sms_metrics.localstack.openmetrics import write_eof, write_family
from sms_metrics.localstack.prometheus import LocalPrometheus, backfill
from tests.e2e.test_service_control import Clock  # noqa: F401  (the register's settable clock)
from tests.register.conftest import Database, db, postgres, postgres_template, sqlite_template  # noqa: F401

OUTAGE = (datetime(2026, 10, 10, 12, tzinfo=UTC), datetime(2026, 10, 10, 12, 45, tzinfo=UTC))


def probe_history(path) -> None:
    start, end = datetime(2026, 9, 28, tzinfo=UTC), datetime(2026, 11, 4, tzinfo=UTC)
    ts = np.arange(start.timestamp(), end.timestamp(), 60.0) + 15  # one sample per minute, 15 s in
    values = np.ones(len(ts))
    values[(ts >= OUTAGE[0].timestamp()) & (ts < OUTAGE[1].timestamp())] = 0
    with open(path, "w") as out:
        write_family(out, "probe_success", "gauge", [({"service": "checkout", "probe": "home"}, ts, values)])
        write_eof(out)


@pytest.fixture(scope="session")
def prometheus(tmp_path_factory):
    work = tmp_path_factory.mktemp("evidence-prom")
    probe_history(work / "h.om")
    backfill(work / "h.om", work / "tsdb")
    with LocalPrometheus(work) as prom:
        yield prom


@pytest.fixture()
def sqlite_db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'register.db'}")
    yield database
    database.engine.dispose()


def at(day: int, hour: int = 10, minute: int = 0, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def later(t: datetime, **kw) -> datetime:
    return t + timedelta(**kw)
