"""``catalogue export --format openslo``: OpenSLO v1 Service and SLO documents.

Events SLIs become ``ratioMetric`` (the window taken back out of the queries: ``counter: true``
for ``rate``, ``false`` for ``avg_over_time``), threshold SLIs ``thresholdMetric`` with their
``op`` (``Timeslices`` with the step as ``timeSliceWindow`` when the step is not the default),
the SLA's SLO a calendar month in the SLA's time zone, burn-rate alerts inline AlertPolicies.
What OpenSLO cannot say is kept in the annotations ``sms-metrics/slo`` and ``sms-metrics/service``
(JSON; other tools ignore them), found by importing the export again and comparing, so the
export always imports back into the same catalogue.
"""

from __future__ import annotations

import json
import re

import yaml

from sms_metrics.catalogue.alerting import BurnRateAlert
from sms_metrics.catalogue.importers import import_documents
from sms_metrics.catalogue.importers.compare import differences
from sms_metrics.catalogue.importers.export_common import HEADER, ExportResult
from sms_metrics.catalogue.importers.source import At, Messages, Report
from sms_metrics.catalogue.model import SLO, Catalogue, Service
from sms_metrics.catalogue.promql import unwrap_window
from sms_metrics.catalogue.writer import catalogue_data
from sms_metrics.core.durations import parse_duration
from sms_metrics.errors import CatalogueError

API = "openslo/v1"
RFC1123 = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
OPS = {"max": "lte", "below": "lt", "min": "gte", "above": "gt"}
CALENDAR_START = "2020-01-01 00:00:00"


def _shorthand(duration: str) -> str:
    if re.fullmatch(r"\d+[smhdw]", duration):
        return duration
    s = int(parse_duration(duration))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if s % size == 0:
            return f"{s // size}{unit}"
    return f"{s}s"


def _source(query: str, kind: str) -> dict:
    return {"metricSource": {"type": kind, "spec": {"query": query}}}


def _ratio(errors: str, total: str, kind: str) -> dict:
    e, t = unwrap_window(errors), unwrap_window(total)
    counter = True
    if e and t and e[1] == t[1]:
        (errors, counter), (total, _) = e, t
    m = re.fullmatch(r"\((?P<t>.*)\) - \((?P<g>.*)\)", errors, re.S)
    if m and m["t"] == total:
        part = {"good": _source(m["g"], kind)}
    else:
        part = {"bad": _source(errors, kind)}
    return {"ratioMetric": {"counter": counter, **part, "total": _source(total, kind)}}


def _indicator(slo: SLO, kind: str) -> tuple[dict, dict]:
    """(indicator spec, objective fields) for the SLO's SLI."""
    sli = slo.sli
    if sli.kind == "threshold":
        t = sli.threshold
        assert t is not None
        return {"thresholdMetric": _source(t.query, kind)}, {"op": OPS[t.bound], "value": t.value}
    if sli.kind == "probe":
        assert sli.probe is not None
        return {"thresholdMetric": _source(sli.probe, kind)}, {"op": "gte", "value": 1}
    from sms_metrics.sli.queries import event_queries

    errors, total = event_queries(sli)
    return _ratio(errors, total, kind), {}


def _policy(b: BurnRateAlert) -> dict:
    cond = {"kind": "burnrate", "op": b.op, "threshold": b.threshold, "lookbackWindow": _shorthand(b.window)}
    if b.alert_after:
        cond["alertAfter"] = _shorthand(b.alert_after)
    cspec = {"severity": b.severity, "condition": cond}
    if b.annotations.get("summary"):
        cspec = {"description": b.annotations["summary"], **cspec}
    spec: dict = {"alertWhenBreaching": not b.disable, "alertWhenNoData": b.no_data}
    spec.update(alertWhenResolved=b.notify_resolved)
    if b.annotations.get("description"):
        spec = {"description": b.annotations["description"], **spec}
    spec["conditions"] = [{"kind": "AlertCondition", "metadata": {"name": f"{b.name}-condition"}, "spec": cspec}]
    targets = []
    for t in b.notify:
        tspec = {k: v for k, v in (("target", t.target), ("description", t.description)) if v}
        targets.append({"kind": "AlertNotificationTarget", "metadata": {"name": t.name}, "spec": tspec})
    spec["notificationTargets"] = targets
    meta: dict = {"name": b.name}
    if b.labels:
        meta["labels"] = b.labels
    return {"kind": "AlertPolicy", "metadata": meta, "spec": spec}


def _window(svc: Service, slo: SLO) -> list[dict]:
    sla = svc.sla
    if sla and svc.availability_slo() is slo and slo.window == "30d" and sla.availability_target == slo.objective:
        return [
            {"duration": "1M", "isRolling": False, "calendar": {"startTime": CALENDAR_START, "timeZone": sla.timezone}}
        ]
    return [{"duration": _shorthand(slo.window), "isRolling": True}]


def _slo_doc(svc: Service, slo: SLO, name: str, kind: str) -> dict:
    indicator, objective = _indicator(slo, kind)
    meta: dict = {"name": name}
    if slo.display_name:
        meta["displayName"] = slo.display_name
    if slo.labels:
        meta["labels"] = slo.labels
    spec: dict = {"description": slo.description} if slo.description else {}
    spec.update(service=svc.name, indicator={"metadata": {"name": f"{name}-sli"}, "spec": indicator})
    spec["timeWindow"] = _window(svc, slo)
    objective["target"] = round(slo.objective / 100, 12)
    if slo.sli.kind in ("threshold", "probe") and slo.step != "60s":
        spec["budgetingMethod"] = "Timeslices"
        objective.update(timeSliceTarget=1, timeSliceWindow=slo.step)
    else:
        spec["budgetingMethod"] = "Occurrences"
    spec["objectives"] = [objective]
    if slo.alerting and slo.alerting.burn_rate:
        spec["alertPolicies"] = [_policy(b) for b in slo.alerting.burn_rate]
    return {"apiVersion": API, "kind": "SLO", "metadata": meta, "spec": spec}


def _service_doc(svc: Service) -> dict:
    meta: dict = {"name": svc.name}
    if svc.display_name:
        meta["displayName"] = svc.display_name
    if svc.labels:
        meta["labels"] = svc.labels
    spec = {"description": svc.description} if svc.description else {}
    return {"apiVersion": API, "kind": "Service", "metadata": meta, "spec": spec}


def _names(cat: Catalogue) -> dict[tuple[str, str], str]:
    """OpenSLO names are one namespace: an SLO keeps its name when it is unique and RFC 1123."""
    all_names = [s.name for svc in cat.services for s in svc.slos]
    out = {}
    for svc in cat.services:
        for s in svc.slos:
            ok = RFC1123.match(s.name) and all_names.count(s.name) == 1
            out[(svc.name, s.name)] = s.name if ok else re.sub(r"[^a-z0-9]+", "-", f"{svc.name}-{s.name}".lower())
    return out


def _render(cat: Catalogue, extra: dict[tuple, dict]) -> str:
    kind = "VictoriaMetrics" if cat.store == "victoriametrics" else "Prometheus"
    names, docs = _names(cat), []
    for svc in cat.services:
        doc = _service_doc(svc)
        if extra.get((svc.name,)):
            doc["metadata"]["annotations"] = {"sms-metrics/service": json.dumps(extra[(svc.name,)])}
        docs.append(doc)
        for slo in svc.slos:
            doc = _slo_doc(svc, slo, names[(svc.name, slo.name)], kind)
            if extra.get((svc.name, slo.name)):
                text = json.dumps(extra[(svc.name, slo.name)])
                doc["metadata"]["annotations"] = {"sms-metrics/slo": text}
            docs.append(doc)
    body = yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True, width=120)
    return HEADER.format(fmt="OpenSLO v1") + body


def export_openslo(cat: Catalogue, *, lenient: bool = False) -> ExportResult:
    """OpenSLO documents for ``cat``; ``lenient`` is accepted for symmetry (nothing is refused)."""
    report = Report(lenient=lenient)
    extra: dict[tuple, dict] = {
        (svc, slo): {"name": slo} for (svc, slo), name in _names(cat).items() if name != slo
    }  # an SLO renamed for OpenSLO's single namespace keeps its name
    first = _render(cat, extra)
    data = {s["name"]: s for s in catalogue_data(cat)["services"]}
    for d in differences(cat, import_documents(first, "export", lenient=True).catalogue):
        if d.slo is None and d.field:
            extra.setdefault((d.service,), {})[d.field] = data[d.service].get(d.field)
        elif d.field:
            slo = next(s for s in data[d.service]["slos"] if s["name"] == d.slo)
            extra.setdefault((d.service, d.slo), {})[d.field] = slo.get(d.field)
        report.note(At("catalogue", loc=d.loc), "kept as an sms-metrics/ annotation: other OpenSLO tools ignore it")
    text = _render(cat, extra)
    left = differences(cat, import_documents(text, "export").catalogue)
    if left:
        raise CatalogueError("openslo export", [At("catalogue", loc=d.loc).say("not carried") for d in left])
    return ExportResult(text, Messages(report.warnings, report.notes))
