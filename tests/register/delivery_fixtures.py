"""What the tests of the leadership and delivery records share: the real app on SQLite or PostgreSQL, a
clock the test sets, the fake Prometheus of the generated tests (no measurement is tested here: those
tests run against a real Prometheus in tests/e2e), tokens with and without ``restricted``, and the
events the register emits."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from sms_metrics.app import create_app
from sms_metrics.bootstrap import build
from sms_metrics.catalogue import parse_catalogue
from sms_metrics.config import Settings
from tests.register.conftest import ADMIN, CATALOGUE, WEBHOOK
from tests.register.fakes import HealthyPrometheus

ROLES_CATALOGUE = CATALOGUE.replace(
    "  - name: checkout\n    criticality: high\n",
    "  - name: checkout\n    criticality: high\n    owner: carol\n    manager: ops-team\n"
    "    supplier_contact: acme support <support@acme.example>\n",
)
NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self, t: datetime):
        self.t = t

    def __call__(self) -> datetime:
        return self.t


def running_api(db):
    """The app on the test's database (use it in a fixture: ``yield from running_api(db)``)."""
    settings = Settings(database_url=db.url, webhook_token=WEBHOOK, admin_token=ADMIN)
    clock = Clock(NOW)
    system = build(settings, catalogue=parse_catalogue(ROLES_CATALOGUE), prometheus=HealthyPrometheus(), now=clock)
    events: list[tuple[str, str, str]] = []
    system.events.subscribe(lambda kind, event, rec: events.append((kind, event, rec.ref)))
    with TestClient(create_app(settings, system=system)) as c:
        c.headers["Authorization"] = f"Bearer {ADMIN}"
        c.system, c.clock, c.events = system, clock, events
        c.tokens = {}
        for name, role, restricted in (("vera", "viewer", False), ("mia", "manager", False), ("sam", "viewer", True)):
            r = c.post("/api/v1/tokens", json={"name": name, "role": role, "restricted": restricted})
            c.tokens[name] = {"Authorization": f"Bearer {r.json()['secret']}"}
        yield c
    system.close()


def move(api, path: str, rid: int, *states: str, **body) -> dict:
    rec: dict = {}
    for state in states:
        r = api.post(f"/api/v1/{path}/{rid}/transitions", json={"to": state, **body})
        assert r.status_code == 200, (state, r.text)
        rec = r.json()
    return rec


def create(api, path: str, **body) -> dict:
    r = api.post(f"/api/v1/{path}", json=body)
    assert r.status_code == 201, r.text
    return r.json()
