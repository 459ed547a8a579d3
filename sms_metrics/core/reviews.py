"""Pure rules of the review dates the register keeps: documents, plans and security controls due for
review, nonconformities past their due dates, and the next version number of a document."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, timedelta


def review_overdue(due: date | None, today: date) -> str | None:
    """Why a review is overdue (its due date has passed), or None. Due today is not yet overdue."""
    if due is not None and due < today:
        return f"review was due {due.isoformat()} ({(today - due).days} days ago)"
    return None


def next_review(last: date | None, interval_days: int | None) -> date | None:
    """When the next review falls due: the last review plus the interval."""
    if last is None or not interval_days:
        return None
    return last + timedelta(days=interval_days)


def actions_overdue(due: date | None, actions: Iterable[Mapping], today: date) -> str | None:
    """Why a nonconformity is overdue: its own due date passed, or a corrective action not done by its
    due date; None otherwise."""
    reasons = [f"due {due.isoformat()}"] if due is not None and due < today else []
    for i, a in enumerate(actions, 1):
        d = a.get("due_date")
        d = date.fromisoformat(d) if isinstance(d, str) else d
        if d is not None and d < today and not a.get("done_on"):
            reasons.append(f"action {i} ({a.get('action', '')[:60]}) due {d.isoformat()}")
    return "; ".join(reasons) or None


def actions_open(actions: Iterable[Mapping]) -> str | None:
    """Why a nonconformity cannot be closed: corrective actions not done."""
    left = [str(i) for i, a in enumerate(actions, 1) if not a.get("done_on")]
    return f"corrective action(s) {', '.join(left)} not done" if left else None


_LAST_NUMBER = re.compile(r"(\d+)(?!.*\d)")


def next_version(version: str) -> str:
    """``1`` -> ``2``, ``1.4`` -> ``1.5``, ``v2.0-draft`` -> ``v2.1-draft``; without a number, ``.1`` appended."""
    m = _LAST_NUMBER.search(version)
    if not m:
        return f"{version}.1"
    return version[: m.start()] + str(int(m[1]) + 1) + version[m.end() :]
