"""Service requests (ISO/IEC 20000-1 8.1): what a user asks for from the catalogue of request types. A
type that asks for approval starts its requests in ``awaiting_approval``, and only a manager may approve or
reject them. The fulfilment clock runs like an incident's resolution clock: its due time is counted in the
service's hours (its SLA), from submission — or from approval when the type needs one — over the request
type's own fulfilment time, else the SLA's resolution time for the request's priority; it pauses while the
request is pending. ``request_clocks.py`` warns at 75% and marks the breach at 100%."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, Boolean, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from sms_metrics.core.calendar import parse_service_hours
from sms_metrics.core.clocks import WARN_AT, ClockTerms, add_service_time
from sms_metrics.core.periods import Period
from sms_metrics.core.relations import fulfilment_minutes
from sms_metrics.errors import RecordInvalid
from sms_metrics.register.base import Base, RecordColumns, UTCDateTime
from sms_metrics.register.kinds.incidents import SERVICE, clock_terms, leave_pending
from sms_metrics.register.kinds.request_types import PRIORITY, RequestType
from sms_metrics.register.kinds.shared import check_service
from sms_metrics.register.records import store
from sms_metrics.register.records.kind import Lifecycle, RecordKind
from sms_metrics.register.records.schemas import MoveRequest, read_schema

LIFECYCLE = Lifecycle(
    initial="submitted",
    moves={
        "awaiting_approval": ("approved", "rejected", "cancelled"),
        "submitted": ("in_progress", "pending", "fulfilled", "cancelled"),
        "approved": ("in_progress", "pending", "fulfilled", "cancelled"),
        "in_progress": ("pending", "fulfilled", "cancelled"),
        "pending": ("in_progress", "fulfilled", "cancelled"),
        "fulfilled": ("closed", "in_progress"),  # in_progress again = reopened
        "rejected": (),
        "cancelled": (),
        "closed": (),
    },
    closed=frozenset({"fulfilled", "rejected", "cancelled", "closed"}),
)
ALWAYS = parse_service_hours("24x7")


class ServiceRequest(RecordColumns, Base):
    __tablename__ = "service_requests"

    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    request_type: Mapped[str] = mapped_column(String(63), index=True)
    service: Mapped[str] = mapped_column(String(200), index=True)
    requester: Mapped[str] = mapped_column(String(200), index=True)
    requested_for: Mapped[str | None] = mapped_column(String(200), nullable=True)
    priority: Mapped[str] = mapped_column(String(2))
    assignee: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    approval_required: Mapped[bool] = mapped_column(Boolean)
    approved_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    clock_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    fulfilment_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    fulfilment_source: Mapped[str] = mapped_column(String(60))
    fulfilment_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    fulfilment_warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    fulfilment_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    fulfilment_breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    pending_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    fulfilment: Mapped[str | None] = mapped_column(Text, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    @property
    def breached(self) -> bool:
        late = self.fulfilled_at is not None and self.fulfilment_due_at is not None
        return self.fulfilment_breached_at is not None or (late and self.fulfilled_at > self.fulfilment_due_at)


class RequestCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=500)
    request_type: str = Field(max_length=63, description="The request type's name (see request-types)")
    service: str = Field(pattern=SERVICE, description="The catalogue service asked of (its SLA runs the clock)")
    requester: str = Field(min_length=1, max_length=200, description="Who asks")
    requested_for: str | None = Field(None, max_length=200, description="For whom, when not the requester")
    description: str | None = Field(None, max_length=100_000)
    priority: str | None = Field(None, pattern=PRIORITY, description="P1-P4 (default: the type's)")
    assignee: str | None = Field(None, max_length=200)
    details: dict = Field(default_factory=dict, description="What the type asks for (system, role, model...)")


class RequestFields(BaseModel):
    approval_required: bool | None = None
    approved_by: str | None = None
    approved_at: datetime | None = None
    clock_started_at: datetime | None = None
    fulfilment_minutes: int | None = Field(None, description="Service minutes allowed for fulfilment")
    fulfilment_source: str | None = Field(None, description="request type, SLA resolution time for Pn, or none")
    fulfilment_due_at: datetime | None = None
    fulfilment_warn_at: datetime | None = Field(None, description="When the clock warns (75% of the time)")
    fulfilment_warned_at: datetime | None = None
    fulfilment_breached_at: datetime | None = None
    pending_since: datetime | None = None
    fulfilled_at: datetime | None = None
    fulfilment: str | None = None
    closed_at: datetime | None = None
    breached: bool | None = Field(None, description="Fulfilled late, or still open past its due time")


class RequestMove(MoveRequest):
    assignee: str | None = Field(None, max_length=200, description="Who takes it (in_progress)")
    fulfilment: str | None = Field(None, max_length=100_000, description="What was done (fulfilled)")


def _type(ctx, name: str, service: str) -> RequestType:
    row = ctx.session.scalar(select(RequestType).where(RequestType.name == name))
    if row is None or row.status != "active":
        known = ctx.session.scalars(select(RequestType.name).where(RequestType.status == "active").order_by("name"))
        raise RecordInvalid([f"body.request_type: no active request type {name!r}; types: {', '.join(known)}"])
    offered = store.links_of(ctx.session, ctx.records.kind("request_type"), [row.id])[row.id]["services"]
    if offered and service not in offered:
        raise RecordInvalid([f"body.request_type: {name} is offered for {', '.join(offered)}, not {service}"])
    return row


def _terms(ctx, service: str) -> ClockTerms | None:
    return clock_terms(ctx.catalogue, service)


def start_clock(ctx, row_or_values, start: datetime) -> dict:
    """The fulfilment clock's fields, counted in the service's hours from ``start``."""
    get = row_or_values.get if isinstance(row_or_values, dict) else lambda k: getattr(row_or_values, k)
    terms = _terms(ctx, get("service"))
    minutes, source = fulfilment_minutes(
        get("fulfilment_minutes"), terms.resolution_minutes if terms else None, get("priority")
    )
    hours, tz = (terms.hours, terms.timezone) if terms else (ALWAYS, "UTC")
    due = warn = None
    if minutes is not None:
        due, warn = add_service_time(start, minutes, hours, tz), add_service_time(start, WARN_AT * minutes, hours, tz)
    return {
        "clock_started_at": start,
        "fulfilment_minutes": minutes,
        "fulfilment_source": source,
        "fulfilment_due_at": due,
        "fulfilment_warn_at": warn,
    }


def before_create(ctx, values: dict) -> None:
    check_service(ctx, values["service"])
    rtype = _type(ctx, values["request_type"], values["service"])
    values["priority"] = values["priority"] or rtype.default_priority
    values["approval_required"] = rtype.approval_required
    values["fulfilment_minutes"] = rtype.fulfilment_minutes
    if rtype.approval_required:
        values["fulfilment_source"] = "starts at approval"
    else:
        values.update(start_clock(ctx, values, ctx.now))


def on_update(ctx, row, changes: dict) -> None:
    if "request_type" in changes:
        raise RecordInvalid(["body.request_type: a request keeps its type; cancel it and raise another"])
    check_service(ctx, row.service)
    if {"priority", "service"} & set(changes) and row.clock_started_at is not None:
        _type(ctx, row.request_type, row.service)
        row.fulfilment_minutes = ctx.session.scalar(
            select(RequestType.fulfilment_minutes).where(RequestType.name == row.request_type)
        )
        for k, v in start_clock(ctx, row, row.clock_started_at).items():
            setattr(row, k, v)


def on_move(ctx) -> None:
    row, to, now = ctx.record, ctx.target, ctx.now
    if ctx.source == "pending":
        leave_pending(row, ctx.catalogue, now, clock="fulfilment")
    if to == "approved":
        row.approved_by, row.approved_at = ctx.who.name, now
        for k, v in start_clock(ctx, row, now).items():
            setattr(row, k, v)
    if to == "pending":
        row.pending_since = now
    if to == "in_progress":
        row.assignee = ctx.body.assignee or row.assignee
        row.fulfilled_at = None
    if to == "fulfilled":
        row.fulfilled_at, row.fulfilment = now, ctx.body.fulfilment or ctx.reason or row.fulfilment
    if to == "closed":
        row.closed_at = now


def request_figures(session: Session, service: str, span: Period) -> dict:
    """Requests of ``service`` submitted in ``span``: how many, fulfilled, breached, by type."""
    rows = session.scalars(
        select(ServiceRequest).where(
            ServiceRequest.service == service,
            ServiceRequest.created_at >= span.start,
            ServiceRequest.created_at < span.end,
        )
    ).all()
    return {
        "total": len(rows),
        "fulfilled": sum(r.fulfilled_at is not None for r in rows),
        "breached": sum(r.breached for r in rows),
        "by_type": dict(sorted(Counter(r.request_type for r in rows).items())),
    }


KIND = RecordKind(
    name="service_request",
    path="service-requests",
    prefix="REQ",
    title="service request",
    model=ServiceRequest,
    create=RequestCreate,
    read=read_schema(RequestCreate, RequestFields),
    lifecycle=LIFECYCLE,
    filters={
        "service": "service",
        "request_type": "request_type",
        "requester": "requester",
        "assignee": "assignee",
        "priority": "priority",
    },
    search=("title", "description", "requester", "requested_for"),
    table=("title", "request_type", "service", "priority", "fulfilment_due_at"),
    write_role="agent",
    move_roles={"approved": "manager", "rejected": "manager"},
    move_body=RequestMove,
    verbs={
        "approve": "approved",
        "reject": "rejected",
        "start": "in_progress",
        "pend": "pending",
        "fulfil": "fulfilled",
        "close": "closed",
        "cancel": "cancelled",
    },
    initial_state=lambda values: "awaiting_approval" if values.get("approval_required") else "submitted",
    example={
        "title": "Reset my password",
        "request_type": "password-reset",
        "service": "desk",
        "requester": "alex@example.com",
        "priority": "P3",
    },
    before_create=before_create,
    on_update=on_update,
    on_move=on_move,
    description="Service requests from the catalogue of request types: approval, fulfilment clock in service hours.",
)
