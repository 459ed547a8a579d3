"""Service change proposals (ISO/IEC 20000-1 5): a new, changed or removed service, from proposal to
go-live. Going live (the ``go_live`` gate) needs the service in the catalogue with an SLA and an SLO,
its probes passing for the last 24 hours in Prometheus, and recorded acceptance tests that passed."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sms_metrics.core.control import probes_refusal, promql_names, tests_refusal
from sms_metrics.errors import PrometheusError
from sms_metrics.register.base import Base, RecordColumns, UTCDateTime
from sms_metrics.register.kinds.incidents import SERVICE
from sms_metrics.register.kinds.releases import TestResult, plain_tests
from sms_metrics.register.records.kind import Gate, Lifecycle, RecordKind

LIFECYCLE = Lifecycle(
    initial="proposed",
    moves={
        "proposed": ("approved", "rejected", "cancelled"),
        "approved": ("building", "cancelled"),
        "building": ("live", "cancelled"),
        "live": ("closed",),
        "rejected": (),
        "cancelled": (),
        "closed": (),
    },
    closed=frozenset({"live", "rejected", "cancelled", "closed"}),
)
WINDOW_HOURS = 24


class ServiceChangeProposal(RecordColumns, Base):
    __tablename__ = "service_change_proposals"

    title: Mapped[str] = mapped_column(String(500))
    service: Mapped[str] = mapped_column(String(200), index=True)
    change: Mapped[str] = mapped_column(String(10))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    plan: Mapped[str | None] = mapped_column(Text, nullable=True)
    planned_go_live: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    acceptance_tests: Mapped[list] = mapped_column(JSON, default=list)
    owner: Mapped[str | None] = mapped_column(String(200), nullable=True)


class ProposalCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=500)
    service: str = Field(pattern=SERVICE, description="The service's name (in the catalogue by go-live)")
    change: Literal["new", "changed", "removed"] = "new"
    description: str | None = Field(None, max_length=100_000)
    plan: str | None = Field(None, max_length=100_000, description="Design, build and transition plan")
    planned_go_live: datetime | None = None
    acceptance_tests: list[TestResult] = Field(default_factory=list, max_length=1000)
    owner: str | None = Field(None, max_length=200)


def _probes(g, service: str) -> str | None:
    prom, sel = g.system.prometheus, f'probe_success{{service=~"{promql_names([service])}"}}'
    try:
        lowest = {
            lb.get("probe") or lb.get("instance") or str(lb): v
            for lb, v in prom.query(f"min_over_time({sel}[{WINDOW_HOURS}h])", g.now)
        }
        old = prom.query(f"count_over_time({sel}[1h] offset {WINDOW_HOURS - 1}h)", g.now)
    except PrometheusError as exc:
        return f"the probes could not be read, so the gate fails closed: {exc}"
    return probes_refusal(service, lowest, bool(old), WINDOW_HOURS)


def go_live_gate(g) -> str | None:
    rec = g.record
    problems = []
    if rec.change != "removed":
        service = g.system.catalogue.find(rec.service) if g.system.catalogue is not None else None
        if service is None:
            problems.append(f"{rec.service} is not in the catalogue")
        elif service.sla is None or not service.slos:
            problems.append(f"{rec.service} needs an SLA and at least one SLO in the catalogue")
        else:
            problems.append(_probes(g, rec.service))
    problems.append(tests_refusal([t.model_dump() for t in rec.acceptance_tests or []], "acceptance tests"))
    return "; ".join(p for p in problems if p) or None


KIND = RecordKind(
    name="service_change_proposal",
    path="service-change-proposals",
    prefix="SCP",
    title="service change proposal",
    model=ServiceChangeProposal,
    create=ProposalCreate,
    lifecycle=LIFECYCLE,
    filters={"service": "service", "change": "change", "owner": "owner"},
    search=("title", "service", "description", "plan"),
    table=("title", "service", "change", "planned_go_live"),
    write_role="manager",
    gates={"live": (Gate("go_live", go_live_gate),)},
    verbs={
        "approve": "approved",
        "reject": "rejected",
        "build": "building",
        "go-live": "live",
        "close": "closed",
        "cancel": "cancelled",
    },
    example={
        "title": "New service: gift cards",
        "service": "checkout",
        "change": "new",
        "acceptance_tests": [{"name": "purchase with a gift card", "passed": True}],
    },
    before_create=lambda ctx, values: values.update(acceptance_tests=plain_tests(values["acceptance_tests"])),
    on_update=lambda ctx, row, changes: setattr(row, "acceptance_tests", plain_tests(row.acceptance_tests)),
    description="New, changed and removed services, from proposal to a measured go-live.",
)
