"""Suppliers (ISO/IEC 20000-1 7.2 supplier management): who supplies what, to which services, and whom to
call. A supplier's ``name`` is the value of the ``supplier`` label its probes carry (``supplier:`` in the
probe files): supplier performance is measured from the probes with that label, against the supplier's
contract (``contracts``, which name the supplier the same way)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sms_metrics.catalogue.model import NAME_PATTERN
from sms_metrics.register.base import Base, RecordColumns
from sms_metrics.register.kinds.shared import EMAIL, check_unique
from sms_metrics.register.records.kind import Lifecycle, LinkField, RecordKind
from sms_metrics.register.records.schemas import read_schema, update_schema

LIFECYCLE = Lifecycle(
    initial="active",
    moves={
        "active": ("suspended", "terminated"),
        "suspended": ("active", "terminated"),
        "terminated": (),
    },
    closed=frozenset({"terminated"}),
)
MEASURED = ("active", "suspended")  # suppliers whose probes the monthly measurement reads


class Supplier(RecordColumns, Base):
    __tablename__ = "suppliers"

    name: Mapped[str] = mapped_column(String(63), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    supplier_type: Mapped[str] = mapped_column(String(10), index=True)
    supplies: Mapped[str | None] = mapped_column(Text, nullable=True)
    contacts: Mapped[list] = mapped_column(JSON, default=list)
    owner: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    risk: Mapped[str] = mapped_column(String(10), index=True)
    website: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)


class Contact(BaseModel):
    """A person to call at the supplier."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    role: str | None = Field(None, max_length=200, description="e.g. account manager, escalation, 24x7 support")
    email: str | None = Field(None, max_length=320, pattern=EMAIL)
    phone: str | None = Field(None, max_length=50)


class SupplierFields(BaseModel):
    """What may change on a supplier (its name, the probes' label, may not)."""

    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(None, max_length=200, description="How people name it")
    supplier_type: Literal["external", "internal", "customer"] = Field(
        "external", description="external supplier, internal supplier, or a customer acting as a supplier"
    )
    supplies: str | None = Field(None, max_length=100_000, description="What it supplies (hosting, CDN, payments)")
    services: list[str] = Field(default_factory=list, description="Catalogue services it supplies to")
    contacts: list[Contact] = Field(default_factory=list, max_length=100)
    owner: str | None = Field(None, max_length=200, description="Who manages the supplier on our side")
    risk: Literal["low", "medium", "high"] = Field("medium", description="How much the services depend on it")
    website: str | None = Field(None, max_length=2000)
    notes: str | None = Field(None, max_length=100_000)


class SupplierCreate(SupplierFields):
    name: str = Field(
        pattern=NAME_PATTERN, max_length=63, description="The `supplier` label of its probes: [a-z0-9-], unique"
    )


def plain_contacts(items) -> list[dict]:
    return [Contact.model_validate(c).model_dump(mode="json") for c in items or []]


def before_create(ctx, values: dict) -> None:
    check_unique(ctx, Supplier, "name", values["name"], "supplier")
    values["contacts"] = plain_contacts(values["contacts"])


KIND = RecordKind(
    name="supplier",
    path="suppliers",
    prefix="SUP",
    title="supplier",
    model=Supplier,
    create=SupplierCreate,
    update=update_schema(SupplierFields),
    read=read_schema(SupplierCreate),
    lifecycle=LIFECYCLE,
    links={"services": LinkField(to="service", filter="service")},
    filters={"name": "name", "supplier_type": "supplier_type", "owner": "owner", "risk": "risk"},
    search=("name", "display_name", "supplies", "notes"),
    table=("name", "display_name", "supplier_type", "risk", "owner"),
    write_role="manager",
    verbs={"suspend": "suspended", "activate": "active", "terminate": "terminated"},
    example={
        "name": "acme-cdn",
        "display_name": "Acme CDN Ltd",
        "supplies": "content delivery for the shop's pages",
        "services": ["checkout"],
        "contacts": [{"name": "Sam Ortiz", "role": "account manager", "email": "sam@acme-cdn.example"}],
        "owner": "carol",
        "risk": "high",
    },
    before_create=before_create,
    on_update=lambda ctx, row, changes: setattr(row, "contacts", plain_contacts(row.contacts)),
    description="Suppliers: what they supply, to which services, whom to call; `name` is their probes' label.",
)
