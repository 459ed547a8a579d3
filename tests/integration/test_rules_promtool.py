"""The generated rules' behaviour on series, proven with Prometheus's own `promtool test rules`."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from sms_metrics.catalogue import parse_catalogue
from sms_metrics.localstack.prometheus import find_binary
from sms_metrics.rules.generator import catalogue_rules
from sms_metrics.rules.writer import write_rules

pytestmark = pytest.mark.integration

CATALOGUE = """
apiVersion: sms-metrics/v1
services:
  - name: shop
    criticality: high
    slos:
      - name: availability
        objective: 99.9
        window: 30d
        sli: {probe: 'probe_success{service="shop"}'}
    capacity:
      - {name: disk, query: 'node_filesystem_avail_bytes', limit: 0, direction: down, lead_time: 14d}
  - name: api
    slos:
      - name: availability
        objective: 99.9
        window: 30d
        sli:
          events:
            errors: 'sum(rate(http_requests_total{service="api",code=~"5.."}[{{window}}]))'
            total: 'sum(rate(http_requests_total{service="api"}[{{window}}]))'
"""


def generated_rules(catalogue: str, out: Path) -> dict:
    """The rules of ``catalogue`` written to ``out``: ``{"dir": out, "groups": {service: groups}}``."""
    generated = catalogue_rules(parse_catalogue(catalogue))
    write_rules(generated, out, source="sms.yaml")
    return {"dir": out, "groups": generated}


@pytest.fixture(scope="module")
def rules(tmp_path_factory) -> dict:
    return generated_rules(CATALOGUE, tmp_path_factory.mktemp("rules"))


def _alert(groups, name, severity=None):
    for g in groups:
        for r in g["rules"]:
            if r.get("alert") == name and (severity is None or r["labels"].get("severity") == severity):
                return r
    raise KeyError(name)


def _expected(groups, service, name, severity):
    """The alert as promtool reports it: series labels plus the rule's labels and annotations."""
    rule = _alert(groups[service], name, severity)
    labels = {
        "service": service,
        "slo": "availability",
        "sloth_id": f"{service}-availability",
        "sloth_service": service,
        "sloth_slo": "availability",
        **rule["labels"],
    }
    return {"exp_labels": labels, "exp_annotations": rule["annotations"]}


def _run(rules, tests: list[dict], tmp_path: Path) -> subprocess.CompletedProcess:
    suite = {
        "rule_files": [str(p) for p in sorted(rules["dir"].glob("*.yml"))],
        "evaluation_interval": "1m",
        "tests": tests,
    }
    path = tmp_path / "suite.yml"
    path.write_text(yaml.safe_dump(suite, sort_keys=False))
    return subprocess.run([find_binary("promtool"), "test", "rules", str(path)], capture_output=True, text=True)


def test_full_outage_pages_within_two_minutes_of_the_short_window_and_stops_after_recovery(rules, tmp_path):
    g = rules["groups"]
    page, ticket = (_expected(g, "shop", "ErrorBudgetBurn", s) for s in ("page", "ticket"))
    # up for 2 h, down from 121m to 140m (20 samples), up again
    series = [{"series": 'probe_success{service="shop", probe="shop-eu"}', "values": "1x120 0x19 1x600"}]
    tests = [
        {
            "interval": "1m",
            "input_series": series,
            "alert_rule_test": [
                {"eval_time": "120m", "alertname": "ErrorBudgetBurn", "exp_alerts": []},
                # the 5m window is full of failures at 125m: paging by 127m at the latest
                {"eval_time": "127m", "alertname": "ErrorBudgetBurn", "exp_alerts": [page, ticket]},
                # 30 minutes after recovery the 30m window no longer burns: the page stops, the ticket stays
                {"eval_time": "175m", "alertname": "ErrorBudgetBurn", "exp_alerts": [ticket]},
            ],
        }
    ]
    # and the page starts at the first failing evaluation already
    tests.append(
        {
            "interval": "1m",
            "input_series": series,
            "alert_rule_test": [{"eval_time": "122m", "alertname": "ErrorBudgetBurn", "exp_alerts": [page, ticket]}],
        }
    )
    done = _run(rules, tests, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_slow_2x_burn_opens_a_ticket_but_never_pages(rules, tmp_path):
    ticket = _expected(rules["groups"], "api", "ErrorBudgetBurn", "ticket")
    series = [
        {"series": 'http_requests_total{service="api", code="200"}', "values": "0+998x720"},
        {"series": 'http_requests_total{service="api", code="500"}', "values": "0+2x720"},
    ]
    checks = [
        {"eval_time": t, "alertname": "ErrorBudgetBurn", "exp_alerts": [ticket]}
        for t in ("10m", "1h", "3h", "6h", "11h")
    ]
    done = _run(rules, [{"interval": "1m", "input_series": series, "alert_rule_test": checks}], tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_missing_samples_raise_the_no_data_alert(rules, tmp_path):
    no_data = _alert(rules["groups"]["shop"], "SLONoData")
    expected = {"exp_labels": no_data["labels"], "exp_annotations": no_data["annotations"]}
    series = [
        {"series": 'probe_success{service="shop", probe="shop-eu"}', "values": "1x30"},  # stops at 30m
        {"series": 'http_requests_total{service="api", code="200"}', "values": "0+100x90"},
    ]  # api keeps going
    checks = [
        {"eval_time": "20m", "alertname": "SLONoData", "exp_alerts": []},
        {"eval_time": "40m", "alertname": "SLONoData", "exp_alerts": []},  # absent, pending for 10m
        {"eval_time": "60m", "alertname": "SLONoData", "exp_alerts": [expected]},
    ]
    done = _run(rules, [{"interval": "1m", "input_series": series, "alert_rule_test": checks}], tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_recorded_values_equal_hand_computed_ratios(rules, tmp_path):
    api = (
        'service="api", slo="availability", sloth_id="api-availability", sloth_service="api", sloth_slo="availability"'
    )
    shop = api.replace("api", "shop")
    series = [
        {"series": 'http_requests_total{service="api", code="200"}', "values": "0+998x240"},
        {"series": 'http_requests_total{service="api", code="500"}', "values": "0+2x240"},
        {"series": 'probe_success{service="shop", probe="shop-eu"}', "values": "1x120 0x19 1x100"},
    ]
    exprs = [
        # 2 errors in 1,000 requests a minute
        ('slo:sli_error:ratio_rate5m{sloth_id="api-availability"}', "2h", api, 0.002),
        ('slo:sli_error:ratio_rate1h{sloth_id="api-availability"}', "2h", api, 0.002),
        # the 30-day ratio is averaged from the 5m recording: still 0.002, a burn rate of 2
        ('slo:sli_error:ratio_rate30d{sloth_id="api-availability"}', "2h", api, 0.002),
        ('slo:period_burn_rate:ratio{sloth_id="api-availability"}', "2h", api, 2.0),
        ('slo:period_error_budget_remaining:ratio{sloth_id="api-availability"}', "2h", api, -1.0),
        ('slo:objective:ratio{sloth_id="api-availability"}', "2h", api, 0.999),
        # 2 of the 60 probe samples of the last hour failed at 122m; all of the last 5 minutes at 130m
        ('slo:sli_error:ratio_rate5m{sloth_id="shop-availability"}', "130m", shop, 1.0),
        ('slo:current_burn_rate:ratio{sloth_id="shop-availability"}', "130m", shop, 1000.0),
    ]
    # equal to within 1e-9 (promtool compares floats exactly; the last digits are float arithmetic)
    tests = [
        {
            "interval": "1m",
            "input_series": series,
            "promql_expr_test": [
                {
                    "expr": f"abs({e} - {v!r}) < bool 1e-9",
                    "eval_time": t,
                    "exp_samples": [
                        {
                            "labels": "{"
                            + lab
                            + (
                                f', sloth_window="{e.split("ratio_rate")[1].split("{")[0]}"'
                                if "ratio_rate" in e
                                else ""
                            )
                            + "}",
                            "value": 1,
                        }
                    ],
                }
                for e, t, lab, v in exprs
            ],
        }
    ]
    done = _run(rules, tests, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_capacity_alert_fires_when_the_forecast_exhaustion_is_within_the_lead_time(rules, tmp_path):
    day = 86400
    # promtool's clock starts at 0: exhaustion forecast 20 days out, then 10 days out from 31m on
    series = [
        {
            "series": 'sms_capacity_exhaustion_timestamp_seconds{service="shop", resource="disk"}',
            "values": f"{20 * day}x30 {10 * day}x30",
        }
    ]
    firing = (
        '{__name__="ALERTS", alertname="CapacityExhaustionWithinLeadTime", alertstate="firing", '
        'resource="disk", service="shop", severity="ticket"}'
    )
    checks = [
        {"expr": 'ALERTS{alertname="CapacityExhaustionWithinLeadTime"}', "eval_time": "20m", "exp_samples": []},
        {
            "expr": 'ALERTS{alertname="CapacityExhaustionWithinLeadTime"}',
            "eval_time": "40m",
            "exp_samples": [{"labels": firing, "value": 1}],
        },
    ]
    done = _run(rules, [{"interval": "1m", "input_series": series, "promql_expr_test": checks}], tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
