"""Nonconformities (ISO/IEC 20000-1 10.1): what does not meet a requirement, its correction, its root
cause and the corrective actions (each with an owner and a due date). Closing needs every action done
(the ``corrective_actions`` gate); the review job flags a nonconformity whose due date, or an action's,
has passed."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sms_metrics.core.reviews import actions_open, actions_overdue
from sms_metrics.register.base import Base, RecordColumns, UTCDateTime
from sms_metrics.register.kinds.reviews import Due, clear_if_met
from sms_metrics.register.records.kind import Gate, Lifecycle, LinkField, RecordKind
from sms_metrics.register.records.schemas import read_schema

LIFECYCLE = Lifecycle(
    initial="open",
    moves={
        "open": ("investigating", "action_planned", "rejected"),
        "investigating": ("action_planned", "rejected"),
        "action_planned": ("verifying",),
        "verifying": ("closed", "action_planned"),  # back when the actions did not work
        "closed": (),
        "rejected": (),
    },
    closed=frozenset({"closed", "rejected"}),
)
SOURCES = ("audit", "management_review", "incident", "complaint", "self_assessment", "customer", "supplier", "other")


class CorrectiveAction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: str = Field(min_length=1, max_length=10_000)
    owner: str | None = Field(None, max_length=200)
    due_date: date | None = None
    done_on: date | None = None


class Nonconformity(RecordColumns, Base):
    __tablename__ = "nonconformities"

    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    severity: Mapped[str] = mapped_column(String(10), index=True)
    source: Mapped[str] = mapped_column(String(20), index=True)
    audit_id: Mapped[int | None] = mapped_column(ForeignKey("audits.id"), nullable=True, index=True)
    finding: Mapped[int | None] = mapped_column(Integer, nullable=True)
    clause: Mapped[str | None] = mapped_column(String(40), nullable=True)
    owner: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    correction: Mapped[str | None] = mapped_column(Text, nullable=True)
    root_cause: Mapped[str | None] = mapped_column(Text, nullable=True)
    corrective_actions: Mapped[list] = mapped_column(JSON, default=list)
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    effectiveness: Mapped[str | None] = mapped_column(Text, nullable=True)
    overdue_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class NonconformityCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=500)
    description: str | None = Field(None, max_length=100_000)
    severity: Literal["major", "minor"] = "minor"
    source: Literal[SOURCES] = Field("self_assessment", description=", ".join(SOURCES))  # type: ignore[valid-type]
    audit_id: int | None = Field(None, description="The audit that found it")
    finding: int | None = Field(None, ge=1, description="The audit finding's number (1 = first)")
    clause: str | None = Field(None, max_length=40, description="The requirement not met, e.g. ISO/IEC 20000-1 8.2.3")
    services: list[str] = Field(default_factory=list, max_length=200)
    owner: str | None = Field(None, max_length=200, description="Who sees the corrective actions through")
    correction: str | None = Field(None, max_length=100_000, description="What was done at once to contain it")
    root_cause: str | None = Field(None, max_length=100_000)
    corrective_actions: list[CorrectiveAction] = Field(default_factory=list, max_length=200)
    due_date: date | None = Field(None, description="When the nonconformity must be resolved")
    effectiveness: str | None = Field(None, max_length=100_000, description="How the actions were shown to work")


class NonconformityFields(BaseModel):
    overdue_since: datetime | None = None
    closed_at: datetime | None = None


def _overdue(row, today: date) -> str | None:
    return actions_overdue(row.due_date, row.corrective_actions or [], today)


DUE = Due("nonconformity", LIFECYCLE.open, "overdue_since", "overdue", _overdue)


def plain_actions(actions) -> list[dict]:
    return [CorrectiveAction.model_validate(a).model_dump(mode="json") for a in actions or []]


def _check_audit(ctx, values: dict) -> None:
    from sms_metrics.errors import RecordInvalid
    from sms_metrics.register.kinds.audits import Audit

    if values.get("audit_id") is not None and ctx.session.get(Audit, values["audit_id"]) is None:
        raise RecordInvalid([f"body.audit_id: audit {values['audit_id']} does not exist"])


def before_create(ctx, values: dict) -> None:
    _check_audit(ctx, values)
    values["corrective_actions"] = plain_actions(values["corrective_actions"])


def on_update(ctx, row, changes: dict) -> None:
    if "audit_id" in changes:
        _check_audit(ctx, {"audit_id": row.audit_id})
    if "corrective_actions" in changes:
        row.corrective_actions = plain_actions(row.corrective_actions)
    clear_if_met(ctx, row, DUE)


def on_move(ctx) -> None:
    if ctx.target == "closed":
        ctx.record.closed_at = ctx.now
    if ctx.target in LIFECYCLE.closed:
        ctx.record.overdue_since = None


def actions_gate(g) -> str | None:
    return actions_open([a.model_dump() for a in g.record.corrective_actions or []])


KIND = RecordKind(
    name="nonconformity",
    path="nonconformities",
    prefix="NC",
    title="nonconformity",
    model=Nonconformity,
    create=NonconformityCreate,
    read=read_schema(NonconformityCreate, NonconformityFields),
    lifecycle=LIFECYCLE,
    links={"services": LinkField(to="service", filter="service")},
    filters={"severity": "severity", "source": "source", "owner": "owner", "audit": "audit_id", "clause": "clause"},
    search=("title", "description", "root_cause", "owner"),
    table=("title", "severity", "source", "owner", "due_date"),
    write_role="manager",
    gates={"closed": (Gate("corrective_actions", actions_gate),)},
    verbs={
        "investigate": "investigating",
        "plan": "action_planned",
        "verify": "verifying",
        "close": "closed",
        "reject": "rejected",
    },
    example={
        "title": "Backups of the checkout database are not tested",
        "severity": "minor",
        "source": "audit",
        "clause": "8.7.3",
        "services": ["checkout"],
        "owner": "dave",
        "corrective_actions": [
            {"action": "restore test every quarter", "owner": "dave", "due_date": "2026-12-01", "done_on": "2026-11-20"}
        ],
        "due_date": "2026-12-15",
    },
    before_create=before_create,
    on_update=on_update,
    on_move=on_move,
    description="Nonconformities with their correction, root cause and corrective actions (due dates watched).",
)
