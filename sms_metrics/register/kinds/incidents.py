"""Incidents (ISO/IEC 20000-1 8.1): opened by alerts (``register/incidents/ingest.py``) or by people,
with a priority from the impact/urgency matrix and SLA clocks counted in service hours."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sms_metrics.core.calendar import parse_service_hours
from sms_metrics.core.clocks import ClockTerms, after_pause, due_times
from sms_metrics.core.priority import impact_of, priority
from sms_metrics.errors import RecordInvalid
from sms_metrics.evidence.spec import Evidence
from sms_metrics.register.base import Base, RecordColumns, UTCDateTime
from sms_metrics.register.records.kind import Lifecycle, LinkField, RecordKind
from sms_metrics.register.records.schemas import Id, MoveRequest, RecordRead

LIFECYCLE = Lifecycle(
    initial="new",
    moves={
        "new": ("acknowledged", "assigned", "pending", "escalated", "resolved"),
        "acknowledged": ("assigned", "pending", "escalated", "resolved"),
        "assigned": ("acknowledged", "pending", "escalated", "resolved"),
        "pending": ("assigned", "acknowledged", "escalated", "resolved"),
        "escalated": ("acknowledged", "assigned", "pending", "resolved"),
        "resolved": ("closed", "new"),  # new = reopened
        "closed": (),
    },
    closed=frozenset({"resolved", "closed"}),
)
OPEN = LIFECYCLE.open
SERVICE = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$"


class Incident(RecordColumns, Base):
    __tablename__ = "incidents"
    __table_args__ = (
        # at most one open incident per fingerprint, enforced by the database
        Index(
            "uq_incidents_open_fingerprint",
            "fingerprint",
            unique=True,
            sqlite_where=text(LIFECYCLE.closed_sql()),
            postgresql_where=text(LIFECYCLE.closed_sql()),
        ),
        # a service's open incidents (home and status pages): counted without reading the service's history
        Index("ix_incidents_service_status", "service", "status"),
        # incidents of a service opened since a time (the repeats that propose a problem)
        Index("ix_incidents_service_opened", "service", "opened_at"),
    )

    priority: Mapped[str] = mapped_column(String(2))
    impact: Mapped[int] = mapped_column(Integer)
    urgency: Mapped[int] = mapped_column(Integer)
    service: Mapped[str] = mapped_column(String(200))
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


class IncidentCreate(BaseModel):
    """An incident a person opens (a call to the service desk, a problem seen by hand)."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=500)
    service: str = Field(pattern=SERVICE, description="A catalogue service; another name opens it for triage")
    description: str | None = Field(None, max_length=100_000)
    urgency: int = Field(3, ge=1, le=4, description="1 (critical) to 4 (low)")
    impact: int | None = Field(None, ge=1, le=3, description="Default: from the service's criticality")
    assignee: str | None = Field(None, max_length=200)
    runbook_url: str | None = Field(None, max_length=2000)
    configuration_items: list[Id] = Field(default_factory=list, description="Ids of the CIs involved")


class IncidentRead(RecordRead):
    """An incident as the API returns it."""

    priority: str
    impact: int
    urgency: int
    service: str
    slo: str | None
    fingerprint: str | None
    alertname: str | None = None
    title: str
    description: str | None
    runbook_url: str | None
    generator_url: str | None
    labels: dict = Field(default_factory=dict)
    needs_triage: bool
    opened_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    resolution_reason: str | None
    closed_at: datetime | None = None
    assignee: str | None
    occurrence_count: int
    response_due_at: datetime | None
    resolution_due_at: datetime | None
    pending_since: datetime | None = None
    linked_incident_id: int | None
    response_breached_at: datetime | None = None
    resolution_breached_at: datetime | None = None
    problem_id: int | None = None
    configuration_items: list[Id] = Field(default_factory=list)


class IncidentMove(MoveRequest):
    assignee: str | None = Field(None, max_length=200, description="Who takes it (moving to assigned)")


def clock_terms(catalogue, service_name: str) -> ClockTerms | None:
    """The SLA clock terms of a catalogue service, None outside the catalogue or without an SLA."""
    service = catalogue.find(service_name) if catalogue is not None else None
    if service is None or service.sla is None:
        return None
    sla = service.sla
    return ClockTerms(
        parse_service_hours(sla.service_hours), sla.timezone, sla.response_minutes, sla.resolution_minutes
    )


def _rate(ctx, values: dict) -> None:
    """Priority from the impact/urgency matrix and the clocks' due times, from when it was opened."""
    service = ctx.catalogue.find(values["service"]) if ctx.catalogue is not None else None
    if values.get("impact") is None:
        values["impact"] = impact_of(service.criticality if service else None)
    values["priority"] = priority(values["impact"], values["urgency"])
    values["needs_triage"] = service is None
    values.update(due_times(clock_terms(ctx.catalogue, values["service"]), values["priority"], values["opened_at"]))


def before_create(ctx, values: dict) -> None:
    values.update(opened_at=ctx.now, occurrence_count=0, labels={})
    _rate(ctx, values)


def on_update(ctx, row, changes: dict) -> None:
    if {"service", "urgency", "impact"} & set(changes):
        values = {"service": row.service, "urgency": row.urgency, "opened_at": row.opened_at}
        values["impact"] = row.impact if "impact" in changes else None
        _rate(ctx, values)
        for f in ("impact", "priority", "needs_triage", "response_due_at", "resolution_due_at"):
            setattr(row, f, values[f])
        if row.response_warned_at is None:
            row.response_warn_at = values["response_warn_at"]
        if row.resolution_warned_at is None:
            row.resolution_warn_at = values["resolution_warn_at"]


def leave_pending(row, catalogue, now: datetime, clock: str = "resolution") -> None:
    """The ``clock`` (``<clock>_due_at``...) was paused: move its due time out by the paused service time."""
    due_at = getattr(row, f"{clock}_due_at")
    if row.pending_since is not None and due_at is not None:
        warn = getattr(row, f"{clock}_warn_at") if getattr(row, f"{clock}_warned_at") is None else None
        due, warn = after_pause(clock_terms(catalogue, row.service), due_at, warn, row.pending_since, now)
        setattr(row, f"{clock}_due_at", due)
        if warn is not None:
            setattr(row, f"{clock}_warn_at", warn)
    row.pending_since = None


def on_move(ctx) -> None:
    row, to, now = ctx.record, ctx.target, ctx.now
    if ctx.source == "pending":
        leave_pending(row, ctx.catalogue, now)
    if to == "pending":
        row.pending_since = now
    if to == "acknowledged" and row.acknowledged_at is None:
        row.acknowledged_at = now
    if to == "assigned":
        if not ctx.body.assignee:
            raise RecordInvalid(["body.assignee: assigning needs an assignee"])
        row.assignee = ctx.body.assignee
    if to == "resolved":
        row.resolved_at, row.resolution_reason = now, ctx.reason or "resolved by " + ctx.who.name
    if to == "closed":
        row.closed_at = now
    if to == "new":
        row.resolved_at, row.resolution_reason = None, None


WATCHED = (
    "status",
    "priority",
    "assignee",
    "resolved_at",
    "acknowledged_at",
    "occurrence_count",
    "linked_incident_id",
    "resolution_reason",
    "resolution_due_at",
    "problem_id",
)

KIND = RecordKind(
    name="incident",
    path="incidents",
    prefix="INC",
    title="incident",
    model=Incident,
    create=IncidentCreate,
    read=IncidentRead,
    lifecycle=LIFECYCLE,
    links={"configuration_items": LinkField(to="configuration_item", filter="configuration_item")},
    filters={
        "service": "service",
        "priority": "priority",
        "fingerprint": "fingerprint",
        "problem": "problem_id",
        "assignee": "assignee",
    },
    search=("title", "description", "service", "fingerprint"),
    write_role="agent",
    move_body=IncidentMove,
    verbs={
        "ack": "acknowledged",
        "assign": "assigned",
        "pend": "pending",
        "escalate": "escalated",
        "resolve": "resolved",
        "close": "closed",
        "reopen": "new",
    },
    history_fields=(*WATCHED, "title", "description", "urgency", "impact", "service"),
    example={"title": "Checkout pages time out for customers in France", "service": "checkout", "urgency": 2},
    move_examples={"assigned": {"assignee": "alice"}},
    before_create=before_create,
    on_update=on_update,
    on_move=on_move,
    evidence=Evidence(
        dates=("opened_at",), clocks={"response": "acknowledged_at", "resolution": "resolved_at"}, order=10
    ),
    description="Service interruptions, opened by Alertmanager's webhook or by the service desk.",
)
