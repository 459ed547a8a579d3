"""Changes (ISO/IEC 20000-1 9.2): requested, approved (a normal change only while its services have
error budget left: the ``error_budget`` gate), implemented and closed. The planned window of an agreed
maintenance change is excluded from its services' availability, like a catalogue maintenance window."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import Boolean, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from sms_metrics.core.control import budget_refusal, promql_names
from sms_metrics.errors import PrometheusError
from sms_metrics.register.base import Base, Link, RecordColumns, UTCDateTime
from sms_metrics.register.records.kind import Gate, Lifecycle, LinkField, RecordKind
from sms_metrics.register.records.schemas import Id

LIFECYCLE = Lifecycle(
    initial="requested",
    moves={
        "requested": ("approved", "rejected", "cancelled"),
        "approved": ("in_progress", "cancelled"),
        "in_progress": ("completed", "failed"),
        "completed": ("closed",),
        "failed": ("closed",),
        "rejected": (),
        "cancelled": (),
        "closed": (),
    },
    closed=frozenset({"completed", "failed", "rejected", "cancelled", "closed"}),
)
AGREED = ("approved", "in_progress", "completed", "closed")  # states whose window is agreed downtime
BUDGET = "slo:period_error_budget_remaining:ratio"


class Change(RecordColumns, Base):
    __tablename__ = "changes"

    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    type: Mapped[str] = mapped_column(String(20), index=True)
    risk: Mapped[str] = mapped_column(String(10))
    planned_start: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    planned_end: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    maintenance_window: Mapped[bool] = mapped_column(Boolean, default=False)
    implementation_plan: Mapped[str | None] = mapped_column(Text, nullable=True)
    backout_plan: Mapped[str | None] = mapped_column(Text, nullable=True)
    test_plan: Mapped[str | None] = mapped_column(Text, nullable=True)


class ChangeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=500)
    services: list[str] = Field(min_length=1, max_length=200, description="Catalogue services the change touches")
    type: Literal["standard", "normal", "emergency"] = Field("normal", description="standard changes start approved")
    risk: Literal["low", "medium", "high"] = "medium"
    description: str | None = Field(None, max_length=100_000)
    planned_start: datetime | None = None
    planned_end: datetime | None = None
    maintenance_window: bool = Field(False, description="The planned window is agreed downtime (SLA exclusion)")
    implementation_plan: str | None = Field(None, max_length=100_000)
    backout_plan: str | None = Field(None, max_length=100_000)
    test_plan: str | None = Field(None, max_length=100_000)
    configuration_items: list[Id] = Field(default_factory=list, description="Ids of the CIs it changes")

    @model_validator(mode="after")
    def _window(self) -> ChangeCreate:
        for name in ("planned_start", "planned_end"):
            t = getattr(self, name)
            if t is not None and t.tzinfo is None:
                raise ValueError(f"{name} must carry a time zone (RFC 3339, e.g. 2026-12-05T01:00:00Z)")
        if self.planned_start and self.planned_end and self.planned_end <= self.planned_start:
            raise ValueError("planned_end must be after planned_start")
        if self.maintenance_window and not (self.planned_start and self.planned_end):
            raise ValueError("a maintenance window needs planned_start and planned_end")
        return self


def error_budget_gate(g) -> str | None:
    """A normal change is approved only while every SLO of its services has budget left (fails closed)."""
    if g.record.type != "normal":
        return None
    services = g.links["services"]
    try:
        answer = g.system.prometheus.query(f'{BUDGET}{{service=~"{promql_names(services)}"}}', g.now)
    except PrometheusError as exc:
        return f"the error budget could not be read, so the gate fails closed: {exc}"
    remaining = {(lb.get("service", ""), lb.get("slo", "")): v for lb, v in answer}
    cat = g.system.catalogue
    slos = {s: ([o.name for o in cat.find(s).slos] if cat is not None and cat.find(s) else None) for s in services}
    return budget_refusal(services, slos, remaining)


def maintenance_windows(
    session: Session, services: list[str], start: datetime, end: datetime
) -> dict[str, list[tuple[datetime, datetime]]]:
    """The agreed maintenance windows of ``services`` overlapping ``[start, end)``, per service."""
    rows = session.execute(
        select(Link.target, Change.planned_start, Change.planned_end)
        .join(Change, Change.id == Link.record_id)
        .where(
            Link.kind == "change",
            Link.field == "services",
            Link.target.in_(services),
            Change.maintenance_window.is_(True),
            Change.status.in_(AGREED),
            Change.planned_start < end,
            Change.planned_end > start,
        )
        .order_by(Change.planned_start)
    )
    out: dict[str, list[tuple[datetime, datetime]]] = {s: [] for s in services}
    for service, a, b in rows:
        out[service].append((a, b))
    return out


KIND = RecordKind(
    name="change",
    path="changes",
    prefix="CHG",
    title="change",
    model=Change,
    create=ChangeCreate,
    lifecycle=LIFECYCLE,
    links={
        "services": LinkField(to="service", filter="service"),
        "configuration_items": LinkField(to="configuration_item", filter="configuration_item"),
    },
    filters={"type": "type", "risk": "risk"},
    search=("title", "description", "implementation_plan"),
    table=("title", "type", "risk", "planned_start"),
    write_role="manager",
    move_roles={"approved": "manager", "rejected": "manager"},
    gates={"approved": (Gate("error_budget", error_budget_gate),)},
    verbs={
        "approve": "approved",
        "reject": "rejected",
        "start": "in_progress",
        "complete": "completed",
        "fail": "failed",
        "close": "closed",
        "cancel": "cancelled",
    },
    initial_state=lambda values: "approved" if values["type"] == "standard" else "requested",
    example={
        "title": "Upgrade the checkout database to PostgreSQL 16",
        "services": ["checkout"],
        "type": "normal",
        "risk": "medium",
        "planned_start": "2026-12-05T01:00:00Z",
        "planned_end": "2026-12-05T03:00:00Z",
        "maintenance_window": True,
        "backout_plan": "restore the snapshot taken before",
    },
    description="Changes to services; normal changes are approved only while their error budget lasts.",
)
