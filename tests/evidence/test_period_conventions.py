"""A kind that declares nothing for the evidence pack is read by the register's conventions: its ``period``
label and its ``X_start``/``X_end`` spans put a record in a pack's period (a supplier's month measured in
November, a quarterly survey, a continuity test's window), checked on SQLite with a model shaped like the
kinds of the other sections (date spans compared by local day, time spans by instant)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Date, Integer, String, create_engine, or_, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from sms_metrics.core.periods import parse_period
from sms_metrics.evidence.periods import date_terms, period_column, spans
from sms_metrics.evidence.spec import Evidence
from sms_metrics.register.base import UTCDateTime


class Base(DeclarativeBase):
    pass


class Survey(Base):  # a label, a date span and a time span
    __tablename__ = "surveys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period: Mapped[str | None] = mapped_column(String(30), nullable=True)
    period_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    period_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    window_end: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    planned_start: Mapped[str | None] = mapped_column(String(30), nullable=True)  # text: not a span


def t(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


ROWS = {  # name: (period, period_start, period_end, window_start, window_end)
    "supplier October, measured later": ("2026-10", date(2026, 10, 1), date(2026, 11, 1), None, None),
    "supplier September": ("2026-09", date(2026, 9, 1), date(2026, 10, 1), None, None),
    "survey Q4": ("2026-Q4", date(2026, 10, 1), date(2027, 1, 1), None, None),
    "survey Q3": ("2026-Q3", date(2026, 7, 1), date(2026, 10, 1), None, None),
    "test window 31 Oct, Berlin": (None, None, None, t(10, 31, 22), t(10, 31, 23)),
    "test window 31 Oct 23:30 UTC": (None, None, None, t(10, 31, 23), t(11, 1, 1)),
    "test window 15 Nov": (None, None, None, t(11, 15), t(11, 15, 2)),
    "open-ended window from 3 Oct": (None, None, None, t(10, 3), None),
    "open-ended window from 3 Sep": (None, None, None, t(9, 3), None),
    "nothing": (None, None, None, None, None),
}


@pytest.fixture(scope="module")
def session():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        names = ("period", "period_start", "period_end", "window_start", "window_end")
        s.add_all(Survey(id=i, **dict(zip(names, row, strict=True))) for i, row in enumerate(ROWS.values(), 1))
        s.commit()
        yield s


def found(session, period_text: str, tz: str = "UTC", spec: Evidence = Evidence()) -> set[str]:
    period = parse_period(period_text, tz)
    terms = date_terms(Survey, spec, period, tz)
    ids = set(session.scalars(select(Survey.id).where(or_(*terms))))
    names = list(ROWS)
    return {names[i - 1] for i in ids}


def test_the_conventions_find_the_label_and_the_date_or_time_spans():
    assert period_column(Survey, Evidence()) == "period"
    assert spans(Survey, Evidence()) == (("period_start", "period_end"), ("window_start", "window_end"))
    assert spans(Survey, Evidence(spans=())) == () and period_column(Survey, Evidence(period_column="x")) == "x"


def test_a_month_pack_takes_its_month_by_label_and_the_spans_that_overlap_it(session):
    assert found(session, "2026-10") == {
        "supplier October, measured later",
        "survey Q4",
        "test window 31 Oct, Berlin",
        "test window 31 Oct 23:30 UTC",
        "open-ended window from 3 Oct",
    }


def test_in_another_time_zone_a_month_label_does_not_spill_but_instants_move(session):
    berlin = found(session, "2026-10", "Europe/Berlin")  # October: 30 Sep 22:00 to 31 Oct 23:00 UTC
    assert "supplier September" not in berlin and "supplier October, measured later" in berlin
    assert "test window 31 Oct, Berlin" in berlin and "test window 31 Oct 23:30 UTC" not in berlin
    assert "survey Q3" not in berlin  # its last day is 30 September, in Berlin's days too


def test_a_date_range_pack_takes_what_overlaps_it_whatever_its_label(session):
    assert found(session, "2026-09-20..2026-10-02") == {
        "supplier October, measured later",
        "supplier September",
        "survey Q4",
        "survey Q3",
    }  # an open-ended window belongs where it starts: not "from 3 Sep"


def test_a_kind_may_switch_the_spans_off(session):
    assert found(session, "2026-10", spec=Evidence(spans=())) == {"supplier October, measured later"}
