"""Notification tests run the real app (TestClient, the worker thread of ``serve``) on SQLite and
PostgreSQL, against receivers listening on 127.0.0.1."""

from __future__ import annotations

import contextlib
import time
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from sms_metrics.app import create_app
from sms_metrics.bootstrap import build
from sms_metrics.catalogue import parse_catalogue
from sms_metrics.config import Settings
from sms_metrics.register.kinds import KINDS
from tests.register.conftest import (  # noqa: F401
    ADMIN,
    CATALOGUE,
    WEBHOOK,
    Database,
    db,
    postgres,
    postgres_template,
    sqlite_template,
)
from tests.register.fakes import HealthyPrometheus

SECRET = "s3cret-key-for-hmac-0123456789"
FAST = {
    "notify_poll_seconds": 0.05,
    "notify_backoff_seconds": 0.2,
    "notify_timeout_seconds": 1.0,
    "notify_max_attempts": 3,
}


@pytest.fixture()
def sqlite_db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'register.db'}")
    yield database
    database.engine.dispose()


def restrict(system, name: str) -> None:
    """Make a kind restricted in this system only (no kind on main is restricted yet)."""
    kind = replace(KINDS[name], restricted=True)
    system.records.kinds[name] = kind
    system.records.by_path[kind.path] = kind


@contextlib.contextmanager
def running(database, restricted_kinds=(), **overrides):
    """The app over ``database``, its worker polling fast; ``c.token(role, restricted)`` makes tokens."""
    settings = Settings(database_url=database.url, webhook_token=WEBHOOK, admin_token=ADMIN, **{**FAST, **overrides})
    system = build(settings, catalogue=parse_catalogue(CATALOGUE), prometheus=HealthyPrometheus())
    for name in restricted_kinds:
        restrict(system, name)
    with TestClient(create_app(settings, system=system)) as c:
        c.system = system
        c.admin = {"Authorization": f"Bearer {ADMIN}"}

        def token(role: str, restricted: bool = False) -> dict:
            body = {"name": f"{role}-{int(restricted)}-{time.monotonic_ns()}", "role": role, "restricted": restricted}
            r = c.post("/api/v1/tokens", json=body, headers=c.admin)
            assert r.status_code == 201, r.text
            return {"Authorization": f"Bearer {r.json()['secret']}"}

        c.token = token
        c.hook = lambda body: c.post(
            "/api/v1/webhooks/alertmanager", json=body, headers={"Authorization": f"Bearer {WEBHOOK}"}
        )
        yield c


def deliveries(c, sub_id: int, *, until=None, timeout: float = 20.0) -> list[dict]:
    """The subscription's delivery log, waiting until ``until(log)`` holds."""
    deadline = time.monotonic() + timeout
    while True:
        rows = c.get(f"/api/v1/notification-subscriptions/{sub_id}/deliveries", headers=c.admin).json()
        if until is None or until(rows) or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)


def subscribe(c, headers=None, **body) -> dict:
    """Create a subscription (as admin unless ``headers`` say otherwise); the record."""
    r = c.post("/api/v1/notification-subscriptions", json={"name": "n", **body}, headers=headers or c.admin)
    assert r.status_code == 201, r.text
    return r.json()
