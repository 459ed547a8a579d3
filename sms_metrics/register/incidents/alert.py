"""The plain alert event the incident domain works on (the webhook turns Alertmanager's payload into it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime


def to_millisecond(t: datetime) -> datetime:
    """Alertmanager's API returns times in milliseconds and its webhook in nanoseconds: an occurrence
    is compared at millisecond precision, so a replay of the same alert is the same occurrence."""
    return t.replace(microsecond=t.microsecond // 1000 * 1000)


@dataclass(frozen=True)
class AlertEvent:
    status: str  # firing | resolved
    fingerprint: str
    starts_at: datetime
    ends_at: datetime | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    generator_url: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "starts_at", to_millisecond(self.starts_at))
        if self.ends_at is not None:
            object.__setattr__(self, "ends_at", to_millisecond(self.ends_at))
