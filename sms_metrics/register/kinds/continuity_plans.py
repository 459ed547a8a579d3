"""Service continuity plans (ISO/IEC 20000-1 8.7.2): for a service, its recovery time and recovery point
objectives (RTO, RPO), the scenarios it covers and how each is answered. Continuity tests measure the
recovery against the plan's RTO."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from sms_metrics.register.base import Base, RecordColumns
from sms_metrics.register.kinds.service_plans import LIFECYCLE, VERBS, PlanColumns, PlanCreate, PlanFields, plan_due
from sms_metrics.register.kinds.service_plans import plan_hooks as hooks
from sms_metrics.register.records.kind import RecordKind
from sms_metrics.register.records.schemas import read_schema


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, description="e.g. loss of the primary site")
    response: str | None = Field(None, max_length=100_000, description="How the service is recovered")


class ContinuityPlan(PlanColumns, RecordColumns, Base):
    __tablename__ = "continuity_plans"

    rto_minutes: Mapped[int] = mapped_column(Integer)
    rpo_minutes: Mapped[int] = mapped_column(Integer)
    scenarios: Mapped[list] = mapped_column(JSON, default=list)
    recovery_procedure: Mapped[str | None] = mapped_column(Text, nullable=True)
    contacts: Mapped[list] = mapped_column(JSON, default=list)


class ContinuityPlanCreate(PlanCreate):
    model_config = ConfigDict(extra="forbid")

    rto_minutes: int = Field(ge=0, le=525_600, description="Recovery time objective: the longest tolerable outage")
    rpo_minutes: int = Field(ge=0, le=525_600, description="Recovery point objective: the most data that may be lost")
    scenarios: list[Scenario] = Field(default_factory=list, max_length=100)
    recovery_procedure: str | None = Field(None, max_length=100_000, description="Or a link to the runbook")
    contacts: list[str] = Field(default_factory=list, max_length=50, description="Who is called, in order")


DUE = plan_due("continuity_plan")
_before, _on_update, _on_move = hooks("Continuity plan", DUE)


def before_create(ctx, values: dict) -> None:
    _before(ctx, values)
    values["scenarios"] = [Scenario.model_validate(s).model_dump() for s in values["scenarios"]]


def on_update(ctx, row, changes: dict) -> None:
    if "scenarios" in changes:
        row.scenarios = [Scenario.model_validate(s).model_dump() for s in row.scenarios or []]
    _on_update(ctx, row, changes)


KIND = RecordKind(
    name="continuity_plan",
    path="continuity-plans",
    prefix="BCP",
    title="continuity plan",
    model=ContinuityPlan,
    create=ContinuityPlanCreate,
    read=read_schema(ContinuityPlanCreate, PlanFields),
    lifecycle=LIFECYCLE,
    filters={"service": "service", "owner": "owner"},
    search=("title", "description", "recovery_procedure", "owner"),
    table=("title", "service", "rto_minutes", "rpo_minutes", "review_date"),
    write_role="manager",
    verbs=VERBS,
    example={
        "service": "checkout",
        "owner": "carol",
        "rto_minutes": 60,
        "rpo_minutes": 15,
        "scenarios": [{"name": "loss of the primary database", "response": "promote the replica"}],
        "review_date": "2027-06-30",
    },
    before_create=before_create,
    on_update=on_update,
    on_move=_on_move,
    description="Continuity plans: RTO, RPO and the scenarios of a service; continuity tests measure against them.",
)
