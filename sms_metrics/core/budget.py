"""Budget variance: planned against actual amounts per service, category and currency.

Amounts of different currencies are never added together. The variance compares like with like: the
actual amounts against the planned amounts of the same items (those with an actual booked); what is
planned but not yet booked is reported apart (``planned_without_actual``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass
class Line:
    service: str
    category: str
    currency: str
    items: int = 0
    planned: float = 0.0
    actual: float = 0.0
    planned_with_actual: float = 0.0
    planned_without_actual: float = 0.0
    refs: list[str] = field(default_factory=list)

    def add(self, item: Mapping) -> None:
        self.items += 1
        self.planned += item["planned_amount"]
        self.refs.append(item["ref"])
        if item.get("actual_amount") is None:
            self.planned_without_actual += item["planned_amount"]
        else:
            self.actual += item["actual_amount"]
            self.planned_with_actual += item["planned_amount"]

    def as_dict(self) -> dict:
        variance = self.actual - self.planned_with_actual
        base = self.planned_with_actual
        return {
            "service": self.service,
            "category": self.category,
            "currency": self.currency,
            "items": self.items,
            "planned": round(self.planned, 2),
            "actual": round(self.actual, 2),
            "variance": round(variance, 2),
            "variance_percent": None if base == 0 else round(100 * variance / base, 2),
            "planned_without_actual": round(self.planned_without_actual, 2),
            "items_refs": self.refs,
        }


def _sum(items: Iterable[Mapping], key) -> list[Line]:
    lines: dict[tuple, Line] = {}
    for item in items:
        k = key(item)
        lines.setdefault(k, Line(*k)).add(item)
    return [lines[k] for k in sorted(lines)]


def variance(items: list[Mapping]) -> dict:
    """``lines`` per (service, category, currency), ``services`` per (service, currency) and ``totals``
    per currency. Each item: ``ref, service, category, currency, planned_amount, actual_amount``."""
    return {
        "lines": [x.as_dict() for x in _sum(items, lambda i: (i["service"], i["category"], i["currency"]))],
        "services": [x.as_dict() for x in _sum(items, lambda i: (i["service"], "*", i["currency"]))],
        "totals": [x.as_dict() for x in _sum(items, lambda i: ("*", "*", i["currency"]))],
    }


CSV_FIELDS = (
    "service",
    "category",
    "currency",
    "items",
    "planned",
    "actual",
    "variance",
    "variance_percent",
    "planned_without_actual",
)


def _cell(v) -> str:
    return "" if v is None else f"{v:.2f}" if isinstance(v, float) else str(v)


def variance_rows(report: Mapping) -> list[list[str]]:
    """Every line, then each service's subtotal and each currency's total ('*' marks a subtotal)."""
    rows = [*report["lines"], *report["services"], *report["totals"]]
    return [[_cell(r[f]) for f in CSV_FIELDS] for r in rows]


def variance_markdown(report: Mapping) -> str:
    head = f"# Budget variance {report['period']}" + (f" ({report['service']})" if report.get("service") else "")
    lines = [head, "", "| " + " | ".join(CSV_FIELDS) + " |", "|" + "---|" * len(CSV_FIELDS)]
    lines += ["| " + " | ".join(r) + " |" for r in variance_rows(report)]
    note = "Variance = actual − planned over the items with an actual amount; a subtotal's service or category is *."
    return "\n".join([*lines, "", note]) + "\n"
