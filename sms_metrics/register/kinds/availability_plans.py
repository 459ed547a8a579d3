"""Availability plans (ISO/IEC 20000-1 8.7.1): a service's availability requirements and targets, the
measures that meet them and the risks to them, reviewed on a schedule."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, Float, Text
from sqlalchemy.orm import Mapped, mapped_column

from sms_metrics.register.base import Base, RecordColumns
from sms_metrics.register.kinds.service_plans import LIFECYCLE, VERBS, PlanColumns, PlanCreate, PlanFields, plan_due
from sms_metrics.register.kinds.service_plans import plan_hooks as hooks
from sms_metrics.register.records.kind import RecordKind
from sms_metrics.register.records.schemas import read_schema


class Risk(BaseModel):
    model_config = ConfigDict(extra="forbid")

    risk: str = Field(min_length=1, max_length=2000)
    likelihood: Literal["low", "medium", "high"] = "medium"
    impact: Literal["low", "medium", "high"] = "medium"
    mitigation: str | None = Field(None, max_length=10_000)


class AvailabilityPlan(PlanColumns, RecordColumns, Base):
    __tablename__ = "availability_plans"

    availability_target: Mapped[float | None] = mapped_column(Float, nullable=True)
    requirements: Mapped[str | None] = mapped_column(Text, nullable=True)
    measures: Mapped[list] = mapped_column(JSON, default=list)
    risks: Mapped[list] = mapped_column(JSON, default=list)


class AvailabilityPlanCreate(PlanCreate):
    model_config = ConfigDict(extra="forbid")

    availability_target: float | None = Field(None, gt=0, le=100, description="Percent (default: the SLA's)")
    requirements: str | None = Field(None, max_length=100_000, description="What the business needs, and when")
    measures: list[str] = Field(default_factory=list, max_length=200, description="Redundancy, monitoring...")
    risks: list[Risk] = Field(default_factory=list, max_length=200)


DUE = plan_due("availability_plan")
_before, _on_update, _on_move = hooks("Availability plan", DUE)


def before_create(ctx, values: dict) -> None:
    _before(ctx, values)
    svc = ctx.catalogue.find(values["service"]) if ctx.catalogue is not None else None
    if values["availability_target"] is None and svc is not None and svc.sla is not None:
        values["availability_target"] = svc.sla.availability_target
    values["risks"] = [Risk.model_validate(r).model_dump() for r in values["risks"]]


def on_update(ctx, row, changes: dict) -> None:
    if "risks" in changes:
        row.risks = [Risk.model_validate(r).model_dump() for r in row.risks or []]
    _on_update(ctx, row, changes)


KIND = RecordKind(
    name="availability_plan",
    path="availability-plans",
    prefix="AVP",
    title="availability plan",
    model=AvailabilityPlan,
    create=AvailabilityPlanCreate,
    read=read_schema(AvailabilityPlanCreate, PlanFields),
    lifecycle=LIFECYCLE,
    filters={"service": "service", "owner": "owner"},
    search=("title", "description", "requirements", "owner"),
    table=("title", "service", "owner", "review_date"),
    write_role="manager",
    verbs=VERBS,
    example={
        "service": "checkout",
        "owner": "carol",
        "availability_target": 99.9,
        "measures": ["two zones behind one load balancer", "probes every 30s"],
        "risks": [{"risk": "single database primary", "likelihood": "low", "impact": "high"}],
        "review_date": "2027-06-30",
    },
    before_create=before_create,
    on_update=on_update,
    on_move=_on_move,
    description="Availability requirements, targets, measures and risks of a service, reviewed on a schedule.",
)
