"""OpenSLO v1 AlertPolicy, AlertCondition and AlertNotificationTarget as burn-rate alerts.

Each condition of a policy becomes one alert named after the policy: it fires while the burn rate
over ``lookbackWindow`` compares with ``threshold`` as ``op`` says, after ``alertAfter``, with the
condition's ``severity``; each notification target becomes the ``notification_target`` label (one
rule per target). ``alertWhenNoData`` also fires when the SLI has no value; ``alertWhenResolved``
is the label ``notify_resolved="true"`` for Alertmanager routes; ``alertWhenBreaching: false``
keeps only the no-data part. Names and display names of conditions are not needed once inlined.
"""

from __future__ import annotations

from typing import Any

from sms_metrics.catalogue.importers.index import Index
from sms_metrics.catalogue.importers.openslo_sli import shorthand
from sms_metrics.catalogue.importers.source import Obj

OPS = ("gt", "gte", "lt", "lte")
INLINED = {"displayName": "a display name (not needed)", "annotations": "annotations for other tools"}


def _head(o: Obj) -> tuple[Obj | None, Obj | None]:
    for key in ("apiVersion", "kind"):
        o.get(key)
    meta, spec = o.obj("metadata"), o.obj("spec")
    o.done()
    if spec is None:
        o.r.fail(o.at / "spec", "required")
    return meta, spec


def _condition(c: Obj) -> dict | None:
    meta, spec = _head(c)
    if meta:
        meta.get("name")
        meta.done({**INLINED, "labels": "labels of the condition object"})
    if spec is None:
        return None
    out: dict[str, Any] = {"severity": spec.text("severity", required=True), "summary": spec.text("description")}
    cond = spec.obj("condition")
    spec.done()
    if cond is None:
        spec.r.fail(spec.at / "condition", "required")
        return None
    kind = cond.text("kind") or "burnrate"
    if kind != "burnrate":
        cond.r.refuse(cond.at / "kind", f"{kind}: only burnrate conditions can be carried")
    op = cond.text("op", required=True)
    if op is not None and op not in OPS:
        cond.r.fail(cond.at / "op", f"{op!r}: one of {', '.join(OPS)}")
    out.update(op=op, threshold=cond.number("threshold", required=True))
    out.update(window=shorthand(cond, "lookbackWindow", required=True), alert_after=shorthand(cond, "alertAfter"))
    cond.done()
    return out if kind == "burnrate" and None not in (op, out["threshold"], out["window"], out["severity"]) else None


def _target(t: Obj) -> dict | None:
    meta, spec = _head(t)
    name = meta.text("name", required=True) if meta else None
    if meta:
        meta.done({**INLINED, "labels": "labels of the target object"})
    out = {"name": name}
    if spec:
        out.update(target=spec.text("target"), description=spec.text("description"))
        spec.done()
    return {k: v for k, v in out.items() if v is not None} if name else None


def policy_alerts(p: Obj, ix: Index) -> list[dict]:
    meta, spec = _head(p)
    name = meta.text("name", required=True) if meta else None
    labels = meta.names("labels") if meta else {}
    if meta:
        meta.done(INLINED)
    if spec is None or name is None:
        return []
    base = {"name": name, "labels": labels, "disable": not spec.flag("alertWhenBreaching", True)}
    base.update(no_data=spec.flag("alertWhenNoData"), notify_resolved=spec.flag("alertWhenResolved"))
    description = spec.text("description")
    targets = [ix.resolve(t, "targetRef", "AlertNotificationTarget") for t in spec.objs("notificationTargets")]
    base["notify"] = [x for x in (_target(t) for t in targets if t) if x]
    conditions = spec.objs("conditions")
    if not conditions:
        spec.r.fail(spec.at / "conditions", "at least one condition")
    out = []
    for item in conditions:
        c = ix.resolve(item, "conditionRef", "AlertCondition")
        cond = _condition(c) if c else None
        if cond:
            notes = {"summary": cond.pop("summary"), "description": description}
            out.append({**base, **cond, "annotations": {k: v for k, v in notes.items() if v}})
    spec.done()
    return out


def alert_policies(spec: Obj, ix: Index) -> list[dict]:
    """The burn-rate alerts of an SLO's ``alertPolicies`` (inline or by reference)."""
    out = []
    for item in spec.objs("alertPolicies"):
        policy = ix.resolve(item, "alertPolicyRef", "AlertPolicy")
        if policy is not None:
            out += policy_alerts(policy, ix)
    return out
