"""``sms-metrics rules generate`` and ``sms-metrics rules check``."""

from __future__ import annotations

import logging
import re
import subprocess
from pathlib import Path

from sms_metrics.catalogue import load_catalogue
from sms_metrics.errors import InputError
from sms_metrics.localstack.prometheus import find_binary
from sms_metrics.rules.generator import catalogue_rules
from sms_metrics.rules.windows import BurnWindow, parse_alert_windows
from sms_metrics.rules.writer import write_rules

log = logging.getLogger(__name__)


def load_windows(catalogue_path: Path, catalogue) -> dict[str, tuple[BurnWindow, ...]]:
    """Every Sloth AlertWindows file the catalogue's SLOs name, read relative to the catalogue."""
    out = {}
    for svc in catalogue.services:
        for slo in svc.slos:
            if isinstance(slo.alert_windows, str) and slo.alert_windows not in out:
                path = catalogue_path.parent / slo.alert_windows
                try:
                    text = path.read_text(encoding="utf-8")
                except OSError as exc:
                    raise InputError(
                        f"services.{svc.name}.slos.{slo.name}.alert_windows: cannot read {path}: {exc.strerror or exc}"
                    ) from None
                out[slo.alert_windows] = parse_alert_windows(text, str(path))
    return out


def generate(catalogue_path: Path, out_dir: Path) -> list[Path]:
    cat = load_catalogue(catalogue_path)
    rules = catalogue_rules(cat, load_windows(catalogue_path, cat))
    paths = write_rules(rules, out_dir, source=str(catalogue_path))
    n = sum(len(g["rules"]) for groups in rules.values() for g in groups)
    log.info("wrote %d rules in %d files to %s", n, len(paths), out_dir)
    return paths


_FAILED = re.compile(r'group "(?P<group>[^"]+)", rule (?P<rule>\d+), "(?P<name>[^"]+)": (?P<why>.*)')


def explain(output: str) -> list[str]:
    """promtool's failure lines rephrased as ``group, rule N (name): reason``."""
    lines = []
    if "duplicate rule" in output:
        dupes = sorted(set(re.findall(r"Metric: (\S+)", output)))
        return [f"duplicate rules (same name and labels, they would overwrite each other): {', '.join(dupes)}"]
    for raw in output.splitlines():
        m = _FAILED.search(raw)
        if m:
            lines.append(f"group {m['group']}, rule {m['rule']} ({m['name']}): {m['why']}")
        elif raw.strip() and raw.strip() not in ("FAILED:", "SUCCESS") and not raw.startswith("Checking"):
            lines.append(raw.strip())
    return lines


def check(rule_dir: Path) -> list[str]:
    """Run ``promtool check rules`` on every file; return one line per problem (empty: all good)."""
    files = sorted(rule_dir.glob("*.yml")) + sorted(rule_dir.glob("*.yaml"))
    if not files:
        raise InputError(f"{rule_dir}: no rule files (*.yml) to check; run `sms-metrics rules generate` first")
    promtool = find_binary("promtool", install_package="prometheus")
    problems = []
    for f in files:
        done = subprocess.run([promtool, "check", "rules", "--lint-fatal", str(f)], capture_output=True, text=True)
        if done.returncode:
            problems += [f"{f}: {line}" for line in explain(done.stdout + done.stderr)] or [f"{f}: promtool failed"]
        else:
            m = re.search(r"SUCCESS: (\d+) rules found", done.stdout)
            log.info("%s: %s rules, valid", f, m.group(1) if m else "?")
    return problems
