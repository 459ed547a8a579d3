"""Status updates (ISO/IEC 20000-1 7.1, communication with customers): what the public status page
says about a disruption, written by the service desk. An update names the services it is about and,
usually, the incidents it reports on; the page shows published updates, never the incident's own
(internal) fields. Withdrawing an update takes it off the page; its history stays."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sms_metrics.register.base import Base, RecordColumns
from sms_metrics.register.records.kind import Lifecycle, LinkField, RecordKind
from sms_metrics.register.records.schemas import Id

LIFECYCLE = Lifecycle(
    initial="published",
    moves={"published": ("withdrawn",), "withdrawn": ("published",)},
    closed=frozenset({"withdrawn"}),
)
PHASES = ("investigating", "identified", "monitoring", "resolved")


class StatusUpdate(RecordColumns, Base):
    __tablename__ = "status_updates"

    title: Mapped[str] = mapped_column(String(200))
    phase: Mapped[str] = mapped_column(String(20), index=True)
    message: Mapped[str] = mapped_column(Text)


class StatusUpdateCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200, description="The public headline, e.g. 'Payments fail'")
    phase: Literal["investigating", "identified", "monitoring", "resolved"] = Field(
        "investigating", description="Where the work stands: investigating, identified, monitoring, resolved"
    )
    message: str = Field(min_length=1, max_length=5000, description="What customers read on the status page")
    services: list[str] = Field(min_length=1, max_length=200, description="Catalogue services it is about")
    incidents: list[Id] = Field(default_factory=list, description="Ids of the incidents it reports on")


KIND = RecordKind(
    name="status_update",
    path="status-updates",
    prefix="UPD",
    title="status update",
    model=StatusUpdate,
    create=StatusUpdateCreate,
    lifecycle=LIFECYCLE,
    links={
        "services": LinkField(to="service", filter="service"),
        "incidents": LinkField(to="incident", filter="incident"),
    },
    filters={"phase": "phase"},
    search=("title", "message"),
    table=("title", "phase"),
    write_role="agent",
    verbs={"withdraw": "withdrawn", "republish": "published"},
    example={
        "title": "Checkout is slow",
        "phase": "investigating",
        "message": "Some customers see slow checkout pages. We are looking into it.",
        "services": ["checkout"],
    },
    description="Public updates on disruptions, shown on the status page (/status) of public services.",
)
