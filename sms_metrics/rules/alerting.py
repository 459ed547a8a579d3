"""An SLO's ``alerting`` settings applied to its generated alerts, and its single-window burn-rate
alerts (OpenSLO alert policies).

The page and ticket alerts keep their expressions; ``alerting`` renames them, adds labels and
annotations (SLO-wide, then per severity, the later winning) or leaves them out (``disable``).
"""

from __future__ import annotations

from sms_metrics.catalogue.alerting import BurnRateAlert
from sms_metrics.catalogue.model import SLO, Service
from sms_metrics.core.durations import format_duration

OPS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


def _match(service: Service, slo: SLO) -> str:
    return f'{{sloth_id="{service.sloth_id(slo)}", sloth_service="{service.sloth_name}", sloth_slo="{slo.name}"}}'


def extra_windows(slo: SLO) -> tuple[float, ...]:
    """Windows the SLO's burn-rate alerts read, so that their recordings exist."""
    return tuple(b.window_seconds for b in slo.alerting.burn_rate) if slo.alerting else ()


def _merge(rule: dict, labels: dict[str, str], annotations: dict[str, str]) -> dict:
    return {
        **rule,
        "labels": {**rule["labels"], **labels},
        "annotations": {**rule.get("annotations", {}), **annotations},
    }


def slo_alerts(service: Service, slo: SLO, burn: list[dict], no_data: dict) -> list[dict]:
    """The SLO's alerts with its ``alerting`` settings applied, then its burn-rate alerts."""
    a = slo.alerting
    if a is None:
        return [*burn, no_data]
    out = []
    for rule in burn:
        spec = a.page if rule["labels"].get("sloth_severity") == "page" else a.ticket
        if not spec.disable:
            renamed = {**rule, "alert": a.name or rule["alert"]}
            out.append(_merge(renamed, {**a.labels, **spec.labels}, {**a.annotations, **spec.annotations}))
    if not a.no_data.disable:
        out.append(_merge(no_data, {**a.labels, **a.no_data.labels}, {**a.annotations, **a.no_data.annotations}))
    for b in a.burn_rate:
        out += burn_rate_rules(service, slo, b)
    return out


def burn_rate_rules(service: Service, slo: SLO, b: BurnRateAlert) -> list[dict]:
    """One rule per notification target (its ``notification_target`` label) for ``b``."""
    if b.disable and not b.no_data:
        return []
    w, m = format_duration(b.window_seconds), _match(service, slo)
    budget = round(1 - slo.objective / 100, 10)
    parts = (
        []
        if b.disable
        else [f"max(slo:sli_error:ratio_rate{w}{m} {OPS[b.op]} ({b.threshold!r} * {budget!r})) without (sloth_window)"]
    )
    if b.no_data:
        parts.append(f"absent(slo:sli_error:ratio_rate{w}{m})")
    labels = {"service": service.name, "slo": slo.name, "severity": b.severity}
    if b.notify_resolved:
        labels["notify_resolved"] = "true"
    annotations = {
        "summary": f"{service.name} {slo.name}: burn rate over {w} {OPS[b.op]} {b.threshold:g}",
        "description": f"SLO {slo.objective:g}% over {format_duration(slo.window_seconds)}: the error budget burn "
        f"rate over the last {w} is {OPS[b.op]} {b.threshold:g}" + (", or the SLI has no data." if b.no_data else "."),
    }
    rule: dict = {"alert": b.name, "expr": "\nor\n".join(parts)}
    if b.alert_after:
        rule["for"] = b.alert_after
    alerting = slo.alerting
    assert alerting is not None
    rule = _merge(
        {**rule, "labels": labels, "annotations": annotations}, {**alerting.labels, **b.labels}, b.annotations
    )
    if not b.notify:
        return [rule]
    return [{**rule, "labels": {**rule["labels"], "notification_target": t.name}} for t in b.notify]
