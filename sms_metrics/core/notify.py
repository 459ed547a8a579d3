"""Notifications, the parts that need no database or network: event names and the aliases people
subscribe to, which events a subscription's patterns take, the HMAC signature of a webhook body, the
retry backoff, the texts of an email and a Slack message, and the dispatcher's watermark over history ids.

An event is ``<kind>.<what>``: ``created``, ``updated`` and ``moved:<state>`` for every write of a record
(``incident.moved:resolved``), or a job's own event (``incident.sla_warning``, ``document.review_due``)."""

from __future__ import annotations

import fnmatch
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from typing import Any

ALIASES: dict[str, str] = {
    "incident.opened": "incident.created",
    "incident.escalated": "incident.moved:escalated",
    "incident.resolved": "incident.moved:resolved",
    "sla.warning": "incident.sla_warning",
    "sla.breach": "incident.sla_breach",
    "change.approved": "change.moved:approved",
    "release.failed": "release.moved:failed",
    "document.review_due": "document.review_*",  # the review job's review_due or review_overdue
}
_WHAT = re.compile(r"^(\*|created|updated|moved:(\*|[a-z0-9_]+)|[a-z][a-z0-9_]*)$")
SIGNATURE_HEADER = "X-SMS-Signature"


def check_patterns(patterns: list[str], kinds: Mapping[str, list[str]], paths: Mapping[str, str]) -> list[str]:
    """Problems with a subscription's event patterns (``kinds``: kind name -> states; ``paths``: path -> name)."""
    problems = []
    for i, p in enumerate(patterns):
        if p == "*" or p in ALIASES:
            continue
        kind, _, what = p.partition(".")
        kind = paths.get(kind, kind)
        if kind != "*" and kind not in kinds:
            problems.append(f"body.events.{i}: unknown kind {kind!r} in {p!r}; kinds: {', '.join(sorted(kinds))}")
        elif not _WHAT.match(what):
            problems.append(
                f"body.events.{i}: {p!r} is not <kind>.created|updated|moved:<state>|<event>|*; "
                f"or one of {', '.join(ALIASES)}"
            )
        elif what.startswith("moved:") and what != "moved:*" and kind != "*" and what[6:] not in kinds[kind]:
            problems.append(f"body.events.{i}: {kind} has no state {what[6:]!r}; states: {', '.join(kinds[kind])}")
    return problems


def normalise(pattern: str, paths: Mapping[str, str]) -> str:
    """``incidents.created`` (a path) -> ``incident.created`` (the kind's name); aliases stay."""
    if pattern in ALIASES or "." not in pattern:
        return pattern
    kind, _, what = pattern.partition(".")
    return f"{paths.get(kind, kind)}.{what}"


def names_of(event: str) -> list[str]:
    """The event and every alias that stands for it."""
    return [event, *(a for a, e in ALIASES.items() if fnmatch.fnmatchcase(event, e) and a != event)]


def matches(patterns: list[str], event: str) -> bool:
    """Whether ``event`` (``incident.created``) is one a subscription's patterns (aliases, ``*``) take."""
    return any(fnmatch.fnmatchcase(event, ALIASES.get(p, p)) for p in patterns)


def signature(secret: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of the exact body bytes with the subscription's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def backoff_seconds(attempts: int, base: float, cap: float = 3600.0) -> float:
    """The wait after the ``attempts``-th failed attempt: base, 2 base, 4 base... at most ``cap``."""
    return float(min(cap, base * 2 ** max(0, attempts - 1)))


def label(payload: Mapping[str, Any]) -> str:
    """The name a person reads: the first alias (``incident.opened``), else the event."""
    names = payload.get("names") or [payload["event"]]
    return names[-1] if len(names) > 1 else names[0]


def _title(record: Mapping[str, Any]) -> str:
    for key in ("title", "name", "summary"):
        if record.get(key):
            return str(record[key])
    return ""


def subject(payload: Mapping[str, Any]) -> str:
    record = payload.get("record") or {}
    parts = [f"[sms-metrics] {label(payload)}:", payload.get("ref") or "", _title(record)]
    return " ".join(p for p in parts if p)[:250]


def text(payload: Mapping[str, Any]) -> str:
    """A plain-text message: what happened, to which record, then the record's fields."""
    record = payload.get("record") or {}
    lines = [f"{label(payload)} ({payload['event']}): {payload.get('ref') or ''} {_title(record)}".rstrip()]
    if payload.get("services"):
        lines.append(f"Services: {', '.join(payload['services'])}")
    if record.get("status"):
        lines.append(f"Status: {record['status']}")
    lines.append(f"At: {payload.get('at')}" + (f" by {payload['actor']}" if payload.get("actor") else ""))
    if payload.get("reason"):
        lines.append(f"Reason: {payload['reason']}")
    for c in payload.get("changes") or []:
        lines.append(f"Changed {c['field']}: {c['old']} -> {c['new']}")
    for k, v in (payload.get("details") or {}).items():
        lines.append(f"{k}: {v}")
    if record:
        lines += ["", "Record:"] + [
            f"  {k}: {json.dumps(v, default=str) if isinstance(v, dict | list) else v}" for k, v in record.items()
        ]
    return "\n".join(lines) + "\n"


def slack(payload: Mapping[str, Any]) -> dict:
    """A Slack incoming-webhook message (``{"text": ...}``, mrkdwn)."""
    record = payload.get("record") or {}
    head = f"*{label(payload)}* {payload.get('ref') or ''} {_title(record)}".rstrip()
    facts = [f"services: {', '.join(payload['services'])}"] if payload.get("services") else []
    if record.get("status"):
        facts.append(f"status: {record['status']}")
    if payload.get("reason"):
        facts.append(f"reason: {payload['reason']}")
    facts += [f"{k}: {v}" for k, v in (payload.get("details") or {}).items()]
    return {"text": head + ("\n" + " · ".join(facts) if facts else "")}


class Watermark:
    """Which history ids the dispatcher has handled. Ids below ``low`` are done; above it, ``seen`` holds the
    handled ones. A gap (an id not committed yet, or rolled back) is waited for ``grace`` seconds, then
    passed: on PostgreSQL ids are taken in one order and committed in another."""

    def __init__(self, low: int, grace: float):
        self.low, self.grace = low, grace
        self.seen: set[int] = set()
        self.gaps: dict[int, float] = {}

    def mark(self, ids: list[int], now: float) -> None:
        self.seen.update(i for i in ids if i > self.low)
        top = max(self.seen, default=self.low)
        for gap in range(self.low + 1, top):
            if gap not in self.seen:
                self.gaps.setdefault(gap, now)
        while True:
            nxt = self.low + 1
            if nxt in self.seen:
                self.seen.discard(nxt)
            elif nxt in self.gaps and now - self.gaps[nxt] >= self.grace:
                pass
            else:
                break
            self.gaps.pop(nxt, None)
            self.low = nxt

    def preview(self, ids: list[int], now: float) -> int:
        """What ``low`` would be after ``mark(ids, now)``, without marking."""
        copy = Watermark(self.low, self.grace)
        copy.seen, copy.gaps = set(self.seen), dict(self.gaps)
        copy.mark(ids, now)
        return copy.low

    def handled(self, i: int) -> bool:
        return i <= self.low or i in self.seen
