"""Contracts (ISO/IEC 20000-1 7.2): what a supplier is bound to deliver — scope, services, the
availability target its probes are measured against (in the contract's service hours and time zone),
its term, renewal date and notice period. ``renewal`` says when a decision is due: ``due`` from
``renewal_warning_days`` before the notice deadline (renewal date minus the notice period) until that
deadline, then ``notice_passed`` until the renewal date; a daily job keeps it current."""

from __future__ import annotations

import logging
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import Boolean, Date, Float, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from sms_metrics.catalogue.model import NAME_PATTERN
from sms_metrics.core.calendar import parse_service_hours
from sms_metrics.core.periods import zone
from sms_metrics.core.relations import notice_deadline, renewal_status
from sms_metrics.register.base import Base, RecordColumns
from sms_metrics.register.db import transaction
from sms_metrics.register.kinds.shared import set_fields
from sms_metrics.register.records.access import SYSTEM
from sms_metrics.register.records.context import WriteContext
from sms_metrics.register.records.kind import Lifecycle, LinkField, RecordKind
from sms_metrics.register.records.schemas import read_schema

log = logging.getLogger(__name__)
LIFECYCLE = Lifecycle(
    initial="draft",
    moves={
        "draft": ("active", "cancelled"),
        "active": ("expired", "terminated"),
        "expired": (),
        "terminated": (),
        "cancelled": (),
    },
    closed=frozenset({"expired", "terminated", "cancelled"}),
)
BINDING = ("active", "expired", "terminated")  # contracts whose targets count for supplier performance


class Contract(RecordColumns, Base):
    __tablename__ = "contracts"

    title: Mapped[str] = mapped_column(String(500))
    reference: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    supplier: Mapped[str] = mapped_column(String(63), index=True)
    scope: Mapped[str | None] = mapped_column(Text, nullable=True)
    availability_target: Mapped[float | None] = mapped_column(Float, nullable=True)
    service_hours: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    probe_aggregate: Mapped[str] = mapped_column(String(3))
    term_start: Mapped[date] = mapped_column(Date)
    term_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    renewal_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    notice_period_days: Mapped[int] = mapped_column(Integer)
    renewal_warning_days: Mapped[int] = mapped_column(Integer)
    auto_renew: Mapped[bool] = mapped_column(Boolean)
    annual_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    owner: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    document_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    notice_deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    renewal: Mapped[str] = mapped_column(String(14), index=True)

    @property
    def renewal_due(self) -> bool:
        return self.renewal == "due"


class ContractCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=500)
    supplier: str = Field(pattern=NAME_PATTERN, max_length=63, description="The supplier's name (its probes' label)")
    term_start: date = Field(description="First day of the contract")
    term_end: date | None = Field(None, description="Last day (empty: open-ended)")
    renewal_date: date | None = Field(None, description="When it renews or ends (default: the day after term_end)")
    notice_period_days: int = Field(0, ge=0, le=3650, description="Notice to give before the renewal date")
    renewal_warning_days: int = Field(30, ge=0, le=3650, description="How early before the notice deadline to flag")
    auto_renew: bool = Field(False, description="Renews by itself unless notice is given")
    reference: str | None = Field(None, max_length=100, description="The contract's number")
    scope: str | None = Field(None, max_length=100_000, description="What the supplier is bound to deliver")
    services: list[str] = Field(default_factory=list, description="Catalogue services it covers")
    availability_target: float | None = Field(None, gt=0, le=100, description="Percent, per calendar month")
    service_hours: str = Field("24x7", max_length=200, description="When the target applies, e.g. Mon-Fri 08:00-18:00")
    timezone: str = Field("UTC", max_length=64, description="Time zone of the service hours and months")
    probe_aggregate: Literal["min", "max"] = Field(
        "min", description="min: up while all its probes pass; max: while any does"
    )
    annual_value: float | None = Field(None, ge=0)
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    owner: str | None = Field(None, max_length=200, description="Who manages the contract")
    document_url: str | None = Field(None, max_length=2000)
    notes: str | None = Field(None, max_length=100_000)

    @field_validator("service_hours")
    @classmethod
    def _hours(cls, v: str) -> str:
        parse_service_hours(v)
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        zone(v)
        return v

    @model_validator(mode="after")
    def _term(self) -> ContractCreate:
        if self.term_end is not None and self.term_end < self.term_start:
            raise ValueError("term_end must not be before term_start")
        if self.renewal_date is not None and self.renewal_date <= self.term_start:
            raise ValueError("renewal_date must be after term_start")
        return self


class ContractFields(BaseModel):
    notice_deadline: date | None = Field(None, description="The last day to give notice")
    renewal: str | None = Field(None, description="none, ok, due or notice_passed")
    renewal_due: bool | None = Field(None, description="A decision on renewal is due now")


def _renewal_date(row_or_values) -> date | None:
    get = row_or_values.get if isinstance(row_or_values, dict) else lambda k: getattr(row_or_values, k)
    if get("renewal_date") is not None:
        return get("renewal_date")
    end = get("term_end")
    return None if end is None else date.fromordinal(end.toordinal() + 1)


def renewal_of(row, status: str, today: date) -> tuple[date | None, str]:
    renewal = _renewal_date(row)
    return (
        notice_deadline(renewal, row.notice_period_days),
        renewal_status(status, renewal, row.notice_period_days, row.renewal_warning_days, today),
    )


def before_create(ctx, values: dict) -> None:
    values["notice_deadline"] = notice_deadline(_renewal_date(values), values["notice_period_days"])
    values["renewal"] = "none"  # drafts are not renewed


def on_update(ctx, row, changes: dict) -> None:
    row.notice_deadline, row.renewal = renewal_of(row, row.status, ctx.now.date())


def on_move(ctx) -> None:
    row = ctx.record
    row.notice_deadline, row.renewal = renewal_of(row, ctx.target, ctx.now.date())


def refresh_renewals(system) -> list[tuple[str, str, str]]:
    """The daily job: recompute every active contract's renewal status; returns (ref, old, new) changes."""
    records = system.records
    changed = []
    with transaction(system.sessions) as session:
        ctx = WriteContext(session, SYSTEM, system.now(), system, records)
        for row in session.scalars(select(Contract).where(Contract.status.in_(("active",)))):
            deadline, status = renewal_of(row, row.status, ctx.now.date())
            if (deadline, status) != (row.notice_deadline, row.renewal):
                reason = f"renewal {status}" + (f": notice deadline {deadline.isoformat()}" if deadline else "")
                old = row.renewal
                set_fields(ctx, KIND, row, reason, notice_deadline=deadline, renewal=status)
                changed.append((KIND.ref(row.id), old, status, records.to_read(KIND, row)))
    for ref, old, new, read in changed:
        log.info("contract %s: renewal %s -> %s", ref, old, new)
        system.events.emit(KIND.name, "updated", read)
    return [c[:3] for c in changed]


KIND = RecordKind(
    name="contract",
    path="contracts",
    prefix="CON",
    title="contract",
    model=Contract,
    create=ContractCreate,
    read=read_schema(ContractCreate, ContractFields),
    lifecycle=LIFECYCLE,
    links={"services": LinkField(to="service", filter="service")},
    filters={"supplier": "supplier", "renewal": "renewal", "owner": "owner", "reference": "reference"},
    search=("title", "reference", "supplier", "scope", "notes"),
    table=("title", "supplier", "availability_target", "term_end", "renewal"),
    write_role="manager",
    verbs={"activate": "active", "expire": "expired", "terminate": "terminated", "cancel": "cancelled"},
    example={
        "title": "CDN services 2026–2028",
        "supplier": "acme-cdn",
        "reference": "C-2026-031",
        "scope": "content delivery for the shop's pages, 24x7 support",
        "services": ["checkout"],
        "availability_target": 99.95,
        "term_start": "2026-01-01",
        "term_end": "2027-12-31",
        "notice_period_days": 90,
        "auto_renew": True,
    },
    before_create=before_create,
    on_update=on_update,
    on_move=on_move,
    description="Supplier contracts: scope, availability target, term, renewal date, notice; renewal flagged when due.",
)
