"""Apply a delivery's alerts to the register in a handful of statements, whatever its size.

(fingerprint, startsAt) identifies an occurrence, so repeats are no-ops; at most one incident per
fingerprint is open; a resolved incident whose alert fires again within the reopen window reopens,
later a new incident links to it; a late ``firing`` for an occurrence already resolved is ignored;
a ``resolved`` seen before its ``firing`` is recorded so the late firing is recognised.

Lookups are made once per delivery; new incidents are inserted together; history rows and problem
proposals follow once the incidents have their ids.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from sms_metrics.catalogue.model import Catalogue
from sms_metrics.register import lifecycle
from sms_metrics.register.base import History
from sms_metrics.register.incidents.models import Incident, Occurrence, Problem
from sms_metrics.register.incidents.problems import THRESHOLD, WINDOW, propose_problem
from sms_metrics.register.webhook.schema import WebhookAlert

KIND = "incident"
OPEN = lifecycle.OPEN_STATES[KIND]
WATCHED = ("status", "priority", "assignee", "resolved_at", "acknowledged_at", "occurrence_count",
           "linked_incident_id", "resolution_reason", "resolution_due_at", "problem_id")


def snapshot(inc: Incident) -> dict:
    return {f: getattr(inc, f) for f in WATCHED}


class AlertBatch:
    def __init__(self, session: Session, alerts: list[WebhookAlert], *, catalogue: Catalogue | None,
                 now: datetime, reopen_window: timedelta, new_incident):
        self.s, self.catalogue, self.now, self.window = session, catalogue, now, reopen_window
        self.new_incident = new_incident
        fps = sorted({a.fingerprint for a in alerts})
        self.occ = {(o.fingerprint, o.starts_at): o
                    for o in session.scalars(select(Occurrence).where(Occurrence.fingerprint.in_(fps)))}
        self.open = {i.fingerprint: i for i in session.scalars(
            select(Incident).where(Incident.fingerprint.in_(fps), Incident.status.in_(OPEN)))}
        last_ids = session.scalars(select(func.max(Incident.id)).where(Incident.fingerprint.in_(fps))
                                   .group_by(Incident.fingerprint)).all()
        self.last = {i.fingerprint: i for i in session.scalars(select(Incident).where(Incident.id.in_(last_ids)))} \
            if last_ids else {}
        self.before: dict[int, tuple[Incident, dict]] = {}
        self.created: list[Incident] = []

    def touch(self, inc: Incident) -> Incident:
        self.before.setdefault(id(inc), (inc, snapshot(inc) if inc not in self.created else {}))
        inc.updated_at = self.now
        return inc

    def add_occurrence(self, inc: Incident, alert: WebhookAlert, resolved: bool = False) -> None:
        occ = Occurrence(incident=inc, fingerprint=alert.fingerprint, starts_at=alert.startsAt,
                         ends_at=(alert.endsAt or self.now) if resolved else None, resolved=resolved)
        self.s.add(occ)
        self.occ[(alert.fingerprint, alert.startsAt)] = occ

    def create(self, alert: WebhookAlert, linked: Incident | None) -> Incident:
        inc = self.new_incident(alert, self.catalogue, self.now)
        inc.linked_incident = linked
        self.s.add(inc)
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
            return "duplicate"                 # repeat delivery, or a late firing after its resolve
        current = self.open.get(alert.fingerprint)
        if current is not None:
            self.touch(current).occurrence_count += 1
            self.add_occurrence(current, alert)
            return "updated"
        last = self.last.get(alert.fingerprint)
        if last is not None and last.status == "resolved" and last.resolved_at is not None \
                and alert.startsAt - last.resolved_at <= self.window:
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
        inc = occ.incident
        firing = any(not o.resolved for (fp, _), o in self.occ.items() if fp == alert.fingerprint and o.incident is inc)
        if inc.status not in OPEN or firing:
            return "noted"
        self.touch(inc)
        inc.status, inc.resolved_at, inc.resolution_reason = "resolved", ends, "alert resolved"
        self.open.pop(alert.fingerprint, None)
        return "resolved"

    def finish(self) -> None:
        self.s.flush()                          # new incidents get their ids, in one batch
        self._problems()
        rows = []
        for inc, before in self.before.values():
            fields = ("status", "priority") if not before else WATCHED
            for f in fields:
                old, new = before.get(f), getattr(inc, f)
                if old != new:
                    rows.append({"record_kind": KIND, "record_id": inc.id, "actor": "alertmanager", "at": self.now,
                                 "field": f, "old": None if old is None else str(old),
                                 "new": None if new is None else str(new)})
        if rows:
            self.s.execute(insert(History), rows)   # one executemany, append-only

    def _problems(self) -> None:
        new = [i for i in self.created if i.status in OPEN]
        if not new:
            return
        since = min(i.opened_at for i in new) - WINDOW
        counts = {}
        for field in ("fingerprint", "service"):
            col = getattr(Incident, field)
            values = {getattr(i, field) for i in new if getattr(i, field)}
            counts[field] = dict(self.s.execute(select(col, func.count()).where(col.in_(values),
                                                Incident.opened_at >= since).group_by(col)).all())
            counts[field + "_problem"] = {getattr(p, field): p for p in self.s.scalars(
                select(Problem).where(getattr(Problem, field).in_(values), Problem.status.in_(("proposed", "accepted"))))}
        for inc in new:
            known = counts["fingerprint_problem"].get(inc.fingerprint) or counts["service_problem"].get(inc.service)
            if known is not None:
                inc.problem_id = known.id
            elif counts["fingerprint"].get(inc.fingerprint, 0) >= THRESHOLD or \
                    counts["service"].get(inc.service, 0) >= THRESHOLD:
                problem = propose_problem(self.s, incident=inc, now=self.now)
                if problem is not None:
                    key = "fingerprint_problem" if problem.fingerprint else "service_problem"
                    counts[key][problem.fingerprint or problem.service] = problem
