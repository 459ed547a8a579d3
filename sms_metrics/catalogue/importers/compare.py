"""Where two catalogues differ, field by field: what an export did not carry."""

from __future__ import annotations

from dataclasses import dataclass

from sms_metrics.catalogue.model import Catalogue
from sms_metrics.catalogue.writer import catalogue_data


@dataclass(frozen=True)
class Difference:
    service: str
    slo: str | None  # None: a field of the service
    field: str  # "" when the whole service or SLO is missing
    loc: tuple  # in the original catalogue, e.g. ("services", 0, "slos", 1, "sli")
    want: object  # the original value (None: absent)


def _canonical(slo: dict) -> dict:
    """An SLO with defaults spelled out removed (the default alert name)."""
    alerting = slo.get("alerting")
    if isinstance(alerting, dict) and alerting.get("name") == "ErrorBudgetBurn":
        rest = {k: v for k, v in alerting.items() if k != "name"}
        return {k: v for k, v in {**slo, "alerting": rest}.items() if v != {}}
    return slo


def _fields(a: dict, b: dict, skip: tuple[str, ...]) -> list[str]:
    keys = [k for k in a if k not in skip] + [k for k in b if k not in a and k not in skip]
    return [k for k in keys if a.get(k) != b.get(k)]


def differences(original: Catalogue, again: Catalogue) -> list[Difference]:
    """Every service and SLO field of ``original`` that ``again`` does not have the same."""
    a, b = catalogue_data(original), catalogue_data(again)
    out = [Difference("", None, k, (k,), a.get(k)) for k in _fields(a, b, ("services",))]
    others = {s["name"]: s for s in b.get("services", [])}
    for i, svc in enumerate(a.get("services", [])):
        other = others.get(svc["name"], {"name": svc["name"]})
        for k in _fields(svc, other, ("slos",)):
            out.append(Difference(svc["name"], None, k, ("services", i, k), svc.get(k)))
        slos = {s["name"]: _canonical(s) for s in other.get("slos", [])}
        for j, slo in enumerate(map(_canonical, svc.get("slos", []))):
            if slo["name"] not in slos:
                out.append(Difference(svc["name"], slo["name"], "", ("services", i, "slos", j), slo))
                continue
            for k in _fields(slo, slos[slo["name"]], ()):
                out.append(Difference(svc["name"], slo["name"], k, ("services", i, "slos", j, k), slo.get(k)))
    return out
