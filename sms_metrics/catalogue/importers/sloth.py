"""Sloth: ``version: prometheus/v1`` specs, Kubernetes ``PrometheusServiceLevel`` objects
(``sloth.slok.dev/v1``) and ``AlertWindows`` files.

Names stay Sloth's: the SLO name as written, the service name as written (kept as
``sloth_service`` when the catalogue needs another name), so ``sloth_id`` is Sloth's
``<service>-<slo>`` and every series keeps its labels. Labels of the spec and of the SLO go on
every recording and alert; the alert name, its labels and annotations (SLO-wide and per
severity) and ``disable`` are kept. Sloth's own default annotations (``title``, ``summary``) are
written into the imported catalogue, so notifications read as before.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from sms_metrics.catalogue.alerting import AlertWindowsSpec
from sms_metrics.catalogue.importers.build import Builder, Found
from sms_metrics.catalogue.importers.source import Obj
from sms_metrics.catalogue.model import SLOTH_NAME_PATTERN, WINDOW_TEMPLATE
from sms_metrics.catalogue.yamlsource import format_loc

V1 = {
    "error": "error_query",
    "total": "total_query",
    "page": "page_alert",
    "ticket": "ticket_alert",
    "plugins": "slo_plugins",
}
K8S = {
    "error": "errorQuery",
    "total": "totalQuery",
    "page": "pageAlert",
    "ticket": "ticketAlert",
    "plugins": "sloPlugins",
}
CORE_RULES = {"sloth.dev/core/sli_rules/v1", "sloth.dev/core/metadata_rules/v1", "sloth.dev/core/alert_rules/v1"}
HARMLESS = CORE_RULES | {"sloth.dev/core/validate/v1"}
DEBUG = {"sloth.dev/core/noop/v1", "sloth.dev/core/debug/v1"}
VICTORIA = "sloth.dev/contrib/validate_victoria_metrics/v1"
K8S_META = "Kubernetes object identity: sms-metrics writes rule files, not PrometheusRule objects"


def sloth_defaults(severity: str) -> dict[str, str]:
    """The annotations Sloth gives every alert of that severity unless the spec overrides them."""
    what = "{{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn rate"
    return {"title": f"({severity}) {what} is too fast.", "summary": f"{what} is over expected."}


def plugins(o: Obj | None, b: Builder) -> None:
    """Sloth's SLO plugin chain: its own rule plugins are what sms-metrics does anyway; the
    VictoriaMetrics validator means the store is VictoriaMetrics; any other plugin is refused."""
    if o is None:
        return
    ids = set()
    for c in o.objs("chain"):
        pid = c.text("id", required=True) or ""
        ids.add(pid)
        c.get("priority")
        config = c.get("config") not in (None, {}, "")
        if pid in DEBUG:
            c.r.note(c.at / "id", "a debugging plugin: nothing to carry")
        elif pid not in HARMLESS | {VICTORIA}:
            o.r.refuse(c.at / "id", f"Sloth plugin {pid!r} cannot be carried: sms-metrics runs no Sloth plugins")
        elif config:
            o.r.refuse(c.at / "config", "plugin settings cannot be carried")
        if pid == VICTORIA:
            b.store = "victoriametrics"
        c.done()
    if o.flag("overridePrevious") and not ids >= CORE_RULES:
        missing = ", ".join(sorted(CORE_RULES - ids))
        o.r.refuse(o.at / "overridePrevious", f"drops Sloth's own rules ({missing}); sms-metrics always generates them")
    o.done()


def _events(sli: Obj, keys: dict[str, str], b: Builder) -> dict | None:
    ev = sli.obj("events")
    if ev is not None:
        _misspelt(ev, keys)
    raw, plugin = sli.get("raw"), sli.get("plugin")
    if raw is not None:
        sli.r.refuse(sli.at / "raw", "a raw error-ratio SLI cannot be carried: write it as events (error and total)")
    if plugin is not None:
        sli.r.refuse(sli.at / "plugin", "an SLI plugin is Go code sms-metrics cannot run: write it as events")
    sli.done()
    if ev is None:
        if raw is None and plugin is None:
            sli.r.fail(sli.at, "needs events, raw or plugin")
        return None
    out = {}
    for key, name in (("errors", keys["error"]), ("total", keys["total"])):
        q = ev.text(name, required=True)
        if q is not None and not WINDOW_TEMPLATE.search(q):
            ev.r.refuse(ev.at / name, "has no {{.window}}: Sloth would record one value for every window")
        elif q is not None:
            out[key] = b.query(ev.at / name, WINDOW_TEMPLATE.sub("{{window}}", q))
    ev.done()
    return {"events": out} if len(out) == 2 else None


def _alert(a: Obj | None, severity: str, common: dict[str, str]) -> dict:
    if a is None:
        return {"annotations": {**sloth_defaults(severity), **common}}
    out = {"disable": a.flag("disable"), "labels": a.names("labels")}
    own = a.names("annotations", "annotation")
    out["annotations"] = {**({} if out["disable"] else sloth_defaults(severity)), **common, **own}
    a.done()
    return out


def _misspelt(o: Obj, keys: dict[str, str]) -> None:
    """``page_alert`` in a Kubernetes spec (or ``pageAlert`` in a prometheus/v1 one): Sloth ignores it."""
    other = K8S if keys is V1 else V1
    for what in ("page", "ticket", "error", "total"):
        if other[what] in o.data and other[what] != keys[what]:
            o.get(other[what])
            o.r.refuse(o.at / other[what], f"unknown field: this spec spells it {keys[what]} (Sloth ignores it too)")


def alerting(slo: Obj, keys: dict[str, str]) -> dict:
    """Sloth's ``alerting`` block as the catalogue's (no alert at all: no no-data alert either)."""
    a = slo.obj("alerting")
    if a is None:
        return {"page": _alert(None, "page", {}), "ticket": _alert(None, "ticket", {})}
    _misspelt(a, keys)
    common = a.names("annotations", "annotation")
    page, ticket = _alert(a.obj(keys["page"]), "page", common), _alert(a.obj(keys["ticket"]), "ticket", common)
    out = {"name": a.text("name"), "labels": a.names("labels"), "page": page, "ticket": ticket}
    if page.get("disable") and ticket.get("disable"):
        out["no_data"] = {"disable": True}
    a.done()
    return {k: v for k, v in out.items() if v is not None}


def _slo(s: Obj, keys: dict[str, str], b: Builder) -> dict | None:
    name = s.text("name", required=True)
    if name and not re.fullmatch(SLOTH_NAME_PATTERN, name):
        s.r.fail(s.at / "name", "not a Sloth name (letters, digits, '-', '_', '.')")
    objective = s.number("objective", required=True)
    if objective is not None and not 0 < objective <= 100:
        s.r.fail(s.at / "objective", "must be > 0 and <= 100")
    plugins(s.obj("plugins"), b)
    sli_obj = s.obj("sli")
    sli = _events(sli_obj, keys, b) if sli_obj else None
    if sli_obj is None:
        s.r.fail(s.at / "sli", "required")
    slo: dict[str, Any] = {"name": name, "objective": objective, "description": s.text("description")}
    slo.update(labels=s.names("labels"), alerting=alerting(s, keys), sli=sli)
    s.done()
    return {k: v for k, v in slo.items() if v not in (None, {})} if name and sli and objective else None


def spec(o: Obj, keys: dict[str, str], b: Builder, period: dict | None) -> None:
    """One Sloth spec (the document, or a Kubernetes object's ``spec``): every SLO into ``b``."""
    service = o.text("service", required=True)
    labels = o.names("labels")
    plugins(o.obj(keys["plugins"]), b)
    slos = o.objs("slos")
    if not slos:
        o.r.fail(o.at / "slos", "at least one SLO is required")
    for s in slos:
        slo = _slo(s, keys, b)
        if slo and service:
            if period:
                slo.update(period)
            b.add(Found(service, slo, s.at, service_labels=labels))
    o.done()


def prometheus_v1(o: Obj, b: Builder, period: dict | None) -> None:
    o.get("version")
    spec(o, V1, b, period)


def kubernetes(o: Obj, b: Builder, period: dict | None) -> None:
    for key in ("apiVersion", "kind"):
        o.get(key)
    s = o.obj("spec")
    if s is None:
        o.r.fail(o.at / "spec", "required")
    else:
        spec(s, K8S, b, period)
    o.done({"metadata": K8S_META, "status": "written by the Sloth controller, not by people"})


def alert_windows(o: Obj) -> dict | None:
    """A Sloth AlertWindows file: its period and windows (the Sloth SLOs of the import use them)."""
    for key in ("apiVersion", "kind"):
        o.get(key)
    raw = o.get("spec")
    o.done({"metadata": "object identity, not needed"})
    try:
        spec_ = AlertWindowsSpec.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            o.r.fail(o.at / "spec", f"{format_loc(tuple(err['loc']))}: {err['msg']}")
        return None
    return {"window": spec_.sloPeriod, "alert_windows": spec_.model_dump()}
