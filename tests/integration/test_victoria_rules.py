"""The generated rules, unchanged, on VictoriaMetrics (evaluated by vmalert) and on Prometheus.

Both hold the same four days of history ending now. Prometheus evaluates the rule files itself;
vmalert (Debian ships it with VictoriaMetrics) evaluates them against VictoriaMetrics and writes
the recordings and alert series back to it. Recorded values are compared between evaluations
that saw the same samples (``rules_scenario.epoch``).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import requests

from sms_metrics.commands.rules import generate
from sms_metrics.core.durations import parse_duration
from sms_metrics.localstack.prometheus import LocalPrometheus, backfill
from sms_metrics.localstack.victoria import LocalVictoria, LocalVmalert
from tests.integration import rules_scenario as rs

pytestmark = pytest.mark.integration
RANGE = re.compile(r"\[(\d+(?:ms|s|m|h|d|w)+)(?::[^\]]*)?\]")


INTERVAL = 5.0
CHAINED = ("slo:current_burn_rate:ratio", "slo:period_burn_rate:ratio", "slo:period_error_budget_remaining:ratio")
# One sample of the window apart at each end at most: rate()-based SLIs (VictoriaMetrics does not
# extrapolate) and the threshold SLI, read through a one-minute subquery whose newest point Prometheus
# fills from a sample up to 5 minutes old and VictoriaMetrics only from one within about a sample
# interval (measured under load: 10 bad minutes over 1,438 points on VictoriaMetrics, 1,440 on Prometheus).
ONE_SAMPLE = {"api", "hist", "lat"}


def _raw(url: str, expr: str) -> dict[tuple, list[tuple[float, float]]]:
    got = requests.get(f"{url}/api/v1/query", params={"query": expr}, timeout=30).json()
    out = {}
    for s in got["data"]["result"]:
        key = tuple(sorted((k, v) for k, v in s["metric"].items() if k != "alertgroup"))
        out[key] = [(float(t), float(v)) for t, v in s.get("values") or [s["value"]]]
    return out


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rules-vm")
    history = rs.History()
    om = history.write(tmp / "history.om")
    catalogue = tmp / "sms.yaml"
    catalogue.write_text(rs.CATALOGUE)
    files = [str(f) for f in generate(catalogue, tmp / "rules")]
    texts = [Path(f).read_text() for f in files]
    windows = sorted({parse_duration(w) for text in texts for w in RANGE.findall(text)})
    backfill(om, tmp / "prom" / "tsdb")
    # -search.latencyOffset=0s: answer as of the asked instant (its default hides the last 30 s,
    # so vmalert would evaluate 30 s in the past; see the README)
    with (
        LocalPrometheus(tmp / "prom", rule_files=files, scrape_interval=f"{INTERVAL:g}s") as prom,
        LocalVictoria(tmp / "vm", extra_args=["-search.latencyOffset=0s"]) as vm,
    ):
        vm.import_openmetrics(om)
        with LocalVmalert(tmp / "vmalert", vm.url, files, interval=f"{INTERVAL:g}s") as vmalert:
            time.sleep(70)
            groups = requests.get(f"{vmalert.url}/api/v1/rules", timeout=10).json()["data"]["groups"]
            expr = '{__name__=~"slo:.+|sloth_slo_info"}[3m]'
            firing = 'ALERTS{alertstate="firing"}'
            yield {
                "prom": _raw(prom.url, expr),
                "vm": _raw(vm.url, expr),
                "prom_firing": set(_raw(prom.url, firing)),
                "vm_firing": set(_raw(vm.url, firing)),
                "windows": windows,
                "groups": groups,
                "rules": sum(text.count("- record:") + text.count("- alert:") for text in texts),
            }


def test_vmalert_loads_and_evaluates_every_generated_rule(evaluated):
    rules = [r for g in evaluated["groups"] for r in g["rules"]]
    assert len(evaluated["groups"]) == 4 and len(rules) == evaluated["rules"]
    assert [(r["name"], r["lastError"]) for r in rules if r.get("lastError")] == []


def _tolerance(key: tuple) -> float:
    """Exact for the probe SLI and constants; a sample interval at each end of the window for the others."""
    labels = dict(key)
    if labels.get("service") not in ONE_SAMPLE or not labels.get("sloth_window"):
        return 1e-9
    return 2.5 * 60.0 / parse_duration(labels["sloth_window"])


def _by_epoch(samples, windows) -> dict[tuple, float]:
    return {rs.epoch(t, windows): v for t, v in samples if rs.near_crossing(t, windows) is False}


def _from_own_recordings(key: tuple) -> bool:
    """SLO-period figures average the rules' own 1h recordings hour by hour: they exist only once
    an hour boundary has passed with recordings, on each engine in its own time."""
    labels = dict(key)
    return labels["__name__"] in CHAINED[1:] or parse_duration(labels.get("sloth_window", "1s")) >= 7 * 86400


def test_recordings_agree_between_evaluations_that_saw_the_same_samples(evaluated):
    prom, vm, windows = evaluated["prom"], evaluated["vm"], evaluated["windows"]
    mine = {k for k in prom if not _from_own_recordings(k)}
    assert {k for k in vm if not _from_own_recordings(k)} == mine and len(mine) == 55
    compared = 0
    for key, p_samples in prom.items():
        if key not in vm:
            continue
        p, chained = _by_epoch(p_samples, windows), dict(key)["__name__"] in CHAINED
        tol = _tolerance(key)
        for t, value in vm[key]:
            if rs.near_crossing(t, windows):
                continue
            # a chained rule reads what vmalert wrote an evaluation or two before (asynchronously)
            lags = (0, INTERVAL, 2 * INTERVAL) if chained else (0,)
            candidates = [p[e] for e in {rs.epoch(t - lag, windows) for lag in lags} if e in p]
            if not candidates:
                continue
            assert any(abs(value - c) <= tol * max(abs(c), 1e-12) + 1e-12 for c in candidates), (
                key,
                t,
                value,
                candidates,
            )
            compared += 1
    assert compared > 10 * len(prom) // 2  # most series compared at several instants


def test_the_same_burn_rate_alerts_fire(evaluated):
    firing = evaluated["prom_firing"]
    assert evaluated["vm_firing"] == firing
    assert {(dict(k)["service"], dict(k)["severity"]) for k in firing} >= {("web", "page"), ("web", "ticket")}
