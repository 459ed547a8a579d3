"""Apply a delivery's alerts to the register in a handful of statements, whatever its size.

(fingerprint, startsAt at millisecond precision) identifies an occurrence, so repeats are no-ops; at
most one incident per fingerprint is open; a resolved incident whose alert fires again within the
reopen window reopens, later a new incident links to it; a late ``firing`` for an occurrence already
resolved is ignored; a ``resolved`` seen before its ``firing`` is recorded so the late firing is
recognised. A ``resolved`` notification resolves every open occurrence of its fingerprint that started
at or before its ``endsAt``, so a replay that changed ``startsAt`` leaves no phantom occurrence open.

Lookups are made once per delivery; new incidents are inserted together; history rows and problem
proposals follow once the incidents have their ids.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from operator import attrgetter

from sqlalchemy import and_, bindparam, func, insert, literal_column, or_, select, update
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from sms_metrics.catalogue.model import Catalogue
from sms_metrics.core.clocks import due_times
from sms_metrics.core.priority import impact_of, priority, urgency_of
from sms_metrics.register.base import History, text_of
from sms_metrics.register.incidents.alert import AlertEvent, to_millisecond
from sms_metrics.register.incidents.bulk import New, NewOccurrence, insert_rows
from sms_metrics.register.incidents.problems import THRESHOLD, WINDOW, propose_problem
from sms_metrics.register.kinds.incidents import LIFECYCLE, OPEN, WATCHED, Incident, Occurrence, clock_terms
from sms_metrics.register.kinds.problems import ACTIVE, Problem

KIND = "incident"
ACTOR = "alertmanager"


def new_incident(alert: AlertEvent, catalogue: Catalogue | None, now: datetime, memo: dict | None = None) -> dict:
    """The column values of a new incident for ``alert`` (every column of the table but ``id``): service,
    priority, SLA due times. ``memo`` (one per delivery) keeps what alerts of the same service, severity
    and start share, so that an alert storm looks the catalogue and the clocks up once, and each alert
    only adds its own fields to a copy of the shared ones (its keys are tagged by what they hold, so that
    no service or severity name can collide with another entry)."""
    labels, ann = alert.labels, alert.annotations
    name = labels.get("service") or labels.get("sloth_service") or "unknown"
    memo = {} if memo is None else memo
    key = ("shared", name, labels.get("severity"), alert.starts_at)
    shared = memo.get(key)
    if shared is None:
        shared = memo[key] = _shared_columns(name, labels.get("severity"), alert.starts_at, catalogue, now, memo)
    return {
        **shared,
        "slo": labels.get("slo") or labels.get("sloth_slo"),
        "fingerprint": alert.fingerprint,
        "alertname": labels.get("alertname"),
        "title": (ann.get("summary") or ann.get("title") or labels.get("alertname") or "alert")[:500],
        "description": ann.get("description"),
        "runbook_url": ann.get("runbook_url") or ann.get("runbook"),
        "generator_url": alert.generator_url or None,
        "labels": dict(labels),
    }


_COLUMNS = tuple(c.key for c in Incident.__table__.columns if c.key != "id")


def _shared_columns(
    name: str, severity: str | None, starts_at: datetime, catalogue: Catalogue | None, now: datetime, memo: dict
) -> dict:
    """What every new incident of service ``name`` with this severity and start has: the rest of the
    columns empty."""
    rated = memo.get(("rated", name, severity))
    if rated is None:
        service = catalogue.find(name) if catalogue is not None else None
        impact, urgency = impact_of(service.criticality if service else None), urgency_of(severity)
        rated = memo[("rated", name, severity)] = (impact, urgency, priority(impact, urgency), service is None)
    impact, urgency, prio, triage = rated
    terms = memo.get(("terms", name))
    if terms is None:
        terms = memo[("terms", name)] = clock_terms(catalogue, name)
    return {
        **dict.fromkeys(_COLUMNS),
        "status": "new",
        "priority": prio,
        "impact": impact,
        "urgency": urgency,
        "service": name,
        "needs_triage": triage,
        "opened_at": starts_at,
        "occurrence_count": 1,
        "created_at": now,
        "updated_at": now,
        **due_times(terms, prio, starts_at),
    }


# built once: SQLAlchemy then only looks their compiled form up (building a statement per delivery
# cost about as much as running it)


class _elements(FunctionElement):
    """The elements of a JSON array, as rows of a column ``value``: a list of any length is one bound
    parameter (an expanding IN list renders a placeholder per value on every execution: 2,500 of them
    for a storm cost more than the query)."""

    name = "json_elements"
    inherit_cache = True


@compiles(_elements, "sqlite")
def _elements_sqlite(element, compiler, **kw):
    return f"json_each({compiler.process(element.clauses, **kw)})"


@compiles(_elements)
def _elements_default(element, compiler, **kw):  # PostgreSQL
    return f"json_array_elements_text(CAST({compiler.process(element.clauses, **kw)} AS json))"


def _listed(name: str):
    """A subquery over the JSON list bound as ``name`` (see :class:`_elements`)."""
    return select(literal_column("value")).select_from(_elements(bindparam(name)))


def _list(values) -> str:
    return json.dumps(sorted(values))


_OCCURRENCES = select(Occurrence).where(Occurrence.fingerprint.in_(_listed("fps")))
_LATEST = select(Incident).where(
    Incident.id.in_(
        select(func.max(Incident.id)).where(Incident.fingerprint.in_(_listed("fps"))).group_by(Incident.fingerprint)
    )
)
_MAX_ID = select(func.max(Incident.__table__.c.id))
_ACTIVE_PROBLEMS = select(Problem.id, Problem.fingerprint, Problem.service).where(
    Problem.status.in_(sorted(ACTIVE)),
    or_(
        Problem.fingerprint.in_(_listed("fps")),
        and_(Problem.fingerprint.is_(None), Problem.service.in_(_listed("services"))),
    ),
)
_JOIN_PROBLEM = (
    update(Incident.__table__)
    .where(Incident.__table__.c.id == bindparam("incident"))
    .values(problem_id=bindparam("problem"))
)
_RECENT = {
    field: select(getattr(Incident, field), func.count())
    .where(getattr(Incident, field).in_(_listed("values")), Incident.opened_at >= bindparam("since"))
    .group_by(getattr(Incident, field))
    for field in ("fingerprint", "service")
}


_ROW = attrgetter("id", *_COLUMNS)  # a new incident's row, in the table's order
_HISTORY = ("record_kind", "record_id", "actor", "at", "field", "old", "new")


def snapshot(inc) -> dict:
    return {f: getattr(inc, f) for f in WATCHED}


class AlertBatch:
    def __init__(
        self,
        session: Session,
        alerts: list[AlertEvent],
        *,
        catalogue: Catalogue | None,
        now: datetime,
        reopen_window: timedelta,
    ):
        self.s, self.catalogue, self.now, self.window = session, catalogue, now, reopen_window
        fps = _list({a.fingerprint for a in alerts})
        self.occ = {
            (o.fingerprint, to_millisecond(o.starts_at)): o for o in session.scalars(_OCCURRENCES, {"fps": fps})
        }
        # the newest incident of a fingerprint is its open one when there is one (a new incident only
        # opens when none is open), so one query gives both
        self.last = {i.fingerprint: i for i in session.scalars(_LATEST, {"fps": fps})}
        self.stored_fps = set(self.last)  # fingerprints with incidents before this delivery
        self.open = {fp: i for fp, i in self.last.items() if i.status in OPEN}
        self.before: dict[int, tuple[object, dict]] = {}
        self.created: list[New] = []
        self.new_occurrences: list[NewOccurrence] = []
        self.memo: dict = {}  # see new_incident

    def touch(self, inc):
        if id(inc) not in self.before:  # created by this delivery (New): no earlier values
            self.before[id(inc)] = (inc, {} if isinstance(inc, New) else snapshot(inc))
        inc.updated_at = self.now
        return inc

    def add_occurrence(self, inc, alert: AlertEvent, resolved: bool = False) -> None:
        ends = (alert.ends_at or self.now) if resolved else None
        occ = NewOccurrence(inc, alert.fingerprint, alert.starts_at, ends, resolved)
        self.new_occurrences.append(occ)
        self.occ[(alert.fingerprint, alert.starts_at)] = occ

    def create(self, alert: AlertEvent, linked) -> New:
        inc = New(new_incident(alert, self.catalogue, self.now, self.memo), linked=linked)
        self.created.append(inc)
        self.touch(inc)
        self.open[alert.fingerprint] = inc
        self.last[alert.fingerprint] = inc
        return inc

    def apply(self, alert: AlertEvent) -> str:
        if alert.status == "resolved":
            return self.resolve(alert)
        if (alert.fingerprint, alert.starts_at) in self.occ:
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
            and alert.starts_at - last.resolved_at <= self.window
        ):
            LIFECYCLE.check("incident", last.status, "new")
            self.touch(last)
            last.status, last.resolved_at, last.resolution_reason = "new", None, None
            last.occurrence_count += 1
            self.add_occurrence(last, alert)
            self.open[alert.fingerprint] = last
            return "reopened"
        inc = self.create(alert, last)
        self.add_occurrence(inc, alert)
        return "opened"

    def resolve(self, alert: AlertEvent) -> str:
        fp, ends = alert.fingerprint, alert.ends_at or self.now
        firing = [o for (f, start), o in self.occ.items() if f == fp and not o.resolved and start <= ends]
        if not firing:
            if (fp, alert.starts_at) in self.occ:
                return "duplicate"
            # resolved before we saw it fire (out of order): record it so a late firing is recognised
            inc = self.create(alert, None)
            inc.status, inc.resolved_at, inc.resolution_reason = "resolved", ends, "alert resolved"
            self.open.pop(fp, None)
            self.add_occurrence(inc, alert, resolved=True)
            return "recorded-resolved"
        for o in firing:
            o.resolved, o.ends_at = True, ends
        action = "noted"
        for inc in {id(o.incident): o.incident for o in firing}.values():  # lazy-loaded for stored ones
            still = any(not o.resolved for (f, _), o in self.occ.items() if f == fp and o.incident is inc)
            if inc.status in OPEN and not still:
                self.touch(inc)
                inc.status, inc.resolved_at, inc.resolution_reason = "resolved", ends, "alert resolved"
                self.open.pop(fp, None)
                action = "resolved"
        return action

    def _insert_new(self) -> None:
        """New incidents and occurrences in two executemany statements (ids come back in order)."""
        if self.created:
            for inc in self.created:
                if inc.linked is not None:
                    inc.linked_incident_id = inc.linked.id
            table = Incident.__table__
            if self.s.get_bind().dialect.name == "sqlite":
                # the write lock (BEGIN IMMEDIATE) is ours: number the rows and insert them in one executemany
                first = (self.s.scalar(_MAX_ID) or 0) + 1
                for k, inc in enumerate(self.created):
                    inc.id = first + k
                insert_rows(self.s, table, ("id", *_COLUMNS), list(map(_ROW, self.created)))
            else:
                rows = [dict(zip(_COLUMNS, _ROW(inc)[1:])) for inc in self.created]
                ids = self.s.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
                for inc, new_id in zip(self.created, ids.scalars()):
                    inc.id = new_id
        insert_rows(
            self.s, Occurrence.__table__, NewOccurrence.COLUMNS, list(map(NewOccurrence.row, self.new_occurrences))
        )

    def finish(self) -> None:
        self.s.flush()  # changes to stored incidents and occurrences
        crossing = self._known_problems()
        self._insert_new()
        # the third repeat within a week proposes a problem; later incidents of this delivery with the
        # same fingerprint or service join the problem just proposed without asking for it again (an
        # alert storm of thousands of alerts on a few services made as many proposals otherwise: seconds)
        proposed: dict[tuple[str, object], int] = {}
        joined = []
        for inc, field in crossing:
            known = next(
                (
                    proposed[k]
                    for k in (("fingerprint", inc.fingerprint), (field, getattr(inc, field)))
                    if k in proposed
                ),
                None,
            )
            if known is not None:
                inc.problem_id = known
                joined.append({"incident": inc.id, "problem": known})
                continue
            # the new incident itself: a proposal reads its fields and links only the week's first three
            problem = propose_problem(self.s, incident=inc, now=self.now)
            inc.problem_id = problem.id if problem is not None else None
            if problem is not None:
                proposed[(field, getattr(inc, field))] = problem.id
                # linked here whether or not it is among the first three that the proposal links itself
                joined.append({"incident": inc.id, "problem": problem.id})
        if joined:
            self.s.execute(_JOIN_PROBLEM, joined)
        rows = []
        for inc, before in self.before.values():
            if not before:  # a new record: its creation
                rows.append((KIND, inc.id, ACTOR, self.now, "status", None, inc.status))
                continue
            for f in WATCHED:
                old, new = before.get(f), getattr(inc, f)
                if old != new:
                    rows.append((KIND, inc.id, ACTOR, self.now, f, text_of(old), text_of(new)))
        insert_rows(self.s, History.__table__, _HISTORY, rows)  # one executemany, append-only

    def _known_problems(self) -> list[tuple[New, str]]:
        """Attach new incidents to active problems of their fingerprint or service; return those
        that reach the repeat threshold without one (a problem is proposed for them), each with the
        field that reaches it."""
        new = [i for i in self.created if i.status in OPEN]
        if not new:
            return []
        since = min(i.opened_at for i in new) - WINDOW
        fps, services = {i.fingerprint for i in new if i.fingerprint}, {i.service for i in new}
        active = self.s.execute(_ACTIVE_PROBLEMS, {"fps": _list(fps), "services": _list(services)}).all()
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
            values = {getattr(i, field) for i in unknown if getattr(i, field)}
            if field == "fingerprint":
                values &= self.stored_fps  # a fingerprint never seen before has no earlier incident
            query = _RECENT[field]
            found[field] = (
                dict(self.s.execute(query, {"values": _list(values), "since": since}).all()) if values else {}
            )
        crossing, batch_counts = [], {}
        for inc in new:
            for field in ("fingerprint", "service"):
                key = (field, getattr(inc, field))
                batch_counts[key] = batch_counts.get(key, 0) + 1
            inc.problem_id = found["fingerprint_problem"].get(inc.fingerprint) or found["service_problem"].get(
                inc.service
            )
            if inc.problem_id is None:
                field = next(
                    (
                        f
                        for f in ("fingerprint", "service")  # the order propose_problem asks in
                        if found[f].get(getattr(inc, f), 0) + batch_counts[(f, getattr(inc, f))] >= THRESHOLD
                    ),
                    None,
                )
                if field is not None:
                    crossing.append((inc, field))
        return crossing


def ingest_alerts(
    session: Session,
    *,
    alerts: list[AlertEvent],
    catalogue: Catalogue | None,
    now: datetime,
    reopen_window: timedelta = timedelta(hours=1),
) -> list[str]:
    """Apply a delivery's alerts in order; returns what happened to each (opened, resolved, ...)."""
    batch = AlertBatch(session, alerts, catalogue=catalogue, now=now, reopen_window=reopen_window)
    actions = [batch.apply(a) for a in alerts]
    batch.finish()
    return actions
