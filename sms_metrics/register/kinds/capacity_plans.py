"""Capacity plans (ISO/IEC 20000-1 6.5): a resource's forecast figures and what a planner does about
them (owner, action, due date, ticket). Forecasts write them (``register/capacity/plans.py``); people
approve and activate them. At most one current (not superseded) plan per resource, enforced by the
database; a superseded plan keeps its figures and points to the plan that replaced it."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, Date, Float, ForeignKey, Index, String, Text, select, text
from sqlalchemy.orm import Mapped, mapped_column

from sms_metrics.errors import Conflict
from sms_metrics.register.base import Base, RecordColumns, UTCDateTime
from sms_metrics.register.kinds.incidents import SERVICE
from sms_metrics.register.records.kind import Lifecycle, RecordKind
from sms_metrics.register.records.schemas import RecordRead

LIFECYCLE = Lifecycle(
    initial="draft",
    moves={
        "draft": ("approved", "superseded"),
        "approved": ("active", "draft", "superseded"),
        "active": ("superseded",),
        "superseded": (),
    },
    closed=frozenset({"superseded"}),
    aliases={"current": frozenset({"draft", "approved", "active"})},
)


class CapacityPlan(RecordColumns, Base):
    __tablename__ = "capacity_plans"
    __table_args__ = (
        Index(
            "uq_capacity_plans_current",
            "service",
            "resource",
            unique=True,
            sqlite_where=text(LIFECYCLE.closed_sql()),
            postgresql_where=text(LIFECYCLE.closed_sql()),
        ),
    )

    service: Mapped[str] = mapped_column(String(200), index=True)
    resource: Mapped[str] = mapped_column(String(200))
    inputs_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    model: Mapped[str | None] = mapped_column(String(40), nullable=True)
    backtest_mase: Mapped[float | None] = mapped_column(Float, nullable=True)
    backtest_smape: Mapped[float | None] = mapped_column(Float, nullable=True)
    forecast_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    exhaustion_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    exhaustion_earliest_95: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    limit_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    direction: Mapped[str | None] = mapped_column(String(4), nullable=True)
    lead_time_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    horizon_end: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    horizon_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    horizon_lower_80: Mapped[float | None] = mapped_column(Float, nullable=True)
    horizon_upper_80: Mapped[float | None] = mapped_column(Float, nullable=True)
    horizon_lower_95: Mapped[float | None] = mapped_column(Float, nullable=True)
    horizon_upper_95: Mapped[float | None] = mapped_column(Float, nullable=True)
    summary: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("capacity_plans.id"), nullable=True)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("capacity_plans.id"), nullable=True)
    approved_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    owner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    action: Mapped[str | None] = mapped_column(Text, nullable=True)
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    ticket_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)


class PlanWork(BaseModel):
    """What a planner writes on a plan."""

    model_config = ConfigDict(extra="forbid")

    owner: str | None = Field(None, max_length=200, description="Who carries the plan out")
    action: str | None = Field(None, max_length=10_000, description="What will be done, e.g. 'add 2 TB to db-1'")
    due_date: date | None = Field(None, description="By when (default: the order-by date, exhaustion minus lead time)")
    ticket_url: str | None = Field(None, max_length=2000, description="The ticket that tracks the work")
    notes: str | None = Field(None, max_length=100_000)


class PlanCreate(PlanWork):
    """A plan written by hand, for a resource no forecast covers (licences, rack space...)."""

    service: str = Field(pattern=SERVICE)
    resource: str = Field(min_length=1, max_length=200)
    limit_value: float | None = None
    direction: str | None = Field(None, pattern="^(up|down)$")
    lead_time_seconds: float | None = Field(None, ge=0)


class CapacityPlanRead(RecordRead):
    service: str
    resource: str
    inputs_hash: str | None
    model: str | None
    backtest_mase: float | None
    backtest_smape: float | None
    forecast_status: str | None
    exhaustion_at: datetime | None
    exhaustion_earliest_95: datetime | None
    limit_value: float | None
    direction: str | None
    lead_time_seconds: float | None
    horizon_end: datetime | None
    horizon_value: float | None
    horizon_lower_95: float | None
    horizon_upper_95: float | None
    supersedes_id: int | None
    superseded_by_id: int | None
    approved_by: str | None
    approved_at: datetime | None
    owner: str | None
    action: str | None
    due_date: date | None
    ticket_url: str | None
    notes: str | None
    summary: dict | None = None


def before_create(ctx, values: dict) -> None:
    current = ctx.session.scalar(
        select(CapacityPlan.id).where(
            CapacityPlan.service == values["service"],
            CapacityPlan.resource == values["resource"],
            CapacityPlan.status.in_(LIFECYCLE.open),
        )
    )
    if current is not None:
        raise Conflict(
            f"{values['service']}/{values['resource']} has a current plan (CAP-{current:06d}); change that one"
        )
    values.update(model="manual", summary={})


def on_move(ctx) -> None:
    if ctx.target == "approved":
        ctx.record.approved_by, ctx.record.approved_at = ctx.who.name, ctx.now


FIGURES = (
    "inputs_hash",
    "model",
    "backtest_mase",
    "backtest_smape",
    "forecast_status",
    "exhaustion_at",
    "exhaustion_earliest_95",
    "horizon_value",
    "horizon_lower_95",
    "horizon_upper_95",
)

KIND = RecordKind(
    name="capacity_plan",
    path="capacity-plans",
    prefix="CAP",
    title="capacity plan",
    model=CapacityPlan,
    create=PlanCreate,
    update=PlanWork,
    read=CapacityPlanRead,
    lifecycle=LIFECYCLE,
    filters={"service": "service", "resource": "resource", "forecast_status": "forecast_status", "owner": "owner"},
    search=("service", "resource", "action", "notes", "owner"),
    write_role="agent",
    move_roles={"approved": "manager", "active": "manager"},
    verbs={"approve": "approved", "activate": "active", "withdraw": "draft", "retire": "superseded"},
    frozen=frozenset({"superseded"}),
    history_fields=(
        "status",
        *FIGURES,
        "supersedes_id",
        "superseded_by_id",
        "approved_by",
        "approved_at",
        "owner",
        "action",
        "due_date",
        "ticket_url",
        "notes",
    ),
    example={"service": "checkout", "resource": "licences", "owner": "carol", "action": "renew 50 seats"},
    before_create=before_create,
    on_move=on_move,
    description="Forecast figures of a capacity resource and the planned action; `forecast --save` writes them.",
)
