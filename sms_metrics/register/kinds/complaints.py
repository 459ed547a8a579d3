"""Complaints (ISO/IEC 20000-1 7.1.3 / 8.3.4): what a customer complained about, when it was received,
the first response and the resolution given back, with the incidents behind it. The times to respond and
to resolve are kept so service reviews and audits can read them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sms_metrics.errors import RecordInvalid
from sms_metrics.register.base import Base, RecordColumns, UTCDateTime
from sms_metrics.register.kinds.incidents import SERVICE
from sms_metrics.register.kinds.shared import check_record, check_service, seconds_between
from sms_metrics.register.records.kind import Lifecycle, LinkField, RecordKind
from sms_metrics.register.records.schemas import Id, MoveRequest, read_schema

LIFECYCLE = Lifecycle(
    initial="received",
    moves={
        "received": ("responded", "resolved", "withdrawn"),
        "responded": ("resolved", "withdrawn"),
        "resolved": ("closed", "responded"),  # responded again = reopened
        "withdrawn": (),
        "closed": (),
    },
    closed=frozenset({"resolved", "withdrawn", "closed"}),
)


class Complaint(RecordColumns, Base):
    __tablename__ = "complaints"

    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), nullable=True, index=True)
    complainant: Mapped[str | None] = mapped_column(String(200), nullable=True)
    service: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    channel: Mapped[str] = mapped_column(String(10))
    severity: Mapped[str] = mapped_column(String(10), index=True)
    owner: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    resolution_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    response: Mapped[str | None] = mapped_column(Text, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    resolution: Mapped[str | None] = mapped_column(Text, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    customer_satisfied: Mapped[bool | None] = mapped_column(Boolean, nullable=True)

    @property
    def response_seconds(self) -> float | None:
        return seconds_between(self.received_at, self.responded_at)

    @property
    def resolution_seconds(self) -> float | None:
        return seconds_between(self.received_at, self.resolved_at)


class ComplaintCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=500)
    description: str | None = Field(None, max_length=100_000, description="What the customer complained about")
    customer_id: Id | None = Field(None, description="The customer (id of a customer record)")
    complainant: str | None = Field(None, max_length=200, description="Who complained, and how to reach them")
    service: str | None = Field(None, pattern=SERVICE, description="The catalogue service complained about")
    channel: Literal["email", "phone", "portal", "meeting", "letter", "other"] = "email"
    severity: Literal["low", "medium", "high"] = "medium"
    owner: str | None = Field(None, max_length=200, description="Who handles it")
    received_at: datetime | None = Field(None, description="When it was received (default: now)")
    response_due_at: datetime | None = Field(None, description="When the customer must have a first response")
    resolution_due_at: datetime | None = Field(None, description="When it must be resolved")
    customer_satisfied: bool | None = Field(None, description="Whether the customer accepted the resolution")
    incidents: list[Id] = Field(default_factory=list, description="Ids of the incidents behind it")


class ComplaintFields(BaseModel):
    responded_at: datetime | None = None
    response: str | None = None
    resolved_at: datetime | None = None
    resolution: str | None = None
    closed_at: datetime | None = None
    response_seconds: float | None = Field(None, description="From received to the first response")
    resolution_seconds: float | None = Field(None, description="From received to resolved")


class ComplaintMove(MoveRequest):
    response: str | None = Field(None, max_length=100_000, description="What the customer was told (responded)")
    resolution: str | None = Field(None, max_length=100_000, description="How it was resolved (resolved)")


def _check(ctx, values: dict) -> None:
    check_record(ctx, "customer", values.get("customer_id"), "customer_id")
    check_service(ctx, values.get("service"))
    for name in ("received_at", "response_due_at", "resolution_due_at"):
        t = values.get(name)
        if t is not None and t.tzinfo is None:
            raise RecordInvalid([f"body.{name}: must carry a time zone (RFC 3339, e.g. 2026-10-05T09:30:00Z)"])
    if values.get("received_at") is not None and values["received_at"] > ctx.now:
        raise RecordInvalid(["body.received_at: a complaint cannot be received in the future"])


def before_create(ctx, values: dict) -> None:
    values["received_at"] = values.get("received_at") or ctx.now
    _check(ctx, values)


def on_update(ctx, row, changes: dict) -> None:
    _check(ctx, {k: getattr(row, k) for k in ("customer_id", "service", "received_at") if k in changes})


def on_move(ctx) -> None:
    row, body, now = ctx.record, ctx.body, ctx.now
    if ctx.target == "responded":
        text = body.response or ctx.reason
        if ctx.source == "received" and not text:
            raise RecordInvalid(["body.response: say what the customer was told (or give a reason)"])
        if row.responded_at is None:
            row.responded_at = now
        row.response = text or row.response
        row.resolved_at = None
    if ctx.target == "resolved":
        text = body.resolution or ctx.reason
        if not text:
            raise RecordInvalid(["body.resolution: say how the complaint was resolved (or give a reason)"])
        row.resolution, row.resolved_at = text, now
        if row.responded_at is None:
            row.responded_at, row.response = now, text
    if ctx.target == "closed":
        row.closed_at = now


KIND = RecordKind(
    name="complaint",
    path="complaints",
    prefix="CMP",
    title="complaint",
    model=Complaint,
    create=ComplaintCreate,
    read=read_schema(ComplaintCreate, ComplaintFields),
    lifecycle=LIFECYCLE,
    links={"incidents": LinkField(to="incident", filter="incident")},
    filters={
        "service": "service",
        "customer": "customer_id",
        "severity": "severity",
        "channel": "channel",
        "owner": "owner",
    },
    search=("title", "description", "complainant", "response", "resolution"),
    table=("title", "service", "severity", "received_at"),
    write_role="manager",
    move_body=ComplaintMove,
    verbs={"respond": "responded", "resolve": "resolved", "close": "closed", "withdraw": "withdrawn"},
    example={
        "title": "Checkout was down during our sale",
        "service": "checkout",
        "complainant": "Dana Lee, dana.lee@acme.example",
        "channel": "email",
        "severity": "high",
    },
    move_examples={
        "responded": {"response": "We are investigating and will report within two days."},
        "resolved": {"resolution": "Root cause fixed; service credit applied."},
    },
    before_create=before_create,
    on_update=on_update,
    on_move=on_move,
    description="Customer complaints: received, responded to, resolved; with the incidents behind them.",
)
