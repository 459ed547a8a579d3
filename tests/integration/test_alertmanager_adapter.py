"""The Alertmanager adapter against a real Alertmanager: firing alerts with their labels, silenced and
resolved ones left out, and a one-line error naming the URL when it cannot be reached."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests

from sms_metrics.adapters.alertmanager import AlertmanagerHTTP, alerts_link
from sms_metrics.errors import AlertmanagerError
from sms_metrics.localstack.alertmanager import LocalAlertmanager

pytestmark = pytest.mark.integration


def _at(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_firing_alerts_come_back_with_their_labels(tmp_path):
    with LocalAlertmanager(tmp_path, webhook_url="http://127.0.0.1:9/hook", token=None) as am:
        alerts = [
            {
                "labels": {"alertname": "ErrorBudgetBurn", "service": "checkout", "severity": "page"},
                "annotations": {"summary": "burn"},
                "generatorURL": "http://prom/graph",
            },
            {"labels": {"alertname": "SLONoData", "service": "search"}},
            {
                "labels": {"alertname": "Old", "service": "search"},
                "startsAt": _at(-timedelta(hours=2)),
                "endsAt": _at(-timedelta(hours=1)),
            },
            {"labels": {"alertname": "Hushed", "service": "search"}},
        ]
        assert requests.post(f"{am.url}/api/v2/alerts", json=alerts, timeout=10).status_code == 200
        silence = {
            "matchers": [{"name": "alertname", "value": "Hushed", "isRegex": False}],
            "startsAt": _at(-timedelta(minutes=1)),
            "endsAt": _at(timedelta(hours=1)),
            "createdBy": "test",
            "comment": "quiet",
        }
        assert requests.post(f"{am.url}/api/v2/silences", json=silence, timeout=10).status_code == 200
        firing = sorted(AlertmanagerHTTP(am.url).firing(), key=lambda a: a.name)
    assert [(a.name, a.service) for a in firing] == [("ErrorBudgetBurn", "checkout"), ("SLONoData", "search")]
    burn = firing[0]
    assert burn.labels["severity"] == "page" and burn.annotations == {"summary": "burn"}
    assert burn.generator_url == "http://prom/graph" and burn.fingerprint


def test_an_unreachable_alertmanager_is_one_line_naming_it():
    with pytest.raises(AlertmanagerError, match=r"^cannot reach Alertmanager at http://127\.0\.0\.1:9: "):
        AlertmanagerHTTP("http://127.0.0.1:9", timeout=2).firing()


def test_a_link_lists_the_alert_in_alertmanagers_ui():
    link = alerts_link("http://am:9093/", {"alertname": "ErrorBudgetBurn", "service": "checkout", "instance": "x"})
    assert link == "http://am:9093/#/alerts?filter=%7Balertname%3D%22ErrorBudgetBurn%22%2Cservice%3D%22checkout%22%7D"
