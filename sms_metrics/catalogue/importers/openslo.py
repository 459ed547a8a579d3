"""OpenSLO v1 SLO and Service documents (references to SLI, AlertPolicy, AlertCondition,
AlertNotificationTarget and DataSource documents resolved across all the files given).

Every objective becomes an SLO: named after the document when it has one objective, else
``<name>-<index>``. An SLO with alert policies gets them as its alerts (sms-metrics' own page and
ticket alerts off); one without keeps sms-metrics' page and ticket alerts. Annotations
``sms-metrics/slo`` and ``sms-metrics/service`` (JSON, written by ``catalogue export``) restore
what OpenSLO cannot say.
"""

from __future__ import annotations

import json
from typing import Any

from sms_metrics.catalogue.importers.build import Builder, Found
from sms_metrics.catalogue.importers.index import Index
from sms_metrics.catalogue.importers.openslo_alerts import alert_policies
from sms_metrics.catalogue.importers.openslo_sli import (
    BOUNDS,
    CMP,
    metric_query,
    ratio_queries,
    shorthand,
    slice_ratio,
    time_window,
)
from sms_metrics.catalogue.importers.source import Obj

OWN = "sms-metrics/"


def _annotations(meta: Obj, key: str) -> dict:
    """The ``sms-metrics/<key>`` overrides; other tools' annotations are noted, not carried."""
    value = meta.get("annotations") or {}
    out: dict = {}
    for k, v in value.items() if isinstance(value, dict) else ():
        if k == OWN + key:
            try:
                out = json.loads(v)
            except (TypeError, ValueError):
                meta.r.fail(meta.at / "annotations" / k, "expected JSON written by `sms-metrics catalogue export`")
        else:
            meta.r.note(meta.at / "annotations" / k, "an annotation for another tool, not carried")
    return out if isinstance(out, dict) else {}


def _indicator(spec: Obj, ix: Index) -> Obj | None:
    ind = spec.obj("indicator")
    ref = spec.text("indicatorRef")
    if ref is not None:
        ind = ix.get("SLI", ref)
        if ind is None:
            spec.r.fail(spec.at / "indicatorRef", f"{ref!r} names no SLI in the files given")
    return ind


def _indicator_spec(ind: Obj) -> tuple[Obj | None, str | None]:
    for key in ("apiVersion", "kind"):
        ind.get(key)
    meta, spec = ind.obj("metadata"), ind.obj("spec")
    if meta:
        meta.done(dict.fromkeys(("name", "displayName"), "the indicator's identity, not needed once inlined"))
    ind.done()
    return spec, spec.text("description") if spec else None


def _sli(ind: Obj, obj: Obj, method: str, b: Builder, ix: Index) -> tuple[dict, str | None, str | None] | None:
    """(catalogue SLI, step, the indicator's description) of one objective."""
    spec, description = _indicator_spec(ind)
    if spec is None:
        ind.r.fail(ind.at / "spec", "required")
        return None
    rm, tm = spec.obj("ratioMetric"), spec.obj("thresholdMetric")
    spec.done()
    if (rm is None) == (tm is None):
        spec.r.fail(spec.at, "needs exactly one of ratioMetric, thresholdMetric")
        return None
    slices = method in ("Timeslices", "RatioTimeslices")
    window = shorthand(obj, "timeSliceWindow", required=slices, minutes=True) if slices else None
    if rm is not None:
        got = _ratio(rm, obj, method, window, b, ix)
        return (*got, description) if got else None
    q = metric_query(spec, "thresholdMetric", b, ix)
    op, value = obj.text("op", required=True), obj.number("value", required=True)
    if op is not None and op not in BOUNDS:
        obj.r.fail(obj.at / "op", f"{op!r}: one of lte, lt, gte, gt")
    if q is None or op not in BOUNDS or value is None:
        return None
    target = obj.number("timeSliceTarget", required=slices) if slices else None
    if target is None or target == 1.0 or window is None:
        return {"threshold": {"query": q, BOUNDS[op]: value}}, window, description
    # a slice is good when at least ``target`` of its values are: the share of good values per slice
    share = f"avg_over_time((({q.strip()}) {CMP[op]} bool {value!r})[{window}:])"
    return {"threshold": {"query": share, "min": target}}, window, description


def _ratio(rm: Obj, obj: Obj, method: str, window: str | None, b: Builder, ix: Index):
    queries = ratio_queries(rm, b, ix)
    for key in ("op", "value"):
        if obj.get(key) is not None:
            obj.r.note(obj.at / key, "only for thresholdMetric: not used by a ratio")
    if method == "RatioTimeslices":
        obj.r.refuse(obj.at, "RatioTimeslices cannot be carried: use Occurrences or Timeslices")
        if not obj.r.lenient:
            return None
    if queries is None:
        return None
    if method != "Timeslices":
        num, total, bad = queries
        return {"events": {"errors": num if bad else f"({total}) - ({num})", "total": total}}, None
    target = obj.number("timeSliceTarget", required=True)
    if window is None or target is None:
        return None
    return {"threshold": {"query": slice_ratio(queries, window), "min": target}}, window


def _target(obj: Obj) -> float | None:
    target, percent = obj.number("target"), obj.number("targetPercent")
    if target is not None and not 0 < target < 1:
        obj.r.fail(obj.at / "target", "must be between 0 and 1")
    if percent is not None and not 0 < percent < 100:
        obj.r.fail(obj.at / "targetPercent", "must be between 0 and 100")
    if target is None and percent is None:
        obj.r.fail(obj.at / "target", "target or targetPercent is required")
    return round(target * 100, 10) if target is not None else percent


def _objective(obj: Obj, name: str, ctx: dict, b: Builder, ix: Index) -> Found | None:
    if obj.get("compositeWeight") is not None:
        obj.r.refuse(obj.at / "compositeWeight", "composite weights cannot be carried: each objective is its own SLO")
    ind = _indicator(obj, ix) if ("indicator" in obj.data or "indicatorRef" in obj.data) else ctx["indicator"]
    mapped = _sli(ind, obj, ctx["method"], b, ix) if ind is not None else None
    objective = _target(obj)
    shown = [x for x in (ctx["display"], obj.text("displayName")) if x]  # the SLO's, the objective's
    slo: dict[str, Any] = {"name": name, "display_name": ": ".join(shown) or None, "objective": objective}
    if ctx["method"] == "Occurrences":
        obj.done(dict.fromkeys(("timeSliceWindow", "timeSliceTarget"), "only for Timeslices: not used by Occurrences"))
    else:
        obj.done()
    if mapped is None or objective is None or ctx["window"] is None:
        return None
    slo.update(sli=mapped[0], step=mapped[1], window=ctx["window"], description=ctx["description"] or mapped[2])
    slo.update(labels=ctx["labels"], alerting=ctx["alerting"])
    slo.update(ctx["overrides"])
    sla = {"availability_target": objective, "timezone": ctx["tz"], "slo": slo["name"]} if ctx["tz"] else None
    return Found(ctx["service"], {k: v for k, v in slo.items() if v is not None}, obj.at, sla=sla)


def slo_v1(o: Obj, b: Builder, ix: Index) -> None:
    for key in ("apiVersion", "kind"):
        o.get(key)
    meta, spec = o.obj("metadata"), o.obj("spec")
    o.done()
    name = meta.text("name", required=True) if meta else None
    if meta is None or spec is None or name is None:
        o.r.fail(o.at / ("spec" if meta else "metadata"), "required")
        return
    ctx: dict[str, Any] = {"display": meta.text("displayName"), "labels": meta.names("labels")}
    ctx["overrides"] = _annotations(meta, "slo")
    meta.done()
    service = spec.text("service", required=True)
    indicator = _indicator(spec, ix)
    window, tz = time_window(spec)
    method = spec.text("budgetingMethod") or "Occurrences"
    if method not in ("Occurrences", "Timeslices", "RatioTimeslices"):
        spec.r.fail(spec.at / "budgetingMethod", f"{method!r}: one of Occurrences, Timeslices, RatioTimeslices")
    policies = alert_policies(spec, ix)
    alerting = {"page": {"disable": True}, "ticket": {"disable": True}, "burn_rate": policies} if policies else None
    ctx.update(service=service, indicator=indicator, window=window, tz=tz, method=method, alerting=alerting)
    ctx["description"] = spec.text("description")
    objectives = spec.objs("objectives")
    if not objectives:
        spec.r.fail(spec.at / "objectives", "at least one objective")
    for i, obj in enumerate(objectives):
        found = _objective(obj, name if len(objectives) == 1 else f"{name}-{i}", ctx, b, ix)
        if found and service:
            b.add(found)
    spec.done()


def service_v1(o: Obj, b: Builder) -> None:
    """A Service document: the catalogue service (even without SLOs), its display name,
    description and labels."""
    for key in ("apiVersion", "kind"):
        o.get(key)
    meta, spec = o.obj("metadata"), o.obj("spec")
    o.done()
    name = meta.text("name", required=True) if meta else None
    entry = b.service(name, o.at) if name else None
    if entry is None or meta is None:
        return
    for key, value in (("display_name", meta.text("displayName")), ("labels", meta.names("labels"))):
        if value:
            entry[key] = value
    b.overrides[entry["name"]] = _annotations(meta, "service")
    meta.done()
    if spec:
        description = spec.text("description")
        if description:
            entry["description"] = description
        spec.done()
