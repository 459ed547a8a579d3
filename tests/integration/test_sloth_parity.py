"""A Sloth user's rules, before and after: for a Sloth spec with an events SLI, the rules
sms-metrics generates and the rules Sloth documents for the same spec give the same error ratios
and fire the same alerts at the same minutes, over the same series (``promtool test rules``).

The truth is computed here minute by minute: the counters grow linearly between samples taken on
the minute, so Prometheus' ``rate`` over a window ending on a sample is exactly the counter
difference over that window (no extrapolation: the first sample is 0 and every window end is a
sample), and the error ratio is errors over total differences.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml

from sms_metrics.catalogue.importers import import_files
from sms_metrics.localstack.prometheus import find_binary
from sms_metrics.rules.generator import catalogue_rules
from sms_metrics.rules.writer import write_rules

pytestmark = pytest.mark.integration

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "sloth-parity"
MINUTES = 600
BUDGET = 0.005  # objective 99.5
WINDOWS = {"5m": 5, "30m": 30, "1h": 60, "2h": 120, "6h": 360, "1d": 1440, "3d": 4320}
PAGE = (("5m", "1h", 14.4), ("30m", "6h", 6.0))
TICKET = (("2h", "1d", 3.0), ("6h", "3d", 1.0))
# 1,000 postings a minute with 5 failures, then 30 minutes with 400 failures in 1,000, then calm again
SERIES = [
    {
        "series": 'ledger_postings_total{result="ok"}',
        "values": "0+1000x180 180600+600x29 199000+1000x389",
    },
    {
        "series": 'ledger_postings_total{result="failed"}',
        "values": "0+5x180 1300+400x29 12905+5x389",
    },
]


def _counter(values: str) -> np.ndarray:
    """Expand promtool's ``a+bxn`` segments into one value per minute."""
    out: list[float] = []
    for seg in values.split():
        start, rest = seg.split("+")
        step, n = rest.split("x")
        out += [float(start) + float(step) * k for k in range(int(n) + 1)]
    return np.array(out)


OK, FAILED = (_counter(s["values"]) for s in SERIES)
TOTAL = OK + FAILED


def ratio(window: str, t: int) -> float:
    lo = max(0, t - WINDOWS[window])
    return float((FAILED[t] - FAILED[lo]) / (TOTAL[t] - TOTAL[lo]))


def firing(t: int, pairs) -> bool | None:
    """Whether the multiwindow condition holds at minute ``t``; None within 1e-9 of a threshold."""
    out = False
    for short, long_, factor in pairs:
        values = [ratio(short, t), ratio(long_, t)]
        if any(abs(v - factor * BUDGET) < 1e-9 for v in values):
            return None
        out = out or all(v > factor * BUDGET for v in values)
    return out


@pytest.fixture(scope="module")
def rule_files(tmp_path_factory) -> dict[str, dict]:
    """``{"sms": ..., "sloth": ...}``: each a rule file and its alert rules by sloth_severity."""
    out_dir = tmp_path_factory.mktemp("rules")
    cat = import_files([HERE / "ledger.yaml"]).catalogue
    (path,) = write_rules(catalogue_rules(cat), out_dir, source="ledger.yaml")
    sloth = HERE / "ledger.sloth-rules.yml"
    files = {}
    for name, p in (("sms", path), ("sloth", sloth)):
        groups = yaml.safe_load(p.read_text())["groups"]
        alerts = {
            r["labels"]["sloth_severity"]: r
            for g in groups
            for r in g["rules"]
            if r.get("alert") == "LedgerPostingsFailing"
        }
        files[name] = {"path": p, "alerts": alerts, "groups": groups}
    return files


def _series_labels(which: str) -> dict[str, str]:
    labels = {
        "journey": "posting",
        "sloth_id": "Ledger-postings.v1",
        "sloth_service": "Ledger",
        "sloth_slo": "postings.v1",
        "team": "books",
    }
    return {**labels, "service": "ledger", "slo": "postings.v1"} if which == "sms" else labels


def _expanded(annotations: dict[str, str]) -> dict[str, str]:
    """Annotations as Prometheus sends them: the label templates filled in."""
    subs = {"{{$labels.sloth_service}}": "Ledger", "{{$labels.sloth_slo}}": "postings.v1"}
    out = {}
    for k, v in annotations.items():
        for a, b in subs.items():
            v = v.replace(a, b)
        out[k] = v
    return out


def _alert_tests(files: dict, which: str) -> list[dict]:
    alerts, tests = files[which]["alerts"], []
    for t in range(1, MINUTES + 1):
        states = {"page": firing(t, PAGE), "ticket": firing(t, TICKET)}
        if None in states.values():
            continue
        expected = [
            {
                "exp_labels": {**_series_labels(which), **alerts[sev]["labels"]},
                "exp_annotations": _expanded(alerts[sev]["annotations"]),
            }
            for sev, on in states.items()
            if on
        ]
        tests.append({"eval_time": f"{t}m", "alertname": "LedgerPostingsFailing", "exp_alerts": expected})
    return tests


def _value_tests(which: str) -> list[dict]:
    tests = []
    for t in range(10, MINUTES + 1, 10):
        for w in WINDOWS:
            expr = (
                f'abs(sum(slo:sli_error:ratio_rate{w}{{sloth_id="Ledger-postings.v1"}}) - {ratio(w, t)!r}) < bool 1e-12'
            )
            tests.append({"expr": expr, "eval_time": f"{t}m", "exp_samples": [{"labels": "{}", "value": 1}]})
        burn = ratio("5m", t) / BUDGET
        expr = f'abs(sum(slo:current_burn_rate:ratio{{sloth_id="Ledger-postings.v1"}}) - {burn!r}) < bool 1e-9'
        tests.append({"expr": expr, "eval_time": f"{t}m", "exp_samples": [{"labels": "{}", "value": 1}]})
    # before the incident the ratio has been the same all along: the 30-day figures agree too
    for rec, v in (("slo:sli_error:ratio_rate30d", 5 / 1005), ("slo:period_burn_rate:ratio", 5 / 1005 / BUDGET)):
        expr = f'abs(sum({rec}{{sloth_id="Ledger-postings.v1"}}) - {v!r}) < bool 1e-9'
        tests.append({"expr": expr, "eval_time": "170m", "exp_samples": [{"labels": "{}", "value": 1}]})
    return tests


def _promtool(files: dict, which: str, tests: list[dict], tmp_path: Path) -> subprocess.CompletedProcess:
    """Run ``tests`` on one rule file. Sloth's alerts read recordings of other groups: the groups are
    evaluated in their file's order, so its alerts see the same evaluation's ratios (in Prometheus
    they may see ratios up to one evaluation old; sms-metrics keeps an SLO in one group for that)."""
    order = [g["name"] for g in files[which]["groups"]]
    suite = {
        "rule_files": [str(files[which]["path"])],
        "evaluation_interval": "1m",
        "group_eval_order": order,
        "tests": tests,
    }
    path = tmp_path / "suite.yml"
    path.write_text(yaml.safe_dump(suite, sort_keys=False))
    return subprocess.run([find_binary("promtool"), "test", "rules", str(path)], capture_output=True, text=True)


def test_the_scenario_pages_and_tickets_so_the_comparison_means_something():
    page = [t for t in range(1, MINUTES + 1) if firing(t, PAGE)]
    ticket = [t for t in range(1, MINUTES + 1) if firing(t, TICKET)]
    # the page starts a few minutes into the incident (minute 180) and stops within 30 minutes of its end
    assert 185 <= page[0] <= 195 and 210 <= page[-1] <= 240 and len(page) > 20
    # the 1x ticket holds while the incident is inside the 6h window: until minute 570 = 210 + 6h
    assert ticket[0] < 200 and ticket[-1] == 569


@pytest.mark.parametrize("which", ["sms", "sloth"])
def test_alerts_fire_at_the_same_minutes_with_the_specs_names_labels_and_annotations(rule_files, which, tmp_path):
    tests = [{"interval": "1m", "input_series": SERIES, "alert_rule_test": _alert_tests(rule_files, which)}]
    done = _promtool(rule_files, which, tests, tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


@pytest.mark.parametrize("which", ["sms", "sloth"])
def test_recorded_error_ratios_and_burn_rates_are_the_same(rule_files, which, tmp_path):
    tests = [{"interval": "1m", "input_series": SERIES, "promql_expr_test": _value_tests(which)}]
    done = _promtool(rule_files, which, tests, tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def test_both_rule_sets_carry_the_same_alert_labels_and_the_specs_annotations(rule_files):
    sms, sloth = rule_files["sms"]["alerts"], rule_files["sloth"]["alerts"]
    for sev in ("page", "ticket"):
        # sms-metrics adds its own labels (service, slo) and annotations; Sloth's are all there
        assert sloth[sev]["labels"].items() <= sms[sev]["labels"].items()
        assert sloth[sev]["annotations"].items() <= sms[sev]["annotations"].items()
