"""What a record kind puts into the auditor's evidence pack (``RecordKind.evidence``).

A kind that declares nothing gets the default: its records of the service (its ``service`` column or its
``services`` link; every record when it has neither) that belong to the period, with their history rows of
the period and, when the kind has gates, the gate decisions. Kinds that declare nothing are read by the
register's conventions: a text column ``period`` holds a period label, and every pair of date or time
columns ``X_start``/``X_end`` is a span (a continuity test's window, a survey's period)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Evidence:
    include: bool = True  # False: never in a pack (subscriptions, configuration of the tool itself)
    section: str | None = None  # the heading in the pack's index (default: the kind's path)
    dates: tuple[str, ...] = ()  # date/time columns that also put a record in the period
    period_column: str | None = None  # a text column holding a period label ("2026-10"); None: "period" if any
    # (start, end) column pairs whose span overlapping the period puts a record in it; None: every X_start/X_end
    spans: tuple[tuple[str, str], ...] | None = None
    clocks: Mapping[str, str] = field(default_factory=dict)  # clock -> the field that stops it (acknowledged_at)
    history: bool = True  # add the history rows of the period (<path>-history.csv/json)
    order: int = 100  # position in the index (lower first)
    # a custom selection: select(kind, service, period) -> a SELECT of the ids of the records that belong
    select: Callable[..., Any] | None = None


DEFAULT = Evidence()

ORDER = {  # where the kinds an auditor asks for first stand in the index
    "incident": 10,
    "service_request": 15,
    "problem": 20,
    "known_error": 25,
    "change": 30,
    "release": 35,
    "capacity_plan": 40,
    "supplier_performance": 50,
    "continuity_test": 55,
    "satisfaction_survey": 60,
    "nonconformity": 65,
}


def spec_of(kind) -> Evidence:
    spec = kind.evidence
    if spec is None:
        return Evidence(order=ORDER.get(kind.name, 100))
    if spec is False:
        return Evidence(include=False)
    return spec
