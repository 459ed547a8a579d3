"""Review and due dates the register watches: a kind that keeps one declares a ``DUE`` (which states
count, the rule that says why a record is overdue, the column the flag goes in). The review job
(``jobs/reviews.py``) flags the records that became overdue and clears those that no longer are."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, or_, select

from sms_metrics.register.base import record_changes
from sms_metrics.register.db import transaction

log = logging.getLogger(__name__)
ACTOR = "job:reviews"


@dataclass(frozen=True)
class Due:
    kind: str  # the kind's name
    states: frozenset[str]  # the states in which the date counts
    flag: str  # the column holding when the record was flagged (None: not overdue)
    event: str  # the event emitted when a record is flagged
    rule: Callable[[Any, date], str | None]  # why the record is overdue on that day, or None


def clear_if_met(ctx, row, due: Due) -> None:
    """In a PATCH: drop the flag at once when the record is no longer overdue."""
    if getattr(row, due.flag) is not None and due.rule(row, ctx.now.date()) is None:
        setattr(row, due.flag, None)


@dataclass
class Flagged:
    kind: str
    ref: str
    reason: str


def check_dues(system, dues: list[Due]) -> tuple[list[Flagged], int]:
    """One pass: flag every record that is overdue and not yet flagged (a history row with the reason,
    then the event), clear the flag of those no longer overdue. Returns (flagged, cleared)."""
    records, now = system.records, system.now()
    flagged: list[tuple[Any, Any, str]] = []
    cleared = 0
    with transaction(system.sessions) as session:
        for due in dues:
            kind = records.kind(due.kind)
            model, flag = kind.model, getattr(kind.model, due.flag)
            rows = session.scalars(
                select(model).where(or_(model.status.in_(sorted(due.states)), flag.isnot(None))).order_by(model.id)
            )
            for row in rows:
                reason = due.rule(row, now.date()) if row.status in due.states else None
                was = getattr(row, due.flag)
                if reason and was is None:
                    setattr(row, due.flag, now)
                    flagged.append((kind, row, reason))
                elif not reason and was is not None:
                    setattr(row, due.flag, None)
                    cleared += 1
                else:
                    continue
                session.add(row)
                _log(session, kind, row, due.flag, was, getattr(row, due.flag), reason or "no longer overdue", now)
        session.flush()
        reads = [(kind, records.to_read(kind, row), reason) for kind, row, reason in flagged]
    dues_of = {d.kind: d for d in dues}
    for kind, read, reason in reads:
        log.warning("%s %s overdue: %s", kind.title, read.ref, reason)
        system.events.emit(kind.name, dues_of[kind.name].event, read)
    return [Flagged(kind.name, read.ref, reason) for kind, read, reason in reads], cleared


def _log(session, kind, row, field, old, new, reason, now) -> None:
    record_changes(
        session, kind=kind.name, record_id=row.id, actor=ACTOR, at=now, changes={field: (old, new)}, reason=reason
    )


class OverdueCollector(Collector):
    """``sms_reviews_overdue{kind}``: records flagged overdue and still in a state where the date counts,
    counted in SQL at scrape time (restricted kinds are left out)."""

    def __init__(self, system, dues):
        self.system, self.dues = system, list(dues)

    def collect(self):
        gauge = GaugeMetricFamily(
            "sms_reviews_overdue", "Records flagged overdue by the review job, by kind", labels=["kind"]
        )
        with self.system.readers() as s:
            for due in self.dues:
                kind = self.system.records.kind(due.kind)
                if kind.restricted:
                    continue
                model = kind.model
                n = s.scalar(
                    select(func.count()).where(
                        getattr(model, due.flag).isnot(None), model.status.in_(sorted(due.states))
                    )
                )
                gauge.add_metric([kind.path], int(n or 0))
        return [gauge]
