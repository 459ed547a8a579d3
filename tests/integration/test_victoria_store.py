"""A catalogue whose store is VictoriaMetrics: its MetricsQL rules run on a real VictoriaMetrics,
while promtool, which reads PromQL only, refuses them (why the catalogue names its store)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import requests

from sms_metrics.catalogue.importers import import_files
from sms_metrics.commands.rules import check
from sms_metrics.localstack.victoria import LocalVictoria
from sms_metrics.rules.generator import catalogue_rules
from sms_metrics.rules.writer import write_rules

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("victoria-metrics") is None, reason="needs Debian's victoria-metrics"),
]
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "imports" / "sloth" / "victoria.yaml"


def test_metricsql_rules_run_on_victoriametrics_and_promtool_refuses_them(tmp_path):
    cat = import_files([FIXTURE]).catalogue
    assert cat.store == "victoriametrics"
    rules = catalogue_rules(cat)
    exprs = [r["expr"] for groups in rules.values() for g in groups for r in g["rules"]]
    assert any("histogram_share" in e for e in exprs)
    with LocalVictoria(tmp_path) as vm:
        for expr in exprs:
            answer = requests.get(f"{vm.url}/api/v1/query", params={"query": expr}, timeout=10).json()
            assert answer["status"] == "success", (expr, answer)
    write_rules(rules, tmp_path / "rules", source="sms.yaml")
    problems = check(tmp_path / "rules")
    assert any("histogram_share" in p for p in problems)
