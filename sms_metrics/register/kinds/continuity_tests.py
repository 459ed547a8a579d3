"""Continuity tests (ISO/IEC 20000-1 8.7.2): a test window on a service. Its downtime and recovery time are
measured from the service's probes over the window (``continuity_measure.py``, the availability engine's
step states) and compared with the continuity plan's RTO. Closing needs evidence (the ``evidence`` gate):
the measured figures, or written observations for a test without probes (a tabletop exercise)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from sms_metrics.errors import RecordInvalid
from sms_metrics.register.base import Base, RecordColumns, UTCDateTime
from sms_metrics.register.kinds.continuity_plans import ContinuityPlan
from sms_metrics.register.kinds.incidents import SERVICE
from sms_metrics.register.kinds.writes import elsewhere
from sms_metrics.register.records.kind import Gate, Lifecycle, RecordKind
from sms_metrics.register.records.schemas import read_schema

LIFECYCLE = Lifecycle(
    initial="planned",
    moves={
        "planned": ("running", "completed", "cancelled"),
        "running": ("completed", "cancelled"),
        "completed": ("closed",),
        "closed": (),
        "cancelled": (),
    },
    closed=frozenset({"completed", "closed", "cancelled"}),
)
MEASURED = (
    "measured_at",
    "downtime_seconds",
    "unknown_seconds",
    "first_failure_at",
    "recovered_at",
    "recovery_seconds",
    "rto_minutes",
    "rto_met",
)


class ContinuityTest(RecordColumns, Base):
    __tablename__ = "continuity_tests"

    title: Mapped[str] = mapped_column(String(500))
    service: Mapped[str] = mapped_column(String(200), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("continuity_plans.id"), nullable=True, index=True)
    scenario: Mapped[str | None] = mapped_column(String(200), nullable=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime())
    conducted_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    observations: Mapped[str | None] = mapped_column(Text, nullable=True)
    lessons: Mapped[str | None] = mapped_column(Text, nullable=True)
    measured_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    downtime_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    unknown_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    first_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    recovered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    recovery_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    rto_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rto_met: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    measurement: Mapped[dict | None] = mapped_column(JSON, nullable=True)


class ContinuityTestCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: str = Field(pattern=SERVICE, description="The catalogue service tested")
    window_start: datetime = Field(description="When the test began (RFC 3339)")
    window_end: datetime = Field(description="When the test window ends (exclusive)")
    title: str = Field("", max_length=500, description="Default: the service and the scenario")
    plan_id: int | None = Field(None, description="The continuity plan tested (default: the service's current one)")
    scenario: str | None = Field(None, max_length=200, description="The plan's scenario exercised")
    conducted_by: str | None = Field(None, max_length=200)
    observations: str | None = Field(None, max_length=100_000)
    lessons: str | None = Field(None, max_length=100_000, description="Lessons learnt, actions for the plan")

    @model_validator(mode="after")
    def _window(self) -> ContinuityTestCreate:
        for name in ("window_start", "window_end"):
            if getattr(self, name).tzinfo is None:
                raise ValueError(f"{name} must carry a time zone (RFC 3339, e.g. 2026-11-07T02:00:00Z)")
        if self.window_end <= self.window_start:
            raise ValueError("window_end must be after window_start")
        if (self.window_end - self.window_start).total_seconds() > 7 * 86400:
            raise ValueError("a test window is at most 7 days")
        return self


class Measured(BaseModel):
    measured_at: datetime | None = None
    downtime_seconds: float | None = Field(None, description="Failed probe steps in the window")
    unknown_seconds: float | None = Field(None, description="Steps without probe data")
    first_failure_at: datetime | None = None
    recovered_at: datetime | None = Field(None, description="First up step after the last failure")
    recovery_seconds: float | None = Field(None, description="recovered_at - first_failure_at")
    rto_minutes: int | None = Field(None, description="The plan's RTO when measured")
    rto_met: bool | None = None
    measurement: dict | None = Field(None, description="Selector, step, outages, notes")


def current_plan(session, service: str) -> ContinuityPlan | None:
    """The service's newest approved or active continuity plan."""
    return session.scalar(
        select(ContinuityPlan)
        .where(ContinuityPlan.service == service, ContinuityPlan.status.in_(("approved", "active")))
        .order_by(ContinuityPlan.id.desc())
        .limit(1)
    )


def _check_plan(session, values: dict) -> None:
    if values.get("plan_id") is None:
        return
    plan = session.get(ContinuityPlan, values["plan_id"])
    if plan is None:
        raise RecordInvalid([f"body.plan_id: continuity plan {values['plan_id']} does not exist"])
    if plan.service != values["service"]:
        raise RecordInvalid([f"body.plan_id: BCP-{plan.id:06d} is a plan of {plan.service}, not {values['service']}"])


def before_create(ctx, values: dict) -> None:
    _check_plan(ctx.session, values)
    if not values["title"]:
        values["title"] = f"Continuity test of {values['service']}" + (
            f": {values['scenario']}" if values["scenario"] else ""
        )


def on_update(ctx, row, changes: dict) -> None:
    _check_plan(ctx.session, {"plan_id": row.plan_id, "service": row.service})
    if {"window_start", "window_end", "service", "plan_id"} & set(changes):
        for f in (*MEASURED, "measurement"):
            setattr(row, f, None)  # the figures were of another window


def evidence_gate(g) -> str | None:
    """A test is closed with its evidence: the measured figures, or written observations (a tabletop
    exercise has no probes to measure)."""
    if g.record.measured_at is None and not g.record.observations:
        return "no evidence: measure the window (continuity-tests measure, POST .../measure) or write observations"
    return None


KIND = RecordKind(
    name="continuity_test",
    path="continuity-tests",
    prefix="CT",
    title="continuity test",
    model=ContinuityTest,
    create=ContinuityTestCreate,
    read=read_schema(ContinuityTestCreate, Measured),
    lifecycle=LIFECYCLE,
    filters={"service": "service", "plan": "plan_id", "scenario": "scenario"},
    search=("title", "scenario", "observations", "lessons"),
    table=("title", "service", "window_start", "recovery_seconds", "rto_met"),
    write_role="manager",
    gates={"closed": (Gate("evidence", evidence_gate),)},
    verbs={"start": "running", "complete": "completed", "close": "closed", "cancel": "cancelled"},
    frozen=frozenset({"closed", "cancelled"}),
    example={
        "service": "checkout",
        "window_start": "2026-11-07T02:00:00Z",
        "window_end": "2026-11-07T04:00:00Z",
        "scenario": "loss of the primary database",
        "conducted_by": "dave",
        "observations": "failover to the replica by hand; the runbook missed the DNS step",
    },
    before_create=before_create,
    on_update=on_update,
    routes=elsewhere("continuity_measure", "routes"),
    cli=elsewhere("continuity_measure", "cli"),
    description="Continuity tests: downtime and recovery time measured from the probes, against the plan's RTO.",
)
