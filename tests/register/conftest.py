"""The register's tests run the real app on a real SQLite file (WAL, synchronous=FULL)."""

from __future__ import annotations

import copy
import itertools
import shutil
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from sms_metrics.app import create_app
from sms_metrics.catalogue import parse_catalogue
from sms_metrics.config import Settings
from sms_metrics.register.db import make_engine
from sms_metrics.register.migrations import upgrade

CATALOGUE = """
apiVersion: sms-metrics/v1
services:
  - name: checkout
    criticality: high
    sla:
      availability_target: 99.9
      response_minutes:   {P1: 15,  P2: 60,  P3: 240,  P4: 1440}
      resolution_minutes: {P1: 240, P2: 480, P3: 2880, P4: 10080}
    slos:
      - name: availability
        objective: 99.9
        window: 30d
        sli: {probe: 'probe_success{service="checkout"}'}
  - name: desk
    criticality: low
    sla:
      availability_target: 99
      timezone: Europe/Berlin
      service_hours: "Mon-Fri 08:00-18:00"
      response_minutes: {P3: 60}
      resolution_minutes: {P3: 480}
"""
WEBHOOK, ADMIN = "hook-secret", "admin-secret"


def alert(
    fingerprint="a1",
    status="firing",
    starts="2026-11-02T10:00:00Z",
    ends="0001-01-01T00:00:00Z",
    service="checkout",
    severity="page",
    **labels,
):
    return {
        "status": status,
        "fingerprint": fingerprint,
        "startsAt": starts,
        "endsAt": ends,
        "generatorURL": "http://prometheus/graph?g0.expr=x",
        "labels": {
            "alertname": "ErrorBudgetBurn",
            "service": service,
            "slo": "availability",
            "severity": severity,
            **labels,
        },
        "annotations": {"summary": f"{service} burns its budget", "runbook_url": "https://runbooks/x"},
    }


def payload(*alerts, truncated=0):
    status = "firing" if any(a["status"] == "firing" for a in alerts) else "resolved"
    return {
        "version": "4",
        "groupKey": '{}:{alertname="ErrorBudgetBurn"}',
        "truncatedAlerts": truncated,
        "status": status,
        "receiver": "sms",
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager",
        "alerts": [copy.deepcopy(a) for a in alerts],
    }


class Database:
    """The register database of one test, on either backend."""

    def __init__(self, url: str):
        self.url = url
        self.engine = create_engine(url.replace("postgresql+psycopg", "postgresql+psycopg"))

    def rows(self, sql: str) -> list[tuple]:
        with self.engine.connect() as con:
            return [tuple(r) for r in con.execute(text(sql)).fetchall()]


@pytest.fixture(scope="session")
def postgres():
    from sms_metrics.localstack.postgres import LocalPostgres

    with LocalPostgres() as pg:
        yield pg


_names = itertools.count()


def _migrated(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()  # SQLite: the last connection's close checkpoints the WAL into the file


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A register file at the newest schema, migrated once per test process (the migrations themselves are
    tested from every revision in test_migrations.py); each test's register starts as a copy of it."""
    path = tmp_path_factory.mktemp("template") / "register.db"
    _migrated(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres):
    """The same on PostgreSQL: a database at the newest schema that CREATE DATABASE ... TEMPLATE copies."""
    name = f"template_{next(_names)}"
    _migrated(postgres.create_database(name))
    return name


def _database(request, tmp_path, *, migrated: bool):
    if request.param == "sqlite":
        if migrated:
            shutil.copyfile(request.getfixturevalue("sqlite_template"), tmp_path / "register.db")
        database = Database(f"sqlite:///{tmp_path / 'register.db'}")
    else:
        template = request.getfixturevalue("postgres_template") if migrated else None
        database = Database(request.getfixturevalue("postgres").create_database(f"t{next(_names)}", template=template))
    yield database
    database.engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    """A register at the newest schema, on each backend."""
    yield from _database(request, tmp_path, migrated=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db(request, tmp_path):
    """An empty database, on each backend, for the tests that run the migrations themselves."""
    yield from _database(request, tmp_path, migrated=False)


def register_app(db: Database):
    """The app every register test serves: the test catalogue, the webhook and admin tokens, on ``db``."""
    settings = Settings(database_url=db.url, webhook_token=WEBHOOK, admin_token=ADMIN)
    return create_app(settings, catalogue=parse_catalogue(CATALOGUE))


@pytest.fixture()
def client(db):
    with TestClient(register_app(db)) as c:
        c.hook = lambda body, **kw: c.post(
            "/api/v1/webhooks/alertmanager", json=body, headers={"Authorization": f"Bearer {WEBHOOK}"}, **kw
        )
        c.admin = {"Authorization": f"Bearer {ADMIN}"}
        yield c


def utc(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00")).astimezone(UTC)
