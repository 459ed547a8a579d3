"""Pure rules of the relationship and resolution records: named periods, the satisfaction trend, a
contract's renewal status, the governing contract and the fulfilment time of a request."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from sms_metrics.core.relations import (
    ContractTerms,
    SurveyResult,
    changed_fields,
    fulfilment_minutes,
    governing_contract,
    performance_result,
    period_dates,
    period_in_zone,
    renewal_status,
    satisfaction_trend,
)
from sms_metrics.errors import PeriodError


def test_named_periods_give_their_days():
    assert period_dates("2026-10") == (date(2026, 10, 1), date(2026, 11, 1))
    assert period_dates("2026-12") == (date(2026, 12, 1), date(2027, 1, 1))
    assert period_dates("2026-Q4") == (date(2026, 10, 1), date(2027, 1, 1))
    assert period_dates("2026-Q1") == (date(2026, 1, 1), date(2026, 4, 1))
    assert period_dates("2026") == (date(2026, 1, 1), date(2027, 1, 1))
    assert period_dates("2026-10-05..2026-10-12") == (date(2026, 10, 5), date(2026, 10, 12))
    for bad in ("2026-13", "2026-Q5", "26-10", "2026-10-12..2026-10-05", "last month"):
        with pytest.raises(PeriodError, match="invalid period"):
            period_dates(bad)


def test_a_period_in_a_time_zone_starts_at_local_midnight():
    p = period_in_zone("2026-Q4", "Europe/Berlin")
    assert p.start == datetime(2026, 9, 30, 22, tzinfo=UTC)  # CEST
    assert p.end == datetime(2026, 12, 31, 23, tzinfo=UTC)  # CET
    assert p.label == "2026-Q4"


def test_the_trend_weights_by_respondents_and_compares_like_with_like():
    results = [
        SurveyResult("2026-08", 4.0, 10),
        SurveyResult("2026-09", 3.5, 20),
        SurveyResult("2026-09", 4.5, 20),
        SurveyResult("2026-Q3", 3.9, 50),
        SurveyResult("2026-10", 4.4, 10),
        SurveyResult("2026-12", 3.0, 5),
    ]
    trend = satisfaction_trend(results)
    assert [
        (t["period"], t["score"], t["respondents"], t["previous_period"], t["change"], t["direction"]) for t in trend
    ] == [
        ("2026-Q3", 3.9, 50, None, None, None),
        ("2026-08", 4.0, 10, None, None, None),
        ("2026-09", 4.0, 40, "2026-08", 0.0, "same"),
        ("2026-10", 4.4, 10, "2026-09", 0.4, "up"),
        ("2026-12", 3.0, 5, "2026-10", -1.4, "down"),  # November had no survey: compared with October
    ]
    assert trend[2]["surveys"] == 2


def test_renewal_is_due_from_the_warning_until_the_notice_deadline():
    renewal = date(2027, 1, 1)  # 90 days notice: deadline 2026-10-03; warn 30 days before: 2026-09-03
    status = lambda today, state="active": renewal_status(state, renewal, 90, 30, today)  # noqa: E731
    assert status(date(2026, 9, 2)) == "ok"
    assert status(date(2026, 9, 3)) == "due"
    assert status(date(2026, 10, 3)) == "due"
    assert status(date(2026, 10, 4)) == "notice_passed"
    assert status(date(2027, 1, 1)) == "none"
    assert status(date(2026, 9, 20), "draft") == "none"
    assert renewal_status("active", None, 90, 30, date(2026, 9, 20)) == "none"


def _terms(i, target, start, end=None):
    return ContractTerms(i, target, start, end, "24x7", "UTC", "min")


def test_the_strictest_contract_covering_the_month_sets_the_target():
    october = (date(2026, 10, 1), date(2026, 11, 1))
    old = _terms(1, 99.5, date(2025, 1, 1), date(2026, 9, 30))  # ended before October
    loose = _terms(2, 99.0, date(2026, 1, 1))
    strict = _terms(3, 99.9, date(2026, 10, 15))  # starts within October
    untargeted = _terms(4, None, date(2026, 1, 1))
    assert governing_contract([old, loose, strict, untargeted], *october) == strict
    assert governing_contract([old, untargeted], *october) == untargeted
    assert governing_contract([old], *october) is None


def test_a_month_is_met_breached_or_has_no_target_or_no_data():
    assert performance_result(99.95, 99.9) == "met"
    assert performance_result(99.9, 99.9) == "met"
    assert performance_result(99.87, 99.9) == "breached"
    assert performance_result(99.0, None) == "no_target"
    assert performance_result(None, 99.9) == "no_data"


def test_fulfilment_time_comes_from_the_type_else_the_sla():
    sla = {"P3": 480}
    assert fulfilment_minutes(60, sla, "P3") == (60, "request type")
    assert fulfilment_minutes(None, sla, "P3") == (480, "SLA resolution time for P3")
    assert fulfilment_minutes(None, sla, "P4") == (None, "none")
    assert fulfilment_minutes(None, None, "P3") == (None, "none")


def test_changed_fields_compare_floats_with_a_tolerance():
    assert changed_fields({"a": 1.0, "b": [1], "c": "x"}, {"a": 1.0 + 1e-12, "b": [1], "c": "y"}) == ["c"]


def test_supplier_performance_is_measured_by_calendar_month_only():
    from sms_metrics.errors import InputError
    from sms_metrics.register.kinds.supplier_measure import measure

    for bad in ("2026-Q4", "2026", "2026-10-01..2026-11-01", "2270-10", "0000-10", "2026-13", ""):
        with pytest.raises(InputError, match="supplier performance is monthly, give a month such as 2026-10"):
            measure(None, bad)  # refused before the register or Prometheus is read
