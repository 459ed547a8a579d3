"""Burn-rate alerts follow the SLA calendar (promtool): an office-hours service pages nobody at night
or during maintenance, pages by day, and a missing calendar gauge (sms-metrics down) silences nothing."""

from __future__ import annotations

import pytest

from sms_metrics.rules.generator import CALENDAR_GUARD
from tests.integration.test_rules_promtool import _alert, _run, generated_rules

pytestmark = pytest.mark.integration

# promtool's time 0 is Thursday 1970-01-01 00:00 UTC, 01:00 in Berlin: office hours are 07:00-17:00 UTC.
CATALOGUE = """
apiVersion: sms-metrics/v1
services:
  - name: office
    sla: {availability_target: 99.9, timezone: Europe/Berlin, service_hours: "Mon-Fri 08:00-18:00"}
    slos:
      - {name: availability, objective: 99.9, window: 30d, sli: {probe: 'probe_success{service="office"}'}}
  - name: shop
    sla: {availability_target: 99.9}
    slos:
      - {name: availability, objective: 99.9, window: 30d, sli: {probe: 'probe_success{service="shop"}'}}
"""
GAUGE = '{name}{{service="office", instance="sms:8080", job="sms-metrics"}}'


@pytest.fixture(scope="module")
def rules(tmp_path_factory) -> dict:
    return generated_rules(CATALOGUE, tmp_path_factory.mktemp("calendar-rules"))


def _paged(groups) -> list[dict]:
    """The page and the ticket a 30-minute full outage fires (a 1h window at 50% errors burns both)."""
    out = []
    for severity in ("page", "ticket"):
        rule = _alert(groups["office"], "ErrorBudgetBurn", severity)
        labels = {"slo": "availability", "sloth_id": "office-availability", "sloth_service": "office"}
        labels |= {"sloth_slo": "availability", **rule["labels"]}
        out.append({"exp_labels": labels, "exp_annotations": rule["annotations"]})
    return out


def _outage(start_min: int, in_hours: str | None, maintenance: str | None = None) -> list[dict]:
    """Probe up, then down from ``start_min`` for 30 minutes; the calendar gauges as given (None: absent)."""
    series = [{"series": 'probe_success{service="office", probe="office-eu"}', "values": f"1x{start_min} 0x30 1x60"}]
    if in_hours is not None:
        series.append({"series": GAUGE.format(name="sms_service_in_hours"), "values": in_hours})
    if maintenance is not None:
        series.append({"series": GAUGE.format(name="sms_maintenance_active"), "values": maintenance})
    return series


def _suite(series: list[dict], eval_min: int, expected: list[dict]) -> dict:
    return {
        "interval": "1m",
        "input_series": series,
        "alert_rule_test": [{"eval_time": f"{eval_min}m", "alertname": "ErrorBudgetBurn", "exp_alerts": expected}],
    }


def test_only_services_with_hours_or_maintenance_carry_the_calendar_guard(rules):
    office = _alert(rules["groups"]["office"], "ErrorBudgetBurn", "page")["expr"]
    shop = _alert(rules["groups"]["shop"], "ErrorBudgetBurn", "page")["expr"]
    assert office.endswith(CALENDAR_GUARD) and CALENDAR_GUARD not in shop


def test_a_night_outage_of_an_office_hours_service_pages_nobody(rules, tmp_path):
    # 02:00-02:30 UTC (03:00 in Berlin): the gauge says outside service hours
    night = _suite(_outage(120, "0x200", "0x200"), 130, [])
    done = _run(rules, [night], tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_daytime_outage_pages(rules, tmp_path):
    # 10:00-10:30 UTC (11:00 in Berlin) on a Thursday: inside service hours, no maintenance
    day = _suite(_outage(600, "1x700", "0x700"), 610, _paged(rules["groups"]))
    done = _run(rules, [day], tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_an_outage_in_a_maintenance_window_pages_nobody(rules, tmp_path):
    planned = _suite(_outage(600, "1x700", "0x599 1x100"), 610, [])
    done = _run(rules, [planned], tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_missing_calendar_gauge_silences_nothing(rules, tmp_path):
    # sms-metrics itself is down: no gauges at all, at night; the outage still pages
    absent = _suite(_outage(120, None), 130, _paged(rules["groups"]))
    done = _run(rules, [absent], tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
