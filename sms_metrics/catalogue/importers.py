"""Import SLOs written for Sloth (``version: prometheus/v1``) and OpenSLO v1 into the catalogue.

Both map onto the same model: Sloth's ``events`` SLI and OpenSLO's ``ratioMetric`` become an
``events`` SLI (``{{.window}}`` becomes ``{{window}}``); OpenSLO's ``thresholdMetric`` becomes a
``threshold`` SLI. What has no equivalent (Sloth plugins, raw error-ratio queries) is refused
with a message naming it, never silently dropped.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sms_metrics.catalogue.model import API_VERSION, Catalogue
from sms_metrics.catalogue.yamlsource import error_lines, load_yaml_documents
from sms_metrics.errors import CatalogueError

_SLOTH_WINDOW = re.compile(r"\{\{\s*\.window\s*\}\}")


def _window_template(query: str) -> str:
    return _SLOTH_WINDOW.sub("{{window}}", query)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", str(name).lower()).strip("-") or "unnamed"


def sloth_to_services(doc: dict, where: str) -> tuple[list[dict], list[str]]:
    """Services (as catalogue dicts) from one Sloth ``prometheus/v1`` document, and errors."""
    errors: list[str] = []
    service = doc.get("service")
    if not service:
        return [], [f"{where}.service: required by Sloth prometheus/v1"]
    slos = []
    for i, slo in enumerate(doc.get("slos") or []):
        path = f"{where}.slos[{i}]"
        sli = slo.get("sli") or {}
        if "events" in sli:
            ev = sli["events"] or {}
            mapped = {
                "events": {
                    "errors": _window_template(ev.get("error_query", "")),
                    "total": _window_template(ev.get("total_query", "")),
                }
            }
        elif "raw" in sli or "plugin" in sli:
            kind = "raw" if "raw" in sli else "plugin"
            errors.append(
                f"{path}.sli.{kind}: Sloth {kind} SLIs cannot be imported; rewrite it as events "
                "(error_query and total_query)"
            )
            continue
        else:
            errors.append(f"{path}.sli: expected events, raw or plugin")
            continue
        out = {"name": _slug(slo.get("name", f"slo-{i}")), "objective": slo.get("objective"), "sli": mapped}
        if slo.get("description"):
            out["description"] = str(slo["description"])
        runbook = ((slo.get("alerting") or {}).get("annotations") or {}).get("runbook")
        if runbook:
            out["runbook"] = runbook
        slos.append(out)
    return [{"name": _slug(service), "slos": slos}], errors


def _openslo_query(metric: Any) -> str | None:
    source = (metric or {}).get("metricSource") or {}
    spec = source.get("spec") or {}
    return spec.get("query") or spec.get("promql")


def openslo_to_slo(doc: dict, indicators: dict[str, dict], where: str) -> tuple[str, dict | None, list[str]]:
    """(service, catalogue SLO dict, errors) from an OpenSLO v1 ``kind: SLO`` document."""
    spec = doc.get("spec") or {}
    name = _slug((doc.get("metadata") or {}).get("name", "slo"))
    service = _slug(spec.get("service", "unknown"))
    indicator = spec.get("indicator") or indicators.get(spec.get("indicatorRef", ""))
    if indicator is None:
        return service, None, [f"{where}.spec.indicator: missing (or indicatorRef names no kind: SLI document)"]
    ispec = indicator.get("spec") or {}
    objectives = spec.get("objectives") or [{}]
    target = objectives[0].get("target")
    if target is None and objectives[0].get("targetPercent") is not None:
        target = objectives[0]["targetPercent"] / 100
    window = ((spec.get("timeWindow") or [{}])[0]).get("duration", "30d")
    if "ratioMetric" in ispec:
        rm = ispec["ratioMetric"]
        total, good, bad = (_openslo_query(rm.get(k)) for k in ("total", "good", "bad"))
        if not total or not (good or bad):
            return service, None, [f"{where}.spec.indicator.spec.ratioMetric: needs total and good or bad queries"]
        errors_q = bad or f"({total}) - ({good})"
        sli = {"events": {"errors": errors_q, "total": total}}
    elif "thresholdMetric" in ispec:
        query = _openslo_query(ispec["thresholdMetric"])
        value = objectives[0].get("value")
        if not query or value is None:
            return service, None, [f"{where}.spec: thresholdMetric needs a query and objectives[0].value"]
        sli = {"threshold": {"query": query, "max": value}}
    else:
        return service, None, [f"{where}.spec.indicator.spec: expected ratioMetric or thresholdMetric"]
    slo = {
        "name": name,
        "objective": None if target is None else round(float(target) * 100, 6),
        "window": window,
        "sli": sli,
    }
    return service, slo, []


def import_documents(text: str, source: str) -> Catalogue:
    """A catalogue from Sloth and/or OpenSLO YAML documents; ``CatalogueError`` lists every problem."""
    docs = [d for d, _ in load_yaml_documents(text, source) if d is not None]
    services: dict[str, dict] = {}
    errors: list[str] = []
    indicators: dict[str, dict] = {
        str((d.get("metadata") or {}).get("name")): d for d in docs if isinstance(d, dict) and d.get("kind") == "SLI"
    }
    for i, doc in enumerate(docs):
        where = f"document[{i}]"
        if not isinstance(doc, dict):
            errors.append(f"{where}: expected a mapping")
        elif doc.get("version") == "prometheus/v1":
            found, errs = sloth_to_services(doc, where)
            errors += errs
            for svc in found:
                services.setdefault(svc["name"], {"name": svc["name"], "slos": []})["slos"] += svc["slos"]
        elif str(doc.get("apiVersion", "")).startswith("openslo/") and doc.get("kind") == "SLO":
            name, slo, errs = openslo_to_slo(doc, indicators, where)
            errors += errs
            if slo:
                services.setdefault(name, {"name": name, "slos": []})["slos"].append(slo)
        elif doc.get("kind") in ("SLI", "Service", "DataSource", "AlertPolicy", "AlertCondition"):
            continue
        else:
            errors.append(f"{where}: neither Sloth (version: prometheus/v1) nor OpenSLO (apiVersion: openslo/v1)")
    if errors:
        raise CatalogueError(source, errors)
    data = {"apiVersion": API_VERSION, "services": list(services.values())}
    try:
        return Catalogue.model_validate(data)
    except ValidationError as exc:
        raise CatalogueError(source, error_lines(exc, None)) from None


def import_files(paths: list[str | Path]) -> Catalogue:
    """Import several files and merge them into one catalogue."""
    merged: dict[str, dict] = {}
    for p in paths:
        try:
            text = Path(p).read_text(encoding="utf-8")
        except OSError as exc:
            raise CatalogueError(str(p), [f"cannot read: {exc}"]) from None
        for svc in import_documents(text, str(p)).services:
            entry = merged.setdefault(svc.name, {"name": svc.name, "slos": []})
            entry["slos"] += [s.model_dump(exclude_none=True) for s in svc.slos]
    return Catalogue.model_validate({"apiVersion": API_VERSION, "services": list(merged.values())})
