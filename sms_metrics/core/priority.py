"""Incident priority from the impact/urgency matrix (DESIGN.md)."""

from __future__ import annotations

IMPACT = {"high": 1, "medium": 2, "low": 3}
UNKNOWN_SERVICE_IMPACT = 2
URGENCY = {"critical": 1, "page": 1, "high": 2, "error": 2, "warning": 3, "ticket": 3}
MATRIX = {1: ("P1", "P1", "P2", "P4"), 2: ("P1", "P2", "P3", "P4"), 3: ("P2", "P3", "P3", "P4")}


def impact_of(criticality: str | None) -> int:
    """high -> 1, medium -> 2, low -> 3; a service outside the catalogue -> 2."""
    return IMPACT.get(criticality or "", UNKNOWN_SERVICE_IMPACT)


def urgency_of(severity: str | None) -> int:
    """critical/page -> 1, high/error -> 2, warning/ticket -> 3, anything else -> 4."""
    return URGENCY.get((severity or "").strip().lower(), 4)


def priority(impact: int, urgency: int) -> str:
    if impact not in MATRIX or not 1 <= urgency <= 4:
        raise ValueError(f"impact must be 1..3 and urgency 1..4, got {impact} and {urgency}")
    return MATRIX[impact][urgency - 1]
