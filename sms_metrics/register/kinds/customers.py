"""Customers (ISO/IEC 20000-1 7.1 business relationship management): who the services are delivered to,
their contacts, the account manager who keeps the relationship, and the services they use. Complaints,
satisfaction surveys and service reviews name them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sms_metrics.register.base import Base, RecordColumns
from sms_metrics.register.kinds.shared import EMAIL
from sms_metrics.register.records.kind import Lifecycle, LinkField, RecordKind

LIFECYCLE = Lifecycle(
    initial="active",
    moves={
        "active": ("inactive", "former"),
        "inactive": ("active", "former"),
        "former": (),
    },
    closed=frozenset({"former"}),
)


class Customer(RecordColumns, Base):
    __tablename__ = "customers"

    name: Mapped[str] = mapped_column(String(200), index=True)
    code: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    type: Mapped[str] = mapped_column(String(10), index=True)
    organisation_unit: Mapped[str | None] = mapped_column(String(200), nullable=True)
    contact_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    contact_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    contact_phone: Mapped[str | None] = mapped_column(String(50), nullable=True)
    account_manager: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    agreement: Mapped[str | None] = mapped_column(String(200), nullable=True)
    review_interval_months: Mapped[int | None] = mapped_column(nullable=True)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)


class CustomerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, description="The customer's name (organisation or department)")
    code: str | None = Field(None, max_length=40, description="A short code, e.g. the account number")
    type: Literal["external", "internal"] = Field("external", description="external or internal customer")
    organisation_unit: str | None = Field(None, max_length=200, description="Department or business unit")
    contact_name: str | None = Field(None, max_length=200, description="The customer's main contact")
    contact_email: str | None = Field(None, max_length=320, pattern=EMAIL)
    contact_phone: str | None = Field(None, max_length=50)
    account_manager: str | None = Field(None, max_length=200, description="Who keeps the relationship")
    agreement: str | None = Field(None, max_length=200, description="The service level agreement's reference")
    review_interval_months: int | None = Field(None, ge=1, le=36, description="How often services are reviewed")
    services: list[str] = Field(default_factory=list, description="Catalogue services the customer uses")
    notes: str | None = Field(None, max_length=100_000)


KIND = RecordKind(
    name="customer",
    path="customers",
    prefix="CUS",
    title="customer",
    model=Customer,
    create=CustomerCreate,
    lifecycle=LIFECYCLE,
    links={"services": LinkField(to="service", filter="service")},
    filters={"type": "type", "account_manager": "account_manager", "code": "code"},
    search=("name", "code", "contact_name", "organisation_unit", "notes"),
    table=("name", "type", "account_manager", "contact_name"),
    write_role="manager",
    verbs={"deactivate": "inactive", "activate": "active", "end": "former"},
    example={
        "name": "Acme Retail",
        "code": "ACME",
        "type": "external",
        "contact_name": "Dana Lee",
        "contact_email": "dana.lee@acme.example",
        "account_manager": "carol",
        "agreement": "SLA-2026-014",
        "services": ["checkout"],
    },
    description="Customers of the services: contacts, account manager, agreement and the services they use.",
)
