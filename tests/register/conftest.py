"""The register's tests run the real app on a real SQLite file (WAL, synchronous=FULL)."""

from __future__ import annotations

import copy
import sqlite3
from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient

from sms_metrics.app import create_app
from sms_metrics.catalogue import parse_catalogue
from sms_metrics.config import Settings

CATALOGUE = """
apiVersion: sms-metrics/v1
services:
  - name: checkout
    criticality: high
    sla:
      availability_target: 99.9
      response_minutes:   {P1: 15,  P2: 60,  P3: 240,  P4: 1440}
      resolution_minutes: {P1: 240, P2: 480, P3: 2880, P4: 10080}
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


def alert(fingerprint="a1", status="firing", starts="2026-11-02T10:00:00Z", ends="0001-01-01T00:00:00Z",
          service="checkout", severity="page", **labels):
    return {"status": status, "fingerprint": fingerprint, "startsAt": starts, "endsAt": ends,
            "generatorURL": "http://prometheus/graph?g0.expr=x",
            "labels": {"alertname": "ErrorBudgetBurn", "service": service, "slo": "availability",
                       "severity": severity, **labels},
            "annotations": {"summary": f"{service} burns its budget", "runbook_url": "https://runbooks/x"}}


def payload(*alerts, truncated=0):
    status = "firing" if any(a["status"] == "firing" for a in alerts) else "resolved"
    return {"version": "4", "groupKey": "{}:{alertname=\"ErrorBudgetBurn\"}", "truncatedAlerts": truncated,
            "status": status, "receiver": "sms", "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
            "externalURL": "http://alertmanager", "alerts": [copy.deepcopy(a) for a in alerts]}


@pytest.fixture()
def db_path(tmp_path):
    return tmp_path / "register.db"


@pytest.fixture()
def client(db_path):
    settings = Settings(database_url=f"sqlite:///{db_path}", webhook_token=WEBHOOK, admin_token=ADMIN)
    app = create_app(settings, catalogue=parse_catalogue(CATALOGUE))
    with TestClient(app) as c:
        c.hook = lambda body, **kw: c.post("/api/v1/webhooks/alertmanager", json=body,
                                           headers={"Authorization": f"Bearer {WEBHOOK}"}, **kw)
        c.admin = {"Authorization": f"Bearer {ADMIN}"}
        yield c


def rows(db_path, sql):
    con = sqlite3.connect(db_path)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def utc(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00")).astimezone(timezone.utc)
