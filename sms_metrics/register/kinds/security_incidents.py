"""Information security incidents (ISO/IEC 20000-1 8.7.3): restricted records — only tokens with
``restricted`` see them; for every other token they do not exist (404 on every route, absent from lists,
searches and gauges)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sms_metrics.register.base import Base, RecordColumns, UTCDateTime
from sms_metrics.register.records.kind import Lifecycle, LinkField, RecordKind
from sms_metrics.register.records.schemas import read_schema

LIFECYCLE = Lifecycle(
    initial="new",
    moves={
        "new": ("triaged", "rejected"),
        "triaged": ("contained", "rejected"),
        "contained": ("eradicated", "recovered"),
        "eradicated": ("recovered",),
        "recovered": ("closed",),
        "closed": (),
        "rejected": (),  # not a security incident (false positive)
    },
    closed=frozenset({"recovered", "closed", "rejected"}),
)
CATEGORIES = (
    "malware",
    "phishing",
    "unauthorised_access",
    "data_breach",
    "denial_of_service",
    "vulnerability",
    "loss_or_theft",
    "policy_violation",
    "other",
)


class SecurityIncident(RecordColumns, Base):
    __tablename__ = "security_incidents"

    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    category: Mapped[str] = mapped_column(String(30), index=True)
    severity: Mapped[str] = mapped_column(String(10), index=True)
    detected_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reported_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    assignee: Mapped[str | None] = mapped_column(String(200), nullable=True)
    personal_data: Mapped[bool] = mapped_column(Boolean, default=False)
    authority_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    containment: Mapped[str | None] = mapped_column(Text, nullable=True)
    root_cause: Mapped[str | None] = mapped_column(Text, nullable=True)
    lessons: Mapped[str | None] = mapped_column(Text, nullable=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SecurityIncidentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=500)
    category: Literal[CATEGORIES] = Field("other", description=", ".join(CATEGORIES))  # type: ignore[valid-type]
    severity: Literal["low", "medium", "high", "critical"] = "medium"
    description: str | None = Field(None, max_length=100_000)
    services: list[str] = Field(default_factory=list, max_length=200)
    configuration_items: list[int] = Field(default_factory=list, description="Ids of the CIs affected")
    detected_at: datetime | None = None
    reported_by: str | None = Field(None, max_length=200)
    assignee: str | None = Field(None, max_length=200)
    personal_data: bool = Field(False, description="Personal data involved (a breach may have to be notified)")
    authority_notified_at: datetime | None = None
    containment: str | None = Field(None, max_length=100_000)
    root_cause: str | None = Field(None, max_length=100_000)
    lessons: str | None = Field(None, max_length=100_000)
    incident_id: int | None = Field(None, description="The service incident it came with, if any")


class SecurityIncidentFields(BaseModel):
    closed_at: datetime | None = None


def _check_incident(ctx, incident_id: int | None) -> None:
    from sms_metrics.errors import RecordInvalid
    from sms_metrics.register.kinds.incidents import Incident

    if incident_id is not None and ctx.session.get(Incident, incident_id) is None:
        raise RecordInvalid([f"body.incident_id: incident {incident_id} does not exist"])


def before_create(ctx, values: dict) -> None:
    _check_incident(ctx, values.get("incident_id"))
    values["detected_at"] = values["detected_at"] or ctx.now


def on_update(ctx, row, changes: dict) -> None:
    if "incident_id" in changes:
        _check_incident(ctx, row.incident_id)


def on_move(ctx) -> None:
    if ctx.target == "closed":
        ctx.record.closed_at = ctx.now


KIND = RecordKind(
    name="security_incident",
    path="security-incidents",
    prefix="SEC",
    title="security incident",
    model=SecurityIncident,
    create=SecurityIncidentCreate,
    read=read_schema(SecurityIncidentCreate, SecurityIncidentFields),
    lifecycle=LIFECYCLE,
    links={
        "services": LinkField(to="service", filter="service"),
        "configuration_items": LinkField(to="configuration_item", filter="configuration_item"),
    },
    filters={"category": "category", "severity": "severity", "assignee": "assignee"},
    search=("title", "description", "root_cause"),
    table=("title", "category", "severity", "detected_at"),
    write_role="agent",
    restricted=True,
    verbs={
        "triage": "triaged",
        "contain": "contained",
        "eradicate": "eradicated",
        "recover": "recovered",
        "close": "closed",
        "reject": "rejected",
    },
    example={
        "title": "Phishing mail led to a stolen support password",
        "category": "phishing",
        "severity": "high",
        "services": ["desk"],
        "detected_at": "2026-11-03T09:12:00Z",
        "personal_data": True,
    },
    before_create=before_create,
    on_update=on_update,
    on_move=on_move,
    description="Information security incidents; visible only to tokens with `restricted`.",
)
