"""``sms-metrics evidence --service S --period 2026-10 --out DIR``."""

from __future__ import annotations

import logging
from pathlib import Path

from sms_metrics.config import Settings
from sms_metrics.evidence.pack import build_pack
from sms_metrics.register.records.access import Principal
from sms_metrics.register.records.cli import default_actor

log = logging.getLogger(__name__)
NO_DATA_EXIT, PROMETHEUS_EXIT = 3, 4


def run_evidence(
    settings: Settings,
    *,
    service: str,
    period: str,
    out: Path,
    catalogue: Path | None,
    prometheus: str | None,
    restricted: bool,
) -> tuple[int, str]:
    """Write the pack into ``out``; returns the exit code and a summary line."""
    from sms_metrics.bootstrap import build, load_catalogue_of

    if prometheus:
        settings = settings.model_copy(update={"prometheus_url": prometheus})
    system = build(settings, catalogue=load_catalogue_of(settings, catalogue))
    try:
        who = Principal(default_actor(), "admin", restricted=restricted)
        pack = build_pack(system, who, service, period)
        target = pack.write(out)
    finally:
        system.close()
    for w in pack.warnings:
        log.warning("%s", w)
    records = sum(s["records"] for s in pack.manifest["sections"])
    summary = f"{target}: {records} records of {len(pack.manifest['sections'])} kinds, {len(pack.files)} files\n"
    code = PROMETHEUS_EXIT if "error" in pack.manifest["sla"] else NO_DATA_EXIT if pack.warnings else 0
    return code, summary
