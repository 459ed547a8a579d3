"""Pure rules of the relationship and resolution records (ISO/IEC 20000-1 sections 7 and 8):
reporting periods by name (month, quarter, year, date range), the satisfaction trend, a contract's
renewal status, which contract sets a supplier's target, and the fulfilment clock of a service request."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sms_metrics.core.periods import Period, parse_period
from sms_metrics.errors import PeriodError

YEARS = r"(?:19[7-9]\d|2[01]\d\d)"  # 1970 to 2199 (the engine's timestamps stop in 2262)
_YEAR = re.compile(rf"^({YEARS})$")
_QUARTER = re.compile(rf"^({YEARS})-Q([1-4])$")
_MONTH = re.compile(rf"^({YEARS})-(0[1-9]|1[0-2])$")
_RANGE = re.compile(rf"^({YEARS}-\d{{2}}-\d{{2}})\.\.({YEARS}-\d{{2}}-\d{{2}})$")
MONTH = rf"^{YEARS}-(0[1-9]|1[0-2])$"
PERIOD_FORMS = "a month (2026-10), a quarter (2026-Q4), a year (2026) or a date range (2026-10-01..2027-01-01)"


def period_dates(text: str) -> tuple[date, date]:
    """The first day and the day after the last of a named period; ``PeriodError`` naming the forms."""
    text = str(text).strip()
    if m := _MONTH.match(text):
        y, mo = int(m[1]), int(m[2])
        return date(y, mo, 1), date(y + (mo == 12), mo % 12 + 1, 1)
    if m := _QUARTER.match(text):
        y, q = int(m[1]), int(m[2])
        return date(y, 3 * q - 2, 1), (date(y + 1, 1, 1) if q == 4 else date(y, 3 * q + 1, 1))
    if m := _YEAR.match(text):
        return date(int(m[1]), 1, 1), date(int(m[1]) + 1, 1, 1)
    if m := _RANGE.match(text):
        try:
            a, b = date.fromisoformat(m[1]), date.fromisoformat(m[2])
        except ValueError as exc:
            raise PeriodError(f"invalid period {text!r}: {exc}") from None
        if b <= a:
            raise PeriodError(f"invalid period {text!r}: the end date must be after the start date")
        return a, b
    raise PeriodError(f"invalid period {text!r}: use {PERIOD_FORMS}")


def valid_period(text: str) -> str:
    """A pydantic validator: the period text, once it parses."""
    period_dates(text)
    return str(text).strip()


def period_in_zone(text: str, tz_name: str = "UTC") -> Period:
    """The UTC instants of a named period read in a time zone (local midnights), end exclusive."""
    a, b = period_dates(text)
    label = text if _MONTH.match(text) else f"{a.isoformat()}..{b.isoformat()}"
    period = parse_period(label, tz_name)
    return Period(period.start, period.end, text)


def period_kind(text: str) -> str:
    """month, quarter, year or range."""
    for name, rx in (("month", _MONTH), ("quarter", _QUARTER), ("year", _YEAR)):
        if rx.match(text):
            return name
    return "range"


# -- satisfaction ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyResult:
    period: str
    score: float
    respondents: int


def weighted_score(results: Iterable[SurveyResult]) -> tuple[float | None, int]:
    """(mean score weighted by respondents, respondents) of several surveys; (None, 0) without any."""
    results = list(results)
    n = sum(r.respondents for r in results)
    if n <= 0:
        return None, 0
    return sum(r.score * r.respondents for r in results) / n, n


def satisfaction_trend(results: Sequence[SurveyResult]) -> list[dict]:
    """The score per period (respondent-weighted over the period's surveys), oldest first, each with the
    change against the previous period of the same kind (months with months, quarters with quarters)."""
    by_period: dict[str, list[SurveyResult]] = {}
    for r in results:
        by_period.setdefault(r.period, []).append(r)
    ordered = sorted(by_period, key=lambda p: (period_dates(p), p))
    last: dict[str, tuple[str, float]] = {}
    out = []
    for p in ordered:
        score, n = weighted_score(by_period[p])
        start, end = period_dates(p)
        prev = last.get(period_kind(p))
        change = None if prev is None or score is None else score - prev[1]
        out.append(
            {
                "period": p,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "surveys": len(by_period[p]),
                "respondents": n,
                "score": None if score is None else round(score, 3),
                "previous_period": prev[0] if prev else None,
                "change": None if change is None else round(change, 3),
                "direction": None
                if change is None
                else ("up" if change > 1e-9 else "down" if change < -1e-9 else "same"),
            }
        )
        if score is not None:
            last[period_kind(p)] = (p, score)
    return out


# -- contracts ---------------------------------------------------------------------------------------


def notice_deadline(renewal: date | None, notice_days: int | None) -> date | None:
    """The last day to give notice before a renewal: the renewal date minus the notice period."""
    if renewal is None:
        return None
    return renewal - timedelta(days=notice_days or 0)


def renewal_status(status: str, renewal: date | None, notice_days: int | None, warning_days: int, today: date) -> str:
    """``due`` from ``warning_days`` before the notice deadline until the deadline (decide now),
    ``notice_passed`` after the deadline until the renewal date (too late to give notice), ``ok``
    earlier, ``none`` for a contract that is not active or has no renewal date."""
    deadline = notice_deadline(renewal, notice_days)
    if status != "active" or renewal is None or deadline is None or today >= renewal:
        return "none"
    if today > deadline:
        return "notice_passed"
    if today >= deadline - timedelta(days=warning_days):
        return "due"
    return "ok"


@dataclass(frozen=True)
class ContractTerms:
    id: int
    availability_target: float | None
    term_start: date
    term_end: date | None
    service_hours: str
    timezone: str
    probe_aggregate: str


def governing_contract(contracts: Iterable[ContractTerms], first: date, after_last: date) -> ContractTerms | None:
    """The contract whose target a supplier's month is measured against: of those whose term overlaps
    ``[first, after_last)`` and that set an availability target, the strictest (highest target; the
    newest term on a tie). Contracts without a target only count when none has one."""
    overlapping = [c for c in contracts if c.term_start < after_last and (c.term_end is None or c.term_end >= first)]
    if not overlapping:
        return None
    return max(
        overlapping,
        key=lambda c: (c.availability_target is not None, c.availability_target or 0, c.term_start, c.id),
    )


def performance_result(availability: float | None, target: float | None) -> str:
    """``met``, ``breached``, ``no_target`` (measured, no contract target) or ``no_data``."""
    if availability is None:
        return "no_data"
    if target is None:
        return "no_target"
    return "met" if availability >= target - 1e-9 else "breached"


def changed_fields(old: Mapping[str, object], new: Mapping[str, object]) -> list[str]:
    """The keys of ``new`` whose value differs from ``old`` (floats compared to 1e-9)."""
    out = []
    for k, v in new.items():
        o = old.get(k)
        if isinstance(v, float) and isinstance(o, float):
            if abs(v - o) > 1e-9:
                out.append(k)
        elif v != o:
            out.append(k)
    return out


# -- service requests --------------------------------------------------------------------------------


def fulfilment_minutes(
    type_minutes: int | None, sla_minutes: Mapping[str, int] | None, priority: str
) -> tuple[int | None, str]:
    """How long fulfilment may take, and where that comes from: the request type's own target, else the
    SLA's resolution time for the priority, else none."""
    if type_minutes is not None:
        return type_minutes, "request type"
    if sla_minutes and priority in sla_minutes:
        return sla_minutes[priority], f"SLA resolution time for {priority}"
    return None, "none"


def late_seconds(done: datetime | None, due: datetime | None) -> float | None:
    """How late a clock was met (negative: early), None when either time is missing."""
    if done is None or due is None:
        return None
    return (done - due).total_seconds()
