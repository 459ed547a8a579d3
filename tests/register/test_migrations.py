"""Migrations: the schema they build is the one the models declare, and upgrading a register made by
an earlier version keeps every incident and capacity plan."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from sms_metrics.errors import RegisterTooNew
from sms_metrics.register import kinds, tokens  # noqa: F401  (every table)
from sms_metrics.register.base import Base
from sms_metrics.register.db import make_engine
from sms_metrics.register.migrations import current_revision, known_revisions, upgrade
from sms_metrics.web import sessions  # noqa: F401  (the page sessions table)
from tests.integration.conftest import run_cli


def _diff(engine) -> list:
    with engine.connect() as con:
        diff = compare_metadata(MigrationContext.configure(con, opts={"compare_type": True}), Base.metadata)
    # partial-index predicates and server-side index options are not compared the same way on both
    return [
        d
        for d in diff
        if not (
            isinstance(d, tuple)
            and d[0] in ("remove_index", "add_index")
            and d[1].name in ("uq_incidents_open_fingerprint", "uq_capacity_plans_current")
        )
    ]


def test_the_migrated_schema_is_the_declared_one(empty_db):
    engine = make_engine(empty_db.url)
    upgrade(engine)
    assert _diff(engine) == []


V4_INCIDENT = (
    "INSERT INTO incidents (id, status, priority, impact, urgency, service, fingerprint, title, labels, needs_triage,"
    " opened_at, occurrence_count, updated_at) VALUES (7, 'new', 'P1', 1, 1, 'checkout', 'fp7', 'disk full', '{}',"
    " false, '2026-10-02 10:00:00+00:00', 1, '2026-10-02 10:05:00+00:00')"
)
V4_PLAN = (
    "INSERT INTO capacity_plans (id, service, resource, status, created_at, updated_at, inputs_hash, model,"
    " forecast_status, limit_value, direction, lead_time_seconds, summary) VALUES (3, 'checkout', 'disk', 'active',"
    " '2026-10-01 03:00:00+00:00', '2026-10-01 03:00:00+00:00', 'h', 'ets', 'plan', 100, 'up', 86400, '{}')"
)
V4_PROBLEM = (
    "INSERT INTO problems (id, status, title, service, reason, created_at, updated_at) VALUES (2, 'accepted',"
    " 'repeats', 'checkout', '3 incidents', '2026-10-01 03:00:00+00:00', '2026-10-01 03:00:00+00:00')"
)


V5_INCIDENT = V4_INCIDENT.replace("updated_at)", "updated_at, created_at)").replace(
    "'2026-10-02 10:05:00+00:00')", "'2026-10-02 10:05:00+00:00', '2026-10-02 10:00:00+00:00')"
)
V5_PROBLEM = V4_PROBLEM.replace("reason", "description").replace("'accepted'", "'investigating'")


def test_an_upgrade_keeps_every_incident_plan_and_problem(empty_db):
    """From the schema of the version before the record framework, with a record of each kind."""
    engine = make_engine(empty_db.url)
    upgrade(engine, "0004")
    raw = create_engine(empty_db.url)
    with raw.begin() as con:
        for sql in (V4_INCIDENT, V4_PLAN, V4_PROBLEM):
            con.execute(text(sql))
    upgrade(engine)
    assert empty_db.rows("SELECT id, status, title, fingerprint FROM incidents") == [(7, "new", "disk full", "fp7")]
    [(created,)] = empty_db.rows("SELECT created_at FROM incidents")
    assert str(created).startswith("2026-10-02 10:00:00")
    assert empty_db.rows("SELECT id, status, service, resource, model FROM capacity_plans") == [
        (3, "active", "checkout", "disk", "ets")
    ]
    assert empty_db.rows("SELECT id, status, description FROM problems") == [(2, "investigating", "3 incidents")]
    assert _diff(engine) == []
    # the partial unique index survived the capacity_plans rewrite
    with raw.begin() as con, pytest.raises(Exception, match=r"(?i)unique"):
        con.execute(text(V4_PLAN.replace("VALUES (3,", "VALUES (4,")))


@pytest.mark.parametrize("start", known_revisions(make_engine("sqlite://"))[:-1])
def test_every_earlier_schema_upgrades_with_its_records(empty_db, start):
    engine = make_engine(empty_db.url)
    upgrade(engine, start)
    n = int(start)
    with create_engine(empty_db.url).begin() as con:
        con.execute(text(V4_INCIDENT if n < 5 else V5_INCIDENT))
        if n >= 2:
            con.execute(text(V4_PROBLEM if n < 5 else V5_PROBLEM))
        if n >= 4:
            con.execute(text(V4_PLAN))
    upgrade(engine)
    assert empty_db.rows("SELECT id, title FROM incidents") == [(7, "disk full")]
    assert empty_db.rows("SELECT count(*) FROM problems") == [(1 if n >= 2 else 0,)]
    assert empty_db.rows("SELECT count(*) FROM capacity_plans") == [(1 if n >= 4 else 0,)]
    assert current_revision(engine) == known_revisions(engine)[-1]


def test_a_register_written_by_a_newer_version_is_refused_with_a_clear_message(empty_db, tmp_path):
    engine = make_engine(empty_db.url)
    upgrade(engine)
    with create_engine(empty_db.url).begin() as con:
        con.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    with pytest.raises(RegisterTooNew, match="schema revision 0999, newer than this sms-metrics knows"):
        upgrade(engine)
    if empty_db.url.startswith("sqlite"):
        done = run_cli("incidents", "list", env={"SMS_DATABASE_URL": empty_db.url})
        assert done.returncode == 7 and "newer than this sms-metrics knows" in done.stderr
        assert "Traceback" not in done.stderr
