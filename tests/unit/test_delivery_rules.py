"""The pure rules of the leadership and delivery records: recovery time of a continuity test, register
periods, budget variance, review and due dates, document version numbers, service roles."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from sms_metrics.catalogue import parse_catalogue
from sms_metrics.core.availability import DOWN, UNKNOWN, UP
from sms_metrics.core.budget import variance
from sms_metrics.core.continuity import measure_recovery, rto_met, window_grid
from sms_metrics.core.reviews import actions_open, actions_overdue, next_review, next_version, review_overdue
from sms_metrics.core.spans import months, parse_span, within
from sms_metrics.errors import CatalogueError, PeriodError

T = datetime(2026, 11, 7, 2, 0, tzinfo=UTC)
U, D, X = UP, DOWN, UNKNOWN


def test_recovery_runs_from_the_first_failure_to_the_first_up_step_after_the_last():
    states = np.array([U, U, D, D, U, X, D, X, U, U], dtype=np.int8)
    r = measure_recovery(states, T, 60.0)
    assert (r.downtime_seconds, r.unknown_seconds) == (180.0, 120.0)
    assert (r.first_failure_at, r.recovered_at, r.recovery_seconds) == (
        T + timedelta(minutes=2),
        T + timedelta(minutes=8),
        360.0,
    )
    assert [o["duration_seconds"] for o in r.outages] == [120.0, 60.0]
    assert rto_met(r, 360.0, T + timedelta(minutes=10)) is True and rto_met(r, 359.0, T) is False
    assert rto_met(r, None, T) is None


def test_a_window_without_failure_recovers_at_once_and_one_that_never_recovers_has_no_recovery_time():
    quiet = measure_recovery(np.array([U, X, U], dtype=np.int8), T, 60.0)
    assert (quiet.downtime_seconds, quiet.recovery_seconds, quiet.first_failure_at) == (0.0, 0.0, None)
    stuck = measure_recovery(np.array([U, D, D, X], dtype=np.int8), T, 30.0)
    assert (stuck.downtime_seconds, stuck.recovered_at, stuck.recovery_seconds) == (60.0, None, None)
    end = T + timedelta(minutes=2)
    assert rto_met(stuck, 60.0, end) is False  # 90 s since the first failure: beyond a 60 s RTO
    assert rto_met(stuck, 600.0, end) is None  # not recovered, but the RTO has not run out yet


def test_a_window_is_rounded_out_to_whole_steps():
    assert window_grid(T, T + timedelta(hours=2), 60.0) == (T, 120)
    first, n = window_grid(T + timedelta(seconds=90), T + timedelta(seconds=200), 60.0)
    assert (first, n) == (T + timedelta(seconds=60), 3)


@pytest.mark.parametrize(
    "text, start, end",
    [
        ("2026", "2026-01-01", "2027-01-01"),
        ("2026-Q4", "2026-10-01", "2027-01-01"),
        ("2026-Q1", "2026-01-01", "2026-04-01"),
        ("2026-10", "2026-10-01", "2026-11-01"),
        ("2026-07-01..2026-10-01", "2026-07-01", "2026-10-01"),
    ],
)
def test_register_periods(text, start, end):
    p = parse_span(text)
    assert (p.start.date().isoformat(), p.end.date().isoformat(), p.label) == (start, end, text)


def test_periods_inside_periods_and_their_months():
    assert within("2026-Q1", "2026") and within("2026-03", "2026-Q1") and not within("2026-04", "2026-Q1")
    assert not within("2026", "2026-Q1")
    assert months(parse_span("2026-Q3")) == ["2026-07", "2026-08", "2026-09"]
    assert months(parse_span("2026-07-15..2026-10-01")) == ["2026-08", "2026-09"]
    for bad in ("26", "2026-Q5", "30d", "2026-13"):
        with pytest.raises(PeriodError):
            parse_span(bad)


def test_variance_never_adds_currencies_and_compares_like_with_like():
    items = [
        {
            "ref": "BUD-1",
            "service": "a",
            "category": "x",
            "currency": "EUR",
            "planned_amount": 100.0,
            "actual_amount": 90.0,
        },
        {
            "ref": "BUD-2",
            "service": "a",
            "category": "x",
            "currency": "EUR",
            "planned_amount": 50.0,
            "actual_amount": None,
        },
        {
            "ref": "BUD-3",
            "service": "a",
            "category": "x",
            "currency": "USD",
            "planned_amount": 10.0,
            "actual_amount": 12.0,
        },
    ]
    out = variance(items)
    eur, usd = out["totals"]
    assert (eur["currency"], eur["planned"], eur["actual"], eur["variance"], eur["variance_percent"]) == (
        "EUR",
        150.0,
        90.0,
        -10.0,
        -10.0,
    )
    assert (eur["planned_without_actual"], eur["items_refs"]) == (50.0, ["BUD-1", "BUD-2"])
    assert (usd["variance"], usd["variance_percent"]) == (2.0, 20.0)
    assert variance([{**items[1]}])["totals"][0]["variance_percent"] is None  # nothing booked: no ratio


def test_review_and_due_dates():
    today = date(2026, 11, 10)
    assert review_overdue(date(2026, 11, 10), today) is None
    assert review_overdue(date(2026, 11, 9), today) == "review was due 2026-11-09 (1 days ago)"
    assert next_review(date(2026, 1, 31), 30) == date(2026, 3, 2) and next_review(None, 30) is None
    actions = [
        {"action": "fix", "due_date": "2026-11-01", "done_on": "2026-10-30"},
        {"action": "test", "due_date": "2026-11-05"},
    ]
    assert actions_overdue(None, actions, today) == "action 2 (test) due 2026-11-05"
    assert actions_overdue(date(2026, 11, 1), actions[:1], today) == "due 2026-11-01"
    assert actions_overdue(date(2026, 12, 1), actions[:1], today) is None
    assert actions_open(actions) == "corrective action(s) 2 not done" and actions_open(actions[:1]) is None


@pytest.mark.parametrize(
    "old, new", [("1", "2"), ("1.4", "1.5"), ("v2.0-draft", "v2.1-draft"), ("1.9", "1.10"), ("A", "A.1")]
)
def test_the_next_version_of_a_document(old, new):
    assert next_version(old) == new


def test_service_roles_are_one_line_each():
    cat = parse_catalogue(
        "apiVersion: sms-metrics/v1\nservices:\n  - name: a\n    owner: ' Carol <c@x.example> '\n"
        "    manager: ops\n    supplier_contact: acme +49 30 1\n"
    )
    assert (cat.services[0].owner, cat.services[0].manager) == ("Carol <c@x.example>", "ops")
    with pytest.raises(CatalogueError, match=r"services\[0\]\.owner: must be a name, team or address on one line"):
        parse_catalogue('apiVersion: sms-metrics/v1\nservices:\n  - name: a\n    owner: "a\\nb"\n')
