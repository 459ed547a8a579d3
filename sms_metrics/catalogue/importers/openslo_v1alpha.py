"""OpenSLO ``v1alpha`` as Sloth reads it: each objective of an SLO becomes an SLO named
``<name>-<index>`` (so ``sloth_id`` is Sloth's ``<service>-<name>-<index>``), its ``ratioMetrics``
an events SLI (bad = total - good), ``timeWindows`` in days its window. Sloth makes no alerts for
these SLOs; the import keeps it that way (page, ticket and no-data alerts disabled)."""

from __future__ import annotations

from typing import Any

from sms_metrics.catalogue.importers.build import Builder, Found
from sms_metrics.catalogue.importers.source import Obj
from sms_metrics.catalogue.model import WINDOW_TEMPLATE

NO_ALERTS = {"page": {"disable": True}, "ticket": {"disable": True}, "no_data": {"disable": True}}
META = {"labels": "not read by Sloth for v1alpha", "annotations": "not read by Sloth for v1alpha"}


def _window(spec: Obj) -> str | None:
    windows = spec.objs("timeWindows")
    if len(windows) > 1:
        spec.r.fail(spec.at / "timeWindows", "only one time window is supported")
    if not windows:
        return None
    w = windows[0]
    count, unit = w.number("count", required=True), (w.text("unit", required=True) or "").lower()
    if unit != "day":
        w.r.refuse(w.at / "unit", "only days are supported (as in Sloth)")
    rolling = w.get("isRolling")
    if w.get("calendar") is not None or rolling is False:
        w.r.refuse(w.at, "a calendar window cannot be carried for v1alpha (Sloth reads it as rolling)")
    w.done()
    return f"{int(count)}d" if count and count > 0 and unit == "day" else None


def _query(m: Obj | None, b: Builder) -> str | None:
    if m is None:
        return None
    source, qtype = (m.text("source") or "").lower(), (m.text("queryType") or "").lower()
    if source not in ("prometheus", "sloth"):
        m.r.refuse(m.at / "source", f"{source or 'no source'}: only prometheus queries can be read")
    if qtype != "promql":
        m.r.refuse(m.at / "queryType", f"{qtype or 'no queryType'}: only promql can be read")
    q = m.text("query", required=True)
    if q and not WINDOW_TEMPLATE.search(q):
        m.r.refuse(m.at / "query", "has no {{.window}}: Sloth would record one value for every window")
    m.done()
    return b.query(m.at / "query", WINDOW_TEMPLATE.sub("{{window}}", q)) if q else None


def _objective(o: Obj, name: str, b: Builder) -> dict | None:
    rm = o.obj("ratioMetrics")
    if rm is None:
        o.r.refuse(o.at, "only ratioMetrics objectives can be read (as in Sloth)")
        o.done()
        return None
    good, total = _query(rm.obj("good"), b), _query(rm.obj("total"), b)
    rm.get("incremental")
    rm.done()
    target = o.number("target", required=True)
    if target is not None and not 0 < target < 1:
        o.r.fail(o.at / "target", "must be between 0 and 1")
    slo: dict[str, Any] = {"name": name, "display_name": o.text("displayName"), "objective": None}
    if target is not None:
        slo["objective"] = round(target * 100, 10)
    o.done({"op": "ignored for ratio objectives (as in Sloth)", "value": "ignored for ratio objectives (as in Sloth)"})
    if not (good and total and slo["objective"]):
        return None
    slo["sli"] = {"events": {"errors": f"({total}) - ({good})", "total": total}}
    return slo


def slo_v1alpha(o: Obj, b: Builder) -> None:
    for key in ("apiVersion", "kind"):
        o.get(key)
    meta, spec = o.obj("metadata"), o.obj("spec")
    name = meta.text("name", required=True) if meta else None
    if spec is None or not name:
        o.r.fail(o.at / ("spec" if spec is None else "metadata"), "required")
        return
    service, display = spec.text("service", required=True), meta.text("displayName") if meta else None
    window, description = _window(spec), spec.text("description")
    method = spec.text("budgetingMethod") or "Occurrences"
    if method != "Occurrences":
        spec.r.refuse(spec.at / "budgetingMethod", f"{method} cannot be carried for v1alpha (Sloth counts occurrences)")
    for i, obj in enumerate(spec.objs("objectives")):
        slo = _objective(obj, f"{name}-{i}", b)
        if slo and service:
            slo.update(description=description, alerting=NO_ALERTS)
            slo["display_name"] = slo["display_name"] or display
            if window:
                slo["window"] = window
            b.add(Found(service, {k: v for k, v in slo.items() if v is not None}, obj.at))
    spec.done()
    if meta:
        meta.done(META)
    o.done()


def service_v1alpha(o: Obj, b: Builder) -> None:
    """A v1alpha Service: its description goes to the catalogue service."""
    for key in ("apiVersion", "kind"):
        o.get(key)
    meta, spec = o.obj("metadata"), o.obj("spec")
    name = meta.text("name", required=True) if meta else None
    entry = b.service(name, o.at) if name else None
    if entry is not None and spec is not None:
        description = spec.text("description")
        if description:
            entry.setdefault("description", description)
    if meta and entry is not None:
        display = meta.text("displayName")
        if display:
            entry.setdefault("display_name", display)
        meta.done(META)
    if spec:
        spec.done()
    o.done()
