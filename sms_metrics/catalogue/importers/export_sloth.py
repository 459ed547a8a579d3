"""``catalogue export --format sloth``: one ``prometheus/v1`` spec per service.

What the spec cannot say (an SLA, capacity, probe and threshold SLIs, sms-metrics' own alert
settings...) is found by importing the export again and comparing: each difference is an error
naming the catalogue field, or with ``lenient`` a warning. So a strict export always imports back
into the same catalogue.
"""

from __future__ import annotations

import yaml

from sms_metrics.catalogue.alerting import AlertSpec
from sms_metrics.catalogue.importers import import_documents
from sms_metrics.catalogue.importers.compare import differences
from sms_metrics.catalogue.importers.export_common import HEADER, ExportResult, Refusals, raise_errors
from sms_metrics.catalogue.importers.sloth import CORE_RULES, VICTORIA
from sms_metrics.catalogue.importers.source import Messages, Report
from sms_metrics.catalogue.model import SLO, WINDOW_TEMPLATE, Catalogue, Service
from sms_metrics.rules.sli import error_ratio
from sms_metrics.sli.queries import event_queries

WHY = {
    "sla": "Sloth has no SLA",
    "capacity": "Sloth has no capacity resources",
    "criticality": "Sloth has no criticality",
    "display_name": "Sloth has no display names",
    "runbook": "Sloth has no runbook field (put it in alerting.annotations)",
    "step": "Sloth has no step",
    "window": "Sloth sets one period for a whole run (--default-slo-period)",
    "alerting": "Sloth's alerts cannot say this (its own annotations, no burn-rate policies or no-data alert)",
    "sli": "Sloth has no such SLI: it becomes an events SLI",
    "description": "Sloth has no service description",
    "public": "Sloth has no status page",
    "owner": "Sloth has no service owner",
    "manager": "Sloth has no service manager",
    "supplier_contact": "Sloth has no supplier contact",
}
SENTINEL = 987654.0  # a window no SLO uses (11d10h20m54s): replaced by Sloth's template


def _sloth_query(q: str) -> str:
    return WINDOW_TEMPLATE.sub("{{.window}}", q)


def _sli(slo: SLO, r: Refusals, loc: tuple) -> dict:
    kind = slo.sli.kind
    if kind in ("events", "latency"):
        errors, total = event_queries(slo.sli)
        return {"events": {"error_query": _sloth_query(errors), "total_query": _sloth_query(total)}}
    r.refuse((*loc, "sli", kind), f"Sloth has no {kind} SLI: it can only be written as a raw error ratio")
    r.places.add(loc)
    raw = error_ratio(slo, SENTINEL).replace("11d10h20m54s", "{{.window}}")
    return {"raw": {"error_ratio_query": raw}}


def _alert(spec: AlertSpec) -> dict:
    out: dict = {"disable": spec.disable} if spec.disable else {}
    return out | {k: v for k, v in (("labels", spec.labels), ("annotations", spec.annotations)) if v}


def _alerting(slo: SLO) -> dict:
    a = slo.alerting
    if a is None:
        return {
            "name": "ErrorBudgetBurn",
            "page_alert": {"labels": {"severity": "page"}},
            "ticket_alert": {"labels": {"severity": "ticket"}},
        }
    out: dict = {"name": a.name} if a.name else {}
    if not (a.page.disable and a.ticket.disable):
        out["name"] = a.name or "ErrorBudgetBurn"
    if a.labels:
        out["labels"] = a.labels
    out.update(page_alert=_alert(a.page), ticket_alert=_alert(a.ticket))
    if a.annotations:
        for key in ("page_alert", "ticket_alert"):
            out[key]["annotations"] = {**a.annotations, **out[key].get("annotations", {})}
    return out


def _slo(slo: SLO, r: Refusals, loc: tuple) -> dict:
    out: dict = {"name": slo.name, "objective": slo.objective}
    if slo.description:
        out["description"] = slo.description
    if slo.labels:
        out["labels"] = slo.labels
    out.update(sli=_sli(slo, r, loc), alerting=_alerting(slo))
    return out


def _service(svc: Service, i: int, store: str, r: Refusals) -> dict | None:
    slos = [_slo(slo, r, ("services", i, "slos", j)) for j, slo in enumerate(svc.slos)]
    if not slos:
        r.refuse(("services", i), "a service without SLOs cannot be a Sloth spec")
        return None
    doc: dict = {"version": "prometheus/v1", "service": svc.sloth_name}
    if svc.labels:
        doc["labels"] = svc.labels
    if store == "victoriametrics":
        doc["slo_plugins"] = {"overridePrevious": True, "chain": [{"id": p} for p in (VICTORIA, *sorted(CORE_RULES))]}
    doc["slos"] = slos
    return doc


def _windows(cat: Catalogue, r: Refusals) -> dict | None:
    """An AlertWindows document when the SLOs' period is not Sloth's default 30 days."""
    slos = [(i, j, s) for i, svc in enumerate(cat.services) for j, s in enumerate(svc.slos)]
    first = next((s for _, _, s in slos), None)
    if first is None:
        return None
    for i, j, s in slos:
        loc = ("services", i, "slos", j)
        if isinstance(s.alert_windows, str):
            r.refuse((*loc, "alert_windows"), "a file: give it to Sloth with --slo-period-windows-path")
        elif (s.window, s.alert_windows) != (first.window, first.alert_windows):
            r.refuse((*loc, "window"), f"Sloth uses one period for a run; the first SLO's is {first.window}")
            r.places.add((*loc, "alert_windows"))
    if first.alert_windows is None or isinstance(first.alert_windows, str):
        return None
    return {"apiVersion": "sloth.slok.dev/v1", "kind": "AlertWindows", "spec": first.alert_windows.model_dump()}


def export_sloth(cat: Catalogue, *, lenient: bool = False) -> ExportResult:
    report = Report(lenient=lenient)
    r = Refusals(report)
    docs = [d for d in (_service(svc, i, cat.store, r) for i, svc in enumerate(cat.services)) if d]
    windows = _windows(cat, r)
    text = HEADER.format(fmt="Sloth prometheus/v1") + yaml.safe_dump_all(
        ([windows] if windows else []) + docs, sort_keys=False, allow_unicode=True, width=120
    )
    again = import_documents(text, "export", lenient=True).catalogue
    for d in differences(cat, again):
        if not r.known(d.loc):
            r.refuse(d.loc, WHY.get(d.field, "cannot be written in a Sloth spec"))
    raise_errors(report, "sloth export")
    return ExportResult(text, Messages(report.warnings, report.notes))
