"""Request types (ISO/IEC 20000-1 8.1 service requests): the catalogue of what people may ask for — a
password reset, access to a system, a new laptop — with whether a manager must approve it, its default
priority, and its own fulfilment time when the SLA's resolution time for that priority is not the right
one. Service requests name their type (``request_type``). The register starts with six common types
(password-reset, information, access, new-account, software, hardware: written by the migration that
creates the table, ``0017_request_types.py``); managers add, change and retire them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sms_metrics.catalogue.model import NAME_PATTERN
from sms_metrics.register.base import Base, RecordColumns
from sms_metrics.register.kinds.shared import check_unique
from sms_metrics.register.records.kind import Lifecycle, LinkField, RecordKind
from sms_metrics.register.records.schemas import read_schema, update_schema

LIFECYCLE = Lifecycle(
    initial="active",
    moves={"active": ("retired",), "retired": ("active",)},
    closed=frozenset({"retired"}),
)
PRIORITY = r"^P[1-4]$"


class RequestType(RecordColumns, Base):
    __tablename__ = "request_types"

    name: Mapped[str] = mapped_column(String(63), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    approval_required: Mapped[bool] = mapped_column(Boolean)
    default_priority: Mapped[str] = mapped_column(String(2))
    fulfilment_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    fulfilment_group: Mapped[str | None] = mapped_column(String(200), nullable=True)
    owner: Mapped[str | None] = mapped_column(String(200), nullable=True)


class RequestTypeFields(BaseModel):
    """What may change on a request type (its name, which requests refer to, may not)."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200, description="How requesters see it")
    description: str | None = Field(None, max_length=100_000, description="What it covers, what to give")
    approval_required: bool = Field(False, description="A manager approves before fulfilment starts")
    default_priority: str = Field("P4", pattern=PRIORITY, description="Priority of new requests (P1-P4)")
    fulfilment_minutes: int | None = Field(
        None, ge=1, le=525_600, description="Its own fulfilment time in service minutes (default: the SLA's)"
    )
    fulfilment_group: str | None = Field(None, max_length=200, description="Who fulfils it")
    owner: str | None = Field(None, max_length=200, description="Who owns the type")
    services: list[str] = Field(default_factory=list, description="The services it is offered for (empty: all)")


class RequestTypeCreate(RequestTypeFields):
    name: str = Field(pattern=NAME_PATTERN, max_length=63, description="Its name: [a-z0-9-], unique")


def before_create(ctx, values: dict) -> None:
    check_unique(ctx, RequestType, "name", values["name"], "request type")


KIND = RecordKind(
    name="request_type",
    path="request-types",
    prefix="RQT",
    title="request type",
    model=RequestType,
    create=RequestTypeCreate,
    update=update_schema(RequestTypeFields),
    read=read_schema(RequestTypeCreate),
    lifecycle=LIFECYCLE,
    links={"services": LinkField(to="service", filter="service")},
    filters={"name": "name", "default_priority": "default_priority", "fulfilment_group": "fulfilment_group"},
    search=("name", "title", "description"),
    table=("name", "title", "approval_required", "default_priority", "fulfilment_minutes"),
    write_role="manager",
    verbs={"retire": "retired", "activate": "active"},
    example={
        "name": "vpn-access",
        "title": "VPN access",
        "description": "Remote access for a user; the manager approves.",
        "approval_required": True,
        "default_priority": "P3",
        "fulfilment_minutes": 480,
        "fulfilment_group": "network",
    },
    before_create=before_create,
    description="The catalogue of request types: approval, default priority, fulfilment time.",
)
