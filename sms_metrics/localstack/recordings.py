"""Backfill the recording rules over history.

Prometheus evaluates rules only from its start, so a backfilled history would have no SLO
recordings (and dashboards nothing to draw) until the rules have run for the length of their
windows. A rule that reads another recording needs that recording in the TSDB first: the rules are
backfilled level by level (level 0 reads raw series only, level n reads recordings of lower
levels), each level through a Prometheus that holds the blocks of the levels before it.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from pathlib import Path

import numpy as np
import requests
import yaml

from sms_metrics.errors import LocalStackError
from sms_metrics.localstack.openmetrics import write_eof, write_family
from sms_metrics.localstack.prometheus import LocalPrometheus, backfill

log = logging.getLogger(__name__)
_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


def recording_rules(rule_files: list[Path]) -> list[dict]:
    """Every recording rule of the files, in file order (alerts left out)."""
    rules = []
    for f in rule_files:
        for group in (yaml.safe_load(Path(f).read_text()) or {}).get("groups", []):
            rules += [r for r in group.get("rules", []) if "record" in r]
    return rules


def recording_levels(rules: list[dict]) -> list[list[dict]]:
    """Rules grouped so that every rule only reads recordings of earlier groups."""
    names = {r["record"] for r in rules}
    deps = [{n for n in _NAME.findall(r["expr"]) if n in names and n != r["record"]} for r in rules]
    level = dict.fromkeys(names, 0)
    for _ in range(len(names) + 1):
        changed = False
        for rule, needs in zip(rules, deps):
            want = max((level[n] + 1 for n in needs), default=0)
            if want > level[rule["record"]]:
                level[rule["record"]], changed = want, True
        if not changed:
            break
    else:
        raise LocalStackError("recording rules read each other in a cycle: they cannot be backfilled")
    out: list[list[dict]] = [[] for _ in range(max(level.values(), default=-1) + 1)]
    for rule in rules:
        out[level[rule["record"]]].append(rule)
    return out


def _evaluate(prom_url: str, rule: dict, start: int, end: int, step: int) -> list[tuple[dict, list, list]]:
    """The rule's expression over ``[start, end]`` at ``step`` as ``(labels, timestamps, values)`` series."""
    series: dict[tuple, tuple[dict, list, list]] = {}
    chunk = step * 10_000  # Prometheus answers at most 11,000 points per series
    for a in range(start, end + 1, chunk):
        got = requests.get(
            f"{prom_url}/api/v1/query_range",
            params={"query": rule["expr"], "start": a, "end": min(end, a + chunk - step), "step": step},
            timeout=600,
        )
        body = got.json()
        if got.status_code != 200 or body.get("status") != "success":
            raise LocalStackError(
                f"recording {rule['record']}: Prometheus refused {rule['expr']!r}: {body.get('error')}"
            )
        for item in body["data"]["result"]:
            labels = {k: v for k, v in item["metric"].items() if k != "__name__"} | rule.get("labels", {})
            entry = series.setdefault(tuple(sorted(labels.items())), (labels, [], []))
            entry[1].extend(float(t) for t, _ in item["values"])
            entry[2].extend(float(v) for _, v in item["values"])
    return list(series.values())


def backfill_recordings(
    rule_files: list[Path], data_dir: Path, *, start: datetime, end: datetime, step: int = 300
) -> int:
    """Write the recordings of ``rule_files`` every ``step`` seconds between ``start`` and ``end`` into
    ``data_dir/tsdb`` (the directory a LocalPrometheus over ``data_dir`` reads); returns the number of rules.

    Each level is evaluated with range queries on a Prometheus over the blocks so far (what promtool's
    ``create-blocks-from rules`` does, but it took minutes of CPU and gigabytes for the demo's month)
    and written back with ``promtool tsdb create-blocks-from openmetrics``."""
    levels = recording_levels(recording_rules(rule_files))
    first, last = int(start.timestamp()) // step * step + step, int(end.timestamp()) // step * step
    for i, rules in enumerate(levels):
        log.info("backfilling %d recording rules (level %d of %d)", len(rules), i + 1, len(levels))
        families: dict[str, list] = {}
        with LocalPrometheus(data_dir) as prom:
            for rule in rules:
                families.setdefault(rule["record"], []).extend(_evaluate(prom.url, rule, first, last, step))
        om = data_dir / "recordings.om"
        with open(om, "w") as out:
            for name, series in families.items():
                write_family(out, name, "gauge", [(lab, np.array(t), np.array(v)) for lab, t, v in series])
            write_eof(out)
        backfill(om, data_dir / "tsdb")
        om.unlink()
    return sum(len(r) for r in levels)
