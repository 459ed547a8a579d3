"""Alertmanager webhook payload, version 4, validated field by field."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sms_metrics.register.incidents.alert import AlertEvent


def _no_nul(d: dict[str, str]) -> dict[str, str]:
    for k, v in d.items():
        if "\x00" in k or "\x00" in str(v):
            raise ValueError(f"NUL byte in {k!r}: labels and annotations must be text without NUL bytes")
    return d


class WebhookAlert(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: datetime
    endsAt: datetime | None = None
    generatorURL: str = ""
    fingerprint: str = Field(min_length=1, max_length=64, pattern=r"^[0-9a-zA-Z_-]+$")

    _nul = field_validator("labels", "annotations")(_no_nul)

    @field_validator("startsAt", "endsAt")
    @classmethod
    def _utc(cls, v: datetime | None) -> datetime | None:
        if v is None:
            return None
        if v.tzinfo is None:
            raise ValueError("timestamps must carry a time zone (RFC 3339)")
        return None if v.year < 1971 else v.astimezone(UTC)  # Alertmanager sends 0001-01-01 for 'none'

    @field_validator("startsAt")
    @classmethod
    def _starts(cls, v: datetime | None) -> datetime:
        if v is None:
            raise ValueError("startsAt is required")
        return v

    def event(self) -> AlertEvent:
        """The plain alert event the incident domain works on."""
        return AlertEvent(
            status=self.status,
            fingerprint=self.fingerprint,
            starts_at=self.startsAt,
            ends_at=self.endsAt,
            labels=self.labels,
            annotations=self.annotations,
            generator_url=self.generatorURL,
        )


class WebhookPayload(BaseModel):
    model_config = ConfigDict(extra="ignore")

    version: Literal["4"]
    groupKey: str = ""
    truncatedAlerts: int = Field(0, ge=0)
    status: Literal["firing", "resolved"]
    receiver: str = ""
    groupLabels: dict[str, str] = Field(default_factory=dict)
    commonLabels: dict[str, str] = Field(default_factory=dict)
    commonAnnotations: dict[str, str] = Field(default_factory=dict)
    externalURL: str = ""
    alerts: list[WebhookAlert]
