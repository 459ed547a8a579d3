"""Incident records (SQLAlchemy) and their API shapes (pydantic)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sms_metrics.register.base import Base, UTCDateTime

OPEN_SQL = "status NOT IN ('resolved', 'closed')"


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (
        # at most one open incident per fingerprint, enforced by the database
        Index(
            "uq_incidents_open_fingerprint",
            "fingerprint",
            unique=True,
            sqlite_where=text(OPEN_SQL),
            postgresql_where=text(OPEN_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    priority: Mapped[str] = mapped_column(String(2))
    impact: Mapped[int] = mapped_column(Integer)
    urgency: Mapped[int] = mapped_column(Integer)
    service: Mapped[str] = mapped_column(String(200), index=True)
    slo: Mapped[str | None] = mapped_column(String(200), nullable=True)
    fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    alertname: Mapped[str | None] = mapped_column(String(200), nullable=True)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    runbook_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    generator_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    labels: Mapped[dict] = mapped_column(JSON, default=dict)
    needs_triage: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    resolution_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    assignee: Mapped[str | None] = mapped_column(String(200), nullable=True)
    occurrence_count: Mapped[int] = mapped_column(Integer, default=1)
    response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    resolution_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    linked_incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    pending_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    response_warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    resolution_warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    response_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    response_breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    resolution_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    resolution_breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    problem_id: Mapped[int | None] = mapped_column(ForeignKey("problems.id"), nullable=True)
    linked_incident: Mapped[Incident | None] = relationship(
        remote_side="Incident.id", foreign_keys=[linked_incident_id]
    )


class Problem(Base):
    """A problem (8.2): proposed when incidents repeat, accepted or rejected by people."""

    __tablename__ = "problems"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    title: Mapped[str] = mapped_column(String(500))
    service: Mapped[str] = mapped_column(String(200), index=True)
    fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Occurrence(Base):
    """One firing of an alert, identified by (fingerprint, startsAt): deliveries are idempotent."""

    __tablename__ = "incident_occurrences"
    __table_args__ = (UniqueConstraint("fingerprint", "starts_at", name="uq_occurrence"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    incident: Mapped[Incident] = relationship()


class IncidentRead(BaseModel):
    """An incident as the API returns it (DESIGN.md contract plus extras)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    status: str
    priority: str
    impact: int
    urgency: int
    service: str
    slo: str | None
    fingerprint: str | None
    title: str
    description: str | None
    runbook_url: str | None
    generator_url: str | None
    needs_triage: bool
    opened_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    resolution_reason: str | None
    assignee: str | None
    occurrence_count: int
    response_due_at: datetime | None
    resolution_due_at: datetime | None
    linked_incident_id: int | None
    response_breached_at: datetime | None = None
    resolution_breached_at: datetime | None = None
    problem_id: int | None = None


class TransitionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: str = Field(description="new, acknowledged, assigned, pending, escalated, resolved or closed")
    reason: str | None = None
    assignee: str | None = None
