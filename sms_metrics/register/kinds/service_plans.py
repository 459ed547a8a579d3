"""What availability plans and continuity plans share (ISO/IEC 20000-1 8.7.1, 8.7.2): a service, an
owner (by default the catalogue's service owner), a lifecycle draft → approved → active → retired, and a
review date the review job watches."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Date, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sms_metrics.core.reviews import review_overdue
from sms_metrics.register.base import UTCDateTime
from sms_metrics.register.kinds.incidents import SERVICE
from sms_metrics.register.kinds.reviews import Due, clear_if_met
from sms_metrics.register.records.kind import Lifecycle

LIFECYCLE = Lifecycle(
    initial="draft",
    moves={
        "draft": ("approved", "retired"),
        "approved": ("active", "draft", "retired"),
        "active": ("draft", "retired"),  # draft: revised
        "retired": (),
    },
    closed=frozenset({"retired"}),
    aliases={"current": frozenset({"approved", "active"})},
)
VERBS = {"approve": "approved", "activate": "active", "revise": "draft", "retire": "retired"}


class PlanColumns:
    service: Mapped[str] = mapped_column(String(200), index=True)
    title: Mapped[str] = mapped_column(String(500))
    owner: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    review_date: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    review_interval_days: Mapped[int] = mapped_column(Integer)
    approved_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    review_overdue_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class PlanCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: str = Field(pattern=SERVICE, description="The catalogue service")
    title: str = Field("", max_length=500, description="Default: the kind and the service")
    owner: str | None = Field(None, max_length=200, description="Default: the service's owner in the catalogue")
    description: str | None = Field(None, max_length=100_000)
    review_date: date | None = Field(None, description="Next review (watched once approved)")
    review_interval_days: int = Field(365, ge=1, le=3650, description="Days between reviews")


class PlanFields(BaseModel):
    approved_by: str | None = None
    approved_at: datetime | None = None
    review_overdue_since: datetime | None = None


def catalogue_role(catalogue, service: str, role: str) -> str | None:
    """A role (owner, manager, supplier_contact) of a catalogue service, None when unknown."""
    svc = catalogue.find(service) if catalogue is not None else None
    return getattr(svc, role, None) if svc is not None else None


def plan_due(kind_name: str) -> Due:
    return Due(
        kind_name,
        LIFECYCLE.aliases["current"],
        "review_overdue_since",
        "review_overdue",
        lambda row, today: review_overdue(row.review_date, today),
    )


def plan_hooks(what: str, due: Due):
    """(before_create, on_update, on_move) of a plan kind; ``what`` names it in default titles."""

    def before_create(ctx, values: dict) -> None:
        values["title"] = values["title"] or f"{what} of {values['service']}"
        values["owner"] = values["owner"] or catalogue_role(ctx.catalogue, values["service"], "owner")

    def on_update(ctx, row, changes: dict) -> None:
        clear_if_met(ctx, row, due)

    def on_move(ctx) -> None:
        if ctx.target == "approved":
            ctx.record.approved_by, ctx.record.approved_at = ctx.who.name, ctx.now
        if ctx.target in ("draft", "retired"):
            ctx.record.review_overdue_since = None

    return before_create, on_update, on_move
