"""Lifecycle transitions as data, checked in one place."""

from __future__ import annotations

from sms_metrics.errors import InputError


class IllegalTransition(InputError):
    """A record cannot move from its state to the one asked for."""


TRANSITIONS: dict[str, dict[str, frozenset[str]]] = {
    "incident": {
        "new": frozenset({"acknowledged", "assigned", "pending", "escalated", "resolved"}),
        "acknowledged": frozenset({"assigned", "pending", "escalated", "resolved"}),
        "assigned": frozenset({"acknowledged", "pending", "escalated", "resolved"}),
        "pending": frozenset({"assigned", "acknowledged", "escalated", "resolved"}),
        "escalated": frozenset({"acknowledged", "assigned", "pending", "resolved"}),
        "resolved": frozenset({"closed", "new"}),  # new = reopened
        "closed": frozenset(),
    },
    # A capacity plan: drafted from a forecast, approved and put into effect by people; a newer
    # forecast supersedes the current plan's figures (the superseded record keeps them).
    "capacity_plan": {
        "draft": frozenset({"approved", "superseded"}),
        "approved": frozenset({"active", "draft", "superseded"}),
        "active": frozenset({"superseded"}),
        "superseded": frozenset(),
    },
}
OPEN_STATES = {
    "incident": frozenset({"new", "acknowledged", "assigned", "pending", "escalated"}),
    "capacity_plan": frozenset({"draft", "approved", "active"}),
}


def check(kind: str, current: str, target: str) -> None:
    """Raise ``IllegalTransition`` listing the allowed moves unless ``current -> target`` is allowed."""
    table = TRANSITIONS[kind]
    if target not in table:
        raise IllegalTransition(f"unknown {kind} state {target!r}; states: {', '.join(table)}")
    allowed = table.get(current, frozenset())
    if target not in allowed:
        moves = ", ".join(sorted(allowed)) or "none (final state)"
        article = "an" if kind[0] in "aeiou" else "a"
        raise IllegalTransition(
            f"{article} {kind} cannot go from {current} to {target}; allowed from {current}: {moves}"
        )
