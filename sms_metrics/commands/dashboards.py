"""``sms-metrics dashboards generate``: the Grafana dashboards of a catalogue and their provisioning."""

from __future__ import annotations

import logging
from pathlib import Path

from sms_metrics.catalogue import load_catalogue
from sms_metrics.commands.rules import load_windows
from sms_metrics.dashboards import catalogue_dashboards
from sms_metrics.dashboards.provisioning import provisioning_files

log = logging.getLogger(__name__)
DEFAULT_PROMETHEUS = "http://prometheus:9090"


def generated_files(catalogue_path: Path, prometheus_url: str = DEFAULT_PROMETHEUS) -> dict[str, str]:
    """``{path relative to the output directory: text}`` of every generated file."""
    cat = load_catalogue(catalogue_path)
    return {**catalogue_dashboards(cat, load_windows(catalogue_path, cat)), **provisioning_files(prometheus_url)}


def generate(catalogue_path: Path, out_dir: Path, prometheus_url: str = DEFAULT_PROMETHEUS) -> list[Path]:
    files = generated_files(catalogue_path, prometheus_url)
    written = []
    for rel, text in files.items():
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    log.info("wrote %d dashboards and %d provisioning files to %s", 4, len(files) - 4, out_dir)
    return written
