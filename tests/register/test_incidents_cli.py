"""`sms-metrics incidents ...` on the register the service writes."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from sms_metrics.catalogue import parse_catalogue
from sms_metrics.register.db import make_engine, session_factory, transaction
from sms_metrics.register.incidents.ingest import ingest_alerts
from sms_metrics.register.migrations import upgrade
from sms_metrics.register.webhook.schema import WebhookAlert
from tests.integration.conftest import run_cli
from tests.register.conftest import CATALOGUE, alert

pytestmark = pytest.mark.integration


def test_list_and_move_incidents_from_the_shell(tmp_path):
    url = f"sqlite:///{tmp_path / 'r.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with transaction(session_factory(engine)) as s:
        for fp in ("c1", "c2"):
            ingest_alerts(
                s,
                alerts=[WebhookAlert.model_validate(alert(fp)).event()],
                catalogue=parse_catalogue(CATALOGUE),
                now=datetime.now(UTC),
            )
    env = {"SMS_DATABASE_URL": url}
    done = run_cli("incidents", "list", "--status", "open", "--format", "json", env=env)
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    assert [i["fingerprint"] for i in listed] == ["c2", "c1"] and listed[0]["priority"] == "P1"
    done = run_cli("incidents", "ack", str(listed[1]["id"]), "--actor", "alice", env=env)
    assert done.returncode == 0 and done.stdout.strip() == f"incident {listed[1]['id']}: acknowledged"
    done = run_cli("incidents", "assign", str(listed[1]["id"]), "--to", "bob", env=env)
    assert done.returncode == 0
    done = run_cli("incidents", "close", str(listed[1]["id"]), env=env)
    assert done.returncode == 2
    assert (
        "cannot go from assigned to closed; allowed from assigned: acknowledged, escalated, pending, resolved"
        in done.stderr
    )
    assert "Traceback" not in done.stderr
