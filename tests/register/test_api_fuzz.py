"""Bad input everywhere: a schema-driven fuzzer (schemathesis) sends generated requests to every
operation of the API, with the admin token, and no answer is a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from sms_metrics.app import create_app
from sms_metrics.bootstrap import build
from sms_metrics.catalogue import parse_catalogue
from sms_metrics.config import Settings
from tests.register.conftest import ADMIN, CATALOGUE, WEBHOOK
from tests.register.fakes import HealthyPrometheus

pytestmark = pytest.mark.integration
EXAMPLES = 20  # per operation


def _fuzz(operation, token: str, failures: list[str]) -> None:
    @settings(
        max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None
    )
    @given(case=operation.as_strategy())
    def fuzz(case):
        response = case.call(headers={"Authorization": f"Bearer {token}"})
        if response.status_code >= 500:
            failures.append(f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:200]}")

    fuzz()


def test_no_generated_request_gets_a_server_error(tmp_path):
    conf = Settings(database_url=f"sqlite:///{tmp_path / 'register.db'}", admin_token=ADMIN, webhook_token=WEBHOOK)
    system = build(conf, catalogue=parse_catalogue(CATALOGUE), prometheus=HealthyPrometheus())
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(conf, system=system))
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        _fuzz(operation, WEBHOOK if operation.path == "/api/v1/webhooks/alertmanager" else ADMIN, failures)
    assert operations >= 40
    assert failures == []
