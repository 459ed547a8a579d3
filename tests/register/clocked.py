"""A register app whose clock the test sets (``client.clock.t = ...``), on any database, for tests of
due times, periods and jobs."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime

from fastapi.testclient import TestClient

from sms_metrics.app import create_app
from sms_metrics.bootstrap import build
from sms_metrics.catalogue import parse_catalogue
from sms_metrics.config import Settings


class Clock:
    def __init__(self, t: datetime):
        self.t = t

    def __call__(self) -> datetime:
        return self.t


@contextlib.contextmanager
def clocked_client(url: str, start: datetime, catalogue: str, admin: str, **settings) -> Iterator[TestClient]:
    """The app on the register ``url`` with the admin token ``admin``; ``client.system`` and ``client.clock``."""
    config = Settings(database_url=url, admin_token=admin, **settings)
    clock = Clock(start)
    system = build(config, catalogue=parse_catalogue(catalogue), now=clock)
    try:
        with TestClient(create_app(config, system=system)) as c:
            c.headers["Authorization"] = f"Bearer {admin}"
            c.clock, c.system, c.settings = clock, system, config
            yield c
    finally:
        system.close()
