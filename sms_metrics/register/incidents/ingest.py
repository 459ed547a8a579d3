"""Apply a delivery's alerts to the register in a handful of statements, whatever its size.

(fingerprint, startsAt) identifies an occurrence, so repeats are no-ops; at most one incident per
fingerprint is open; a resolved incident whose alert fires again within the reopen window reopens,
later a new incident links to it; a late ``firing`` for an occurrence already resolved is ignored;
a ``resolved`` seen before its ``firing`` is recorded so the late firing is recognised.

Lookups are made once per delivery; new incidents are inserted together; history rows and problem
proposals follow once the incidents have their ids.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, insert, or_, select
from sqlalchemy.orm import Session

from sms_metrics.catalogue.model import Catalogue
from sms_metrics.register import lifecycle
from sms_metrics.register.base import History
from sms_metrics.register.incidents.models import Incident, Occurrence, Problem
from sms_metrics.register.incidents.problems import THRESHOLD, WINDOW, propose_problem
from sms_metrics.register.webhook.schema import WebhookAlert

KIND = "incident"
OPEN = lifecycle.OPEN_STATES[KIND]
WATCHED = (
    "status",
    "priority",
    "assignee",
    "resolved_at",
    "acknowledged_at",
    "occurrence_count",
    "linked_incident_id",
    "resolution_reason",
    "resolution_due_at",
    "problem_id",
)


def snapshot(inc: Incident) -> dict:
    return {f: getattr(inc, f) for f in WATCHED}


class _New:
    """A record created by this delivery: plain attributes, inserted in bulk by ``finish``."""

    def __init__(self, **values):
        self.__dict__.update(values)
        self.id = None


def _sqlite_datetime(v):
    """UTC text, exactly as SQLAlchemy's SQLite DateTime writes it (so comparisons stay textual)."""
    return v.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _converter(column):
    """How a value of ``column`` is stored on SQLite, or None when the driver takes it as it is."""
    kind = type(column.type).__name__
    if kind in ("UTCDateTime", "DateTime"):
        return _sqlite_datetime
    if kind == "JSON":
        return json.dumps
    if kind == "Boolean":
        return int
    return None


def bulk_insert(session: Session, table, rows: list[dict]) -> None:
    """One executemany; on SQLite straight through the driver (SQLAlchemy's per-value processing is
    most of the cost of a large delivery), elsewhere through SQLAlchemy."""
    if not rows:
        return
    if session.get_bind().dialect.name != "sqlite":
        session.execute(insert(table), rows)
        return
    cols = list(rows[0])
    insert_columns(session, table, {c: [r[c] for r in rows] for c in cols})


def insert_columns(session: Session, table, columns: dict[str, list]) -> None:
    """SQLite: insert rows given column by column; each column is converted in one pass and the
    rows are zipped together (a per-value generator costs three times as much)."""
    names, converted = [], []
    for c, values in columns.items():
        if all(v is None for v in values):
            continue  # no server defaults in the register: omitted = NULL
        f = _converter(table.c[c])
        names.append(c)
        converted.append([None if v is None else f(v) for v in values] if f else values)
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    session.connection().exec_driver_sql(sql, list(zip(*converted)))


class AlertBatch:
    def __init__(
        self,
        session: Session,
        alerts: list[WebhookAlert],
        *,
        catalogue: Catalogue | None,
        now: datetime,
        reopen_window: timedelta,
        new_incident,
    ):
        self.s, self.catalogue, self.now, self.window = session, catalogue, now, reopen_window
        self.new_incident = new_incident
        fps = sorted({a.fingerprint for a in alerts})
        self.occ = {
            (o.fingerprint, o.starts_at): o
            for o in session.scalars(select(Occurrence).where(Occurrence.fingerprint.in_(fps)))
        }
        # the newest incident of a fingerprint is its open one when there is one (a new incident only
        # opens when none is open), so one query gives both
        latest = select(func.max(Incident.id)).where(Incident.fingerprint.in_(fps)).group_by(Incident.fingerprint)
        self.last = {i.fingerprint: i for i in session.scalars(select(Incident).where(Incident.id.in_(latest)))}
        self.stored_fps = set(self.last)  # fingerprints with incidents before this delivery
        self.open = {fp: i for fp, i in self.last.items() if i.status in OPEN}
        self.before: dict[int, tuple[Incident, dict]] = {}
        self.created: list[_New] = []
        self.new_occurrences: list[_New] = []

    def touch(self, inc: Incident) -> Incident:
        self.before.setdefault(id(inc), (inc, snapshot(inc) if inc not in self.created else {}))
        inc.updated_at = self.now
        return inc

    def add_occurrence(self, inc, alert: WebhookAlert, resolved: bool = False) -> None:
        occ = _New(
            incident=inc,
            fingerprint=alert.fingerprint,
            starts_at=alert.startsAt,
            ends_at=(alert.endsAt or self.now) if resolved else None,
            resolved=resolved,
        )
        self.new_occurrences.append(occ)
        self.occ[(alert.fingerprint, alert.startsAt)] = occ

    def create(self, alert: WebhookAlert, linked) -> _New:
        inc = _New(**self.new_incident(alert, self.catalogue, self.now), linked=linked, problem_id=None)
        self.created.append(inc)
        self.touch(inc)
        self.open[alert.fingerprint] = inc
        self.last[alert.fingerprint] = inc
        return inc

    def apply(self, alert: WebhookAlert) -> str:
        occ = self.occ.get((alert.fingerprint, alert.startsAt))
        if alert.status == "resolved":
            return self.resolve(alert, occ)
        if occ is not None:
            return "duplicate"  # repeat delivery, or a late firing after its resolve
        current = self.open.get(alert.fingerprint)
        if current is not None:
            self.touch(current).occurrence_count += 1
            self.add_occurrence(current, alert)
            return "updated"
        last = self.last.get(alert.fingerprint)
        if (
            last is not None
            and last.status == "resolved"
            and last.resolved_at is not None
            and alert.startsAt - last.resolved_at <= self.window
        ):
            lifecycle.check(KIND, last.status, "new")
            self.touch(last)
            last.status, last.resolved_at, last.resolution_reason = "new", None, None
            last.occurrence_count += 1
            self.add_occurrence(last, alert)
            self.open[alert.fingerprint] = last
            return "reopened"
        inc = self.create(alert, last)
        self.add_occurrence(inc, alert)
        return "opened"

    def resolve(self, alert: WebhookAlert, occ: Occurrence | None) -> str:
        ends = alert.endsAt or self.now
        if occ is None:
            # resolved before we saw it fire (out of order): record it so a late firing is recognised
            inc = self.create(alert, None)
            inc.status, inc.resolved_at, inc.resolution_reason = "resolved", ends, "alert resolved"
            self.open.pop(alert.fingerprint, None)
            self.add_occurrence(inc, alert, resolved=True)
            return "recorded-resolved"
        if occ.resolved:
            return "duplicate"
        occ.resolved, occ.ends_at = True, ends
        inc = occ.incident  # lazy-loaded for stored occurrences
        firing = any(not o.resolved for (fp, _), o in self.occ.items() if fp == alert.fingerprint and o.incident is inc)
        if inc.status not in OPEN or firing:
            return "noted"
        self.touch(inc)
        inc.status, inc.resolved_at, inc.resolution_reason = "resolved", ends, "alert resolved"
        self.open.pop(alert.fingerprint, None)
        return "resolved"

    def _insert_new(self) -> None:
        """New incidents and occurrences in two executemany statements (ids come back in order)."""
        if self.created:
            cols = [c.key for c in Incident.__table__.columns if c.key != "id"]
            for inc in self.created:
                linked = inc.linked
                inc.linked_incident_id = linked.id if linked is not None else None
            table = Incident.__table__
            if self.s.get_bind().dialect.name == "sqlite":
                # the write lock (BEGIN IMMEDIATE) is ours: number the rows and insert them in one executemany
                first = (self.s.scalar(select(func.max(table.c.id))) or 0) + 1
                for k, inc in enumerate(self.created):
                    inc.id = first + k
                insert_columns(self.s, table, {c: [getattr(i, c, None) for i in self.created] for c in ["id", *cols]})
            else:
                rows = [{c: getattr(inc, c, None) for c in cols} for inc in self.created]
                ids = self.s.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
                for inc, new_id in zip(self.created, ids.scalars()):
                    inc.id = new_id
        bulk_insert(
            self.s,
            Occurrence.__table__,
            [
                {
                    "incident_id": o.incident.id,
                    "fingerprint": o.fingerprint,
                    "starts_at": o.starts_at,
                    "ends_at": o.ends_at,
                    "resolved": o.resolved,
                }
                for o in self.new_occurrences
            ],
        )

    def finish(self) -> None:
        self.s.flush()  # changes to stored incidents and occurrences
        crossing = self._known_problems()
        self._insert_new()
        for inc in crossing:  # rare: the third repeat within a week proposes a problem
            problem = propose_problem(self.s, incident=self.s.get(Incident, inc.id), now=self.now)
            inc.problem_id = problem.id if problem is not None else None
        rows = []
        for inc, before in self.before.values():
            fields = ("status",) if not before else WATCHED  # a new record: its creation
            for f in fields:
                old, new = before.get(f), getattr(inc, f)
                if old != new:
                    rows.append(
                        {
                            "record_kind": KIND,
                            "record_id": inc.id,
                            "actor": "alertmanager",
                            "at": self.now,
                            "field": f,
                            "old": None if old is None else str(old),
                            "new": None if new is None else str(new),
                        }
                    )
        bulk_insert(self.s, History.__table__, rows)  # one executemany, append-only

    def _known_problems(self) -> list[_New]:
        """Attach new incidents to active problems of their fingerprint or service; return those
        that reach the repeat threshold without one (a problem is proposed for them)."""
        new = [i for i in self.created if i.status in OPEN]
        if not new:
            return []
        since = min(i.opened_at for i in new) - WINDOW
        fps, services = {i.fingerprint for i in new if i.fingerprint}, {i.service for i in new}
        active = self.s.execute(
            select(Problem.id, Problem.fingerprint, Problem.service).where(
                Problem.status.in_(("proposed", "accepted")),
                or_(Problem.fingerprint.in_(fps), and_(Problem.fingerprint.is_(None), Problem.service.in_(services))),
            )
        ).all()
        found: dict[str, dict] = {
            "fingerprint_problem": {fp: pid for pid, fp, _ in active if fp},
            "service_problem": {svc: pid for pid, fp, svc in active if not fp},
        }
        unknown = [
            i
            for i in new
            if i.fingerprint not in found["fingerprint_problem"] and i.service not in found["service_problem"]
        ]
        for field in ("fingerprint", "service"):  # counts only where no problem exists yet
            col = getattr(Incident, field)
            values = {getattr(i, field) for i in unknown if getattr(i, field)}
            if field == "fingerprint":
                values &= self.stored_fps  # a fingerprint never seen before has no earlier incident
            found[field] = (
                dict(
                    self.s.execute(
                        select(col, func.count()).where(col.in_(values), Incident.opened_at >= since).group_by(col)
                    ).all()
                )
                if values
                else {}
            )
        crossing, batch_counts = [], {}
        for inc in new:
            for field in ("fingerprint", "service"):
                key = (field, getattr(inc, field))
                batch_counts[key] = batch_counts.get(key, 0) + 1
            inc.problem_id = found["fingerprint_problem"].get(inc.fingerprint) or found["service_problem"].get(
                inc.service
            )
            if inc.problem_id is None and any(
                found[f].get(getattr(inc, f), 0) + batch_counts[(f, getattr(inc, f))] >= THRESHOLD
                for f in ("fingerprint", "service")
            ):
                crossing.append(inc)
        return crossing
