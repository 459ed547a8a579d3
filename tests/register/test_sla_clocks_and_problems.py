"""SLA clocks warn at 75% and escalate at 100%; pending pauses the resolution clock; repeated
incidents propose a problem."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sms_metrics.bootstrap import build
from sms_metrics.catalogue import parse_catalogue
from sms_metrics.config import Settings
from sms_metrics.register.db import transaction
from sms_metrics.register.incidents.ingest import ingest_alerts
from sms_metrics.register.incidents.sla import check_sla_clocks
from sms_metrics.register.kinds.incidents import Incident
from sms_metrics.register.kinds.problems import Problem
from sms_metrics.register.records.access import Principal
from sms_metrics.register.webhook.schema import WebhookAlert
from tests.register.conftest import CATALOGUE, alert

CAT = parse_catalogue(CATALOGUE)
T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
ALICE = Principal("alice", "agent")


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now


def _system(db):
    clock = Clock()
    system = build(Settings(database_url=db.url), catalogue=CAT, now=clock)
    system.clock = clock
    return system


def _sessions(db):
    return _system(db).sessions


def _open(sessions, fp="a1", **kw):
    with transaction(sessions) as s:
        ingest_alerts(s, alerts=[WebhookAlert.model_validate(alert(fp, **kw)).event()], catalogue=CAT, now=T0)


def transition(system, *, incident_id, to, actor, now, **body):
    system.clock.now = now
    return system.records.move("incidents", Principal(actor, "agent"), incident_id, to, body=body)


def _clock(sessions, minutes):
    with transaction(sessions) as s:
        return check_sla_clocks(s, now=T0 + timedelta(minutes=minutes))


def test_response_clock_warns_at_75_percent_and_escalates_at_100(db):
    sessions = _sessions(db)
    _open(sessions)  # P1: respond within 15 minutes
    assert _clock(sessions, 11) == []
    [warn] = _clock(sessions, 11.25)
    assert (warn.clock, warn.kind) == ("response", "warning")
    [breach] = _clock(sessions, 15)
    assert (breach.clock, breach.kind, breach.priority) == ("response", "breach", "P1")
    assert _clock(sessions, 16) == []  # once only
    with sessions() as s:
        inc = s.query(Incident).one()
        assert inc.status == "escalated" and inc.response_breached_at is not None


def test_acknowledging_stops_the_response_clock(db):
    system = _system(db)
    sessions = system.sessions
    _open(sessions)
    transition(system, incident_id=1, to="acknowledged", actor="alice", now=T0 + timedelta(minutes=5))
    assert [e.clock for e in _clock(sessions, 20)] == []


def test_pending_pauses_the_resolution_clock(db):
    system = _system(db)
    sessions = system.sessions
    _open(sessions)  # resolution due at 14:00
    transition(system, incident_id=1, to="acknowledged", actor="alice", now=T0 + timedelta(minutes=1))
    transition(system, incident_id=1, to="pending", actor="alice", now=T0 + timedelta(minutes=60))
    assert _clock(sessions, 300) == []  # paused: no breach at 15:00
    inc = transition(
        system, incident_id=1, to="assigned", actor="alice", assignee="bob", now=T0 + timedelta(minutes=360)
    )
    # five hours pending move the 14:00 due time to 19:00
    assert inc.resolution_due_at == T0 + timedelta(hours=9)
    # 75% of four hours is three; with five paused hours the warning comes at 18:00
    assert _clock(sessions, 7 * 60 + 55) == []
    assert [(e.clock, e.kind) for e in _clock(sessions, 8 * 60)] == [("resolution", "warning")]
    assert [(e.clock, e.kind) for e in _clock(sessions, 9 * 60)] == [("resolution", "breach")]


def test_three_incidents_of_one_fingerprint_in_a_week_propose_a_problem(db):
    sessions = _sessions(db)
    for day in range(3):
        start = (T0 + timedelta(days=2 * day)).strftime("%Y-%m-%dT%H:%M:%SZ")
        _open(sessions, "rep", starts=start)
        with transaction(sessions) as s:
            resolved = WebhookAlert.model_validate(alert("rep", status="resolved", starts=start, ends=start))
            ingest_alerts(s, alerts=[resolved.event()], catalogue=CAT, now=T0)
    with sessions() as s:
        [problem] = s.query(Problem).all()
        assert problem.status == "proposed" and problem.fingerprint == "rep"
        assert "3 incidents with the same fingerprint (rep) within 7 days" in problem.description
        assert {i.problem_id for i in s.query(Incident).all()} == {problem.id}


def test_an_alert_storm_in_one_delivery_proposes_one_problem_per_service_and_every_incident_joins_it(db):
    """300 new alerts on two services in one delivery: one problem each, all incidents in it, and a
    bounded number of statements (each later incident once asked for its problem again: seconds)."""
    from sqlalchemy import event

    system = _system(db)
    storm = [
        WebhookAlert.model_validate(alert(f"storm-{k}", service=("checkout", "desk")[k % 2])).event()
        for k in range(300)
    ]
    statements = []
    engine = system.sessions.kw["bind"]
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listen)
    try:
        with transaction(system.sessions) as s:
            actions = ingest_alerts(s, alerts=storm, catalogue=CAT, now=T0)
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert actions == ["opened"] * 300
    assert len(statements) < 40, statements
    with system.sessions() as s:
        problems = {p.service: p for p in s.query(Problem).all()}
        assert sorted(problems) == ["checkout", "desk"]
        assert all(p.status == "proposed" and p.fingerprint is None for p in problems.values())
        members = {(i.service, i.problem_id) for i in s.query(Incident).all()}
        assert members == {("checkout", problems["checkout"].id), ("desk", problems["desk"].id)}
        assert s.query(Incident).filter(Incident.problem_id.is_(None)).count() == 0


def test_only_the_last_week_of_a_service_counts_towards_a_problem_and_only_the_week_is_read(db):
    """Two incidents of a service ten days ago and two now: no problem (the third repeat within the week
    proposes one). The count reads the service's incidents of the week through (service, opened_at), not
    its whole history (an index on the service alone read every incident it ever had, on every delivery)."""
    sessions = _sessions(db)
    old = (T0 - timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for k in range(2):
        _open(sessions, f"old-{k}", starts=old)
    _open(sessions, "now-0")
    _open(sessions, "now-1")
    with sessions() as s:
        assert s.query(Problem).count() == 0
    _open(sessions, "now-2")
    with sessions() as s:
        [problem] = s.query(Problem).all()
        assert problem.service == "checkout" and problem.fingerprint is None
        assert {i.fingerprint for i in s.query(Incident).filter(Incident.problem_id == problem.id)} == {
            "now-0",
            "now-1",
            "now-2",
        }
        if db.url.startswith("sqlite"):
            from sms_metrics.register.incidents.ingest import _RECENT

            compiled = _RECENT["service"].compile(s.get_bind())
            plan = s.connection().exec_driver_sql(
                f"EXPLAIN QUERY PLAN {compiled}", ('["checkout"]', "2026-10-26 10:00:00.000000")
            )
            assert any("ix_incidents_service_opened (service=? AND opened_at>?)" in row[3] for row in plan), plan


def test_an_incident_that_crosses_the_threshold_again_after_a_rejected_problem_joins_the_new_one(db):
    """Three repeats propose a problem; it is rejected; the fourth repeat in the same week proposes a new
    one, and that fourth incident is in it (the proposal links the week's first three, which are already
    in the rejected problem, so the incident that asked must be linked too)."""
    sessions = _sessions(db)
    for k in range(3):
        _open(sessions, f"rep-{k}", starts=(T0 + timedelta(hours=k)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    with transaction(sessions) as s:
        [first] = s.query(Problem).all()
        first.status = "rejected"
    _open(sessions, "rep-3", starts=(T0 + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    with sessions() as s:
        second = s.query(Problem).filter(Problem.status == "proposed").one()
        assert second.id != first.id and second.service == "checkout"
        fourth = s.query(Incident).filter(Incident.fingerprint == "rep-3").one()
        assert fourth.problem_id == second.id
        assert {i.problem_id for i in s.query(Incident).filter(Incident.fingerprint != "rep-3")} == {first.id}


def test_a_service_and_a_severity_with_any_names_share_one_delivery_memo_safely():
    """The per-delivery memo keeps ratings, SLA terms and shared columns under tagged keys: a service
    named "terms" with severity "terms" (untagged, its rating and its SLA terms had the same key) gets
    the catalogue's defaults like any unknown service, twice in a row."""
    from sms_metrics.register.incidents.ingest import new_incident

    memo: dict = {}
    event = WebhookAlert.model_validate(alert("odd", service="terms", severity="terms")).event()
    first = new_incident(event, CAT, T0, memo)
    second = new_incident(event, CAT, T0, memo)
    assert first == second
    assert first["service"] == "terms" and first["needs_triage"] is True and first["response_due_at"] is None
