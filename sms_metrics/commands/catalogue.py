"""``sms-metrics catalogue import`` and ``catalogue export``: Sloth and OpenSLO in and out."""

from __future__ import annotations

import logging
from pathlib import Path

from sms_metrics.catalogue import load_catalogue
from sms_metrics.catalogue.importers import import_files
from sms_metrics.catalogue.importers.export_openslo import export_openslo
from sms_metrics.catalogue.importers.export_sloth import export_sloth
from sms_metrics.catalogue.importers.source import Messages
from sms_metrics.catalogue.writer import dump_catalogue
from sms_metrics.errors import InputError

log = logging.getLogger(__name__)
STORES = ("prometheus", "victoriametrics")


def _tell(m: Messages) -> None:
    for w in m.warnings:
        log.warning("%s", w)
    for n in m.notes:
        log.info("%s", n)


def _write(text: str, out: Path | None) -> str | None:
    """Write ``text`` to ``out`` (nothing is written on error: the text is complete here)."""
    if out is None:
        return text
    out.write_text(text, encoding="utf-8")
    log.info("wrote %s", out)
    return None


def run_import(files: list[Path], out: Path | None, *, lenient: bool, store: str | None) -> str | None:
    """The catalogue YAML (or None when written to ``out``); warnings and notes go to the log."""
    if store is not None and store not in STORES:
        raise InputError(f"--store {store!r}: use prometheus or victoriametrics")
    result = import_files(list(files), lenient=lenient, store=store)
    _tell(result.messages)
    return _write(dump_catalogue(result.catalogue), out)


def run_export(catalogue: Path, fmt: str, out: Path | None, *, lenient: bool) -> str | None:
    exporters = {"sloth": export_sloth, "openslo": export_openslo}
    if fmt not in exporters:
        raise InputError(f"--format {fmt!r}: use sloth or openslo")
    result = exporters[fmt](load_catalogue(catalogue), lenient=lenient)
    _tell(result.messages)
    return _write(result.text, out)
