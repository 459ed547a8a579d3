"""Import Sloth and OpenSLO files into one catalogue.

Read: Sloth ``prometheus/v1`` specs, Kubernetes ``PrometheusServiceLevel`` objects and
``AlertWindows`` files (``sloth.slok.dev/v1``), OpenSLO ``v1alpha`` as Sloth reads it, and OpenSLO
``v1`` (SLO, SLI, AlertPolicy, AlertCondition, AlertNotificationTarget, Service, DataSource) as
single documents, ``---`` streams or lists, with references across every file given. A field that
cannot be carried is an error naming it (with ``lenient``: a warning, and the field is left out).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sms_metrics.catalogue.importers import openslo, openslo_v1alpha, sloth
from sms_metrics.catalogue.importers.build import Builder
from sms_metrics.catalogue.importers.index import Index
from sms_metrics.catalogue.importers.source import At, Messages, Obj, Report
from sms_metrics.catalogue.model import Catalogue
from sms_metrics.catalogue.yamlsource import load_yaml_documents
from sms_metrics.errors import CatalogueError

OPENSLO_V1 = {"SLO", "SLI", "AlertPolicy", "AlertCondition", "AlertNotificationTarget", "Service", "DataSource"}
NEITHER = "neither Sloth (version: prometheus/v1, apiVersion: sloth.slok.dev/v1) nor OpenSLO (apiVersion: openslo/v1)"


@dataclass
class ImportResult:
    """The imported catalogue, and what the import says about it."""

    catalogue: Catalogue
    messages: Messages


def _objects(text: str, source: str, show: bool, report: Report) -> list[Obj]:
    """Every object of a file: documents, items of list-form documents and of Kubernetes lists."""
    docs = load_yaml_documents(text, source)
    out: list[Obj] = []
    for d, (data, node) in enumerate(docs):
        at = At(source, d if len(docs) > 1 else None, (), node, show)
        if data is None:
            continue
        if isinstance(data, dict) and str(data.get("kind", "")).endswith("List") and "items" in data:
            data, at = data["items"], at / "items"
        items = list(enumerate(data)) if isinstance(data, list) else [(None, data)]
        for i, item in items:
            where = at if i is None else at / i
            if isinstance(item, dict):
                out.append(Obj(item, where, report))
            else:
                report.fail(where, "expected a mapping (an object with apiVersion and kind)")
    return out


def classify(o: Obj) -> str | None:
    """The reader for ``o``, or None after saying why it is not read."""
    api, kind = str(o.data.get("apiVersion", "")), str(o.data.get("kind", ""))
    if o.data.get("version") == "prometheus/v1":
        return "sloth"
    if api == "sloth.slok.dev/v1" and kind in ("PrometheusServiceLevel", "AlertWindows"):
        return kind
    if api == "openslo/v1" and kind in OPENSLO_V1:
        return kind
    if api == "openslo/v1alpha" and kind in ("SLO", "Service"):
        return "v1alpha-" + kind
    if api.startswith(("openslo/", "openslo.com/")) and api.endswith("/v2alpha"):
        o.r.fail(o.at / "apiVersion", f"{api} is unsupported (a draft): write openslo/v1")
    elif api.startswith(("openslo/", "sloth.slok.dev/")) and kind:
        o.r.fail(o.at / "kind", f"{kind} of {api} is unsupported")
    elif api.startswith(("openslo/", "sloth.slok.dev/")) or "version" in o.data:
        o.r.fail(o.at / ("version" if "version" in o.data else "apiVersion"), "unsupported version")
    else:
        o.r.fail(o.at, NEITHER)
    return None


def _windows(objs: list[tuple[str, Obj]]) -> dict | None:
    found = [(o, sloth.alert_windows(o)) for kind, o in objs if kind == "AlertWindows"]
    periods = {w["window"] for _, w in found if w}
    if len(periods) > 1:
        o = found[-1][0]
        o.r.fail(o.at, "AlertWindows for several periods: Sloth uses one period per run; import them separately")
        return None
    return next((w for _, w in found if w), None)


def _import(files: list[tuple[str, str]], lenient: bool, store: str | None) -> ImportResult:
    report = Report(lenient=lenient)
    b, ix = Builder(report, store), Index(report)
    objs: list[tuple[str, Obj]] = []
    for source, text in files:
        for o in _objects(text, source, len(files) > 1, report):
            kind = classify(o)
            if kind in OPENSLO_V1:
                ix.add(o)
            if kind:
                objs.append((kind, o))
    period = _windows(objs)
    readers = {
        "sloth": lambda o: sloth.prometheus_v1(o, b, period),
        "PrometheusServiceLevel": lambda o: sloth.kubernetes(o, b, period),
        "v1alpha-SLO": lambda o: openslo_v1alpha.slo_v1alpha(o, b),
        "v1alpha-Service": lambda o: openslo_v1alpha.service_v1alpha(o, b),
        "Service": lambda o: openslo.service_v1(o, b),
        "SLO": lambda o: openslo.slo_v1(o, b, ix),
    }
    for kind, o in objs:
        if kind in readers:
            readers[kind](o)
    ix.unused_notes()
    catalogue = b.catalogue(", ".join(s for s, _ in files))
    if catalogue is None or report.errors:
        raise CatalogueError(", ".join(s for s, _ in files), report.errors)
    return ImportResult(catalogue, Messages(report.warnings, report.notes))


def import_documents(text: str, source: str, *, lenient: bool = False, store: str | None = None) -> ImportResult:
    """Import the documents of one text (a file's content)."""
    return _import([(source, text)], lenient, store)


def import_files(paths: list[str | Path], *, lenient: bool = False, store: str | None = None) -> ImportResult:
    """Import several files into one catalogue; references may cross files."""
    files = []
    for p in paths:
        try:
            files.append((str(p), Path(p).read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            raise CatalogueError(str(p), [f"cannot read: {exc}"]) from None
    return _import(files, lenient, store)
