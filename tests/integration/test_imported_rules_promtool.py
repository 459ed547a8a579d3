"""Rules generated from imported Sloth and OpenSLO files: promtool accepts them all, OpenSLO alert
policies fire as their conditions say, threshold bounds compare the right way round."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from sms_metrics.catalogue import parse_catalogue
from sms_metrics.catalogue.importers import import_files
from sms_metrics.commands.rules import check
from sms_metrics.localstack.prometheus import find_binary
from sms_metrics.rules.generator import catalogue_rules
from sms_metrics.rules.writer import write_rules

pytestmark = pytest.mark.integration
IMPORTS = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
SETS = [
    ["sloth/payments.yaml", "sloth/windows-7d.yaml"],
    ["sloth/payments.yaml"],
    ["sloth/k8s-ledger.yaml"],
    ["sloth/k8s-list.yaml"],
    ["sloth/no-alerts.yaml"],
    ["sloth/openslo-v1alpha.yaml"],
    ["openslo/single-ratio.yaml"],
    ["openslo/stream.yaml", "openslo/alerting.yaml"],
    ["openslo/list-thresholds.yaml"],
    ["openslo/timeslices.yaml"],
]  # sloth/victoria.yaml holds MetricsQL, which promtool does not parse


def _write(cat, out: Path) -> Path:
    write_rules(catalogue_rules(cat), out, source="imported.yaml")
    return out


@pytest.mark.parametrize("files", SETS, ids=lambda f: "+".join(f))
def test_promtool_accepts_the_rules_of_every_imported_variant(files, tmp_path):
    cat = import_files([IMPORTS / f for f in files]).catalogue
    assert check(_write(cat, tmp_path / "rules")) == []


def _promtool(rule_dir: Path, tests: list[dict], tmp_path: Path) -> subprocess.CompletedProcess:
    suite = {
        "rule_files": [str(p) for p in sorted(rule_dir.glob("*.yml"))],
        "evaluation_interval": "1m",
        "tests": tests,
    }
    path = tmp_path / "suite.yml"
    path.write_text(yaml.safe_dump(suite, sort_keys=False))
    return subprocess.run([find_binary("promtool"), "test", "rules", str(path)], capture_output=True, text=True)


def test_an_openslo_policy_fires_per_notification_target_after_alert_after_and_on_no_data(tmp_path):
    cat = import_files([IMPORTS / "openslo/stream.yaml", IMPORTS / "openslo/alerting.yaml"]).catalogue
    rules = _write(cat, tmp_path / "rules")
    # 100 robots; 1 stuck (burn rate 0.5) for an hour, then 10 stuck (burn rate 5); the series stop at 130m
    series = [
        {"series": 'warehouse_robots{state="stuck"}', "values": "1x60 10x70"},
        {"series": 'warehouse_robots{state="working"}', "values": "99x60 90x70"},
    ]
    ids = {"sloth_id": "warehouse-robots-working", "sloth_service": "warehouse", "sloth_slo": "robots-working"}
    base = {
        "severity": "page",
        "team": "fleet",
        "notify_resolved": "true",
        "service": "warehouse",
        "slo": "robots-working",
    }
    burning = {**ids, **base, "site": "fra1"}  # the series labels (service labels) are on the burn part

    def expected(labels: dict) -> list[dict]:
        return [
            {"exp_labels": {**labels, "notification_target": t}, "exp_annotations": annotations}
            for t in ("fleet-chat", "fleet-pager")
        ]

    rule = next(r for g in yaml.safe_load(next(rules.glob("*.yml")).read_text())["groups"] for r in g["rules"]
                if r.get("alert") == "robots-fast-burn")  # fmt: skip
    annotations = rule["annotations"]
    checks = [
        {"eval_time": "70m", "alertname": "robots-fast-burn", "exp_alerts": []},
        # the 1h ratio passes 2 x 2% once 20 of the last 60 minutes had 10% stuck: minute ~81, firing 5m later
        {"eval_time": "80m", "alertname": "robots-fast-burn", "exp_alerts": []},
        {"eval_time": "100m", "alertname": "robots-fast-burn", "exp_alerts": expected(burning)},
        # no sample in the last hour from minute 191: no data, pending 5m, firing (absent() keeps the ids)
        {"eval_time": "193m", "alertname": "robots-fast-burn", "exp_alerts": []},
        {"eval_time": "200m", "alertname": "robots-fast-burn", "exp_alerts": expected({**ids, **base})},
    ]
    tests = [{"interval": "1m", "input_series": series, "alert_rule_test": checks}]
    done = _promtool(rules, tests, tmp_path)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr


def test_threshold_bounds_compare_the_right_way_round_at_the_bound(tmp_path):
    cat = parse_catalogue("""
apiVersion: sms-metrics/v1
services:
  - name: g
    slos:
      - {name: max, objective: 99, sli: {threshold: {query: gauge, max: 5}}}
      - {name: below, objective: 99, sli: {threshold: {query: gauge, below: 5}}}
      - {name: min, objective: 99, sli: {threshold: {query: gauge, min: 5}}}
      - {name: above, objective: 99, sli: {threshold: {query: gauge, above: 5}}}
""")
    rules = _write(cat, tmp_path / "rules")
    series = [{"series": "gauge", "values": "5x20"}]  # always exactly at the bound
    checks = [
        {
            "expr": f'slo:sli_error:ratio_rate5m{{sloth_slo="{name}"}}',
            "eval_time": "10m",
            "exp_samples": [
                {
                    "labels": f'slo:sli_error:ratio_rate5m{{service="g", slo="{name}", sloth_id="g-{name}", '
                    f'sloth_service="g", sloth_slo="{name}", sloth_window="5m"}}',
                    "value": value,
                }
            ],
        }
        for name, value in (("max", 0), ("below", 1), ("min", 0), ("above", 1))
    ]
    done = _promtool(rules, [{"interval": "1m", "input_series": series, "promql_expr_test": checks}], tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
