"""Information security controls (ISO/IEC 20000-1 8.7.3): a control of the statement of applicability —
its reference (an ISO/IEC 27001 Annex A id such as A.5.15), owner, implementation state, and its
reviews: the last one and the interval give the next; the review job flags the overdue ones."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import Boolean, Date, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sms_metrics.core.reviews import next_review, review_overdue
from sms_metrics.register.base import Base, RecordColumns, UTCDateTime
from sms_metrics.register.kinds.reviews import Due, clear_if_met
from sms_metrics.register.records.kind import Lifecycle, LinkField, RecordKind
from sms_metrics.register.records.schemas import read_schema

LIFECYCLE = Lifecycle(
    initial="planned",
    moves={
        "planned": ("implementing", "not_applicable"),
        "implementing": ("implemented", "planned"),
        "implemented": ("implementing", "retired"),  # implementing: found wanting at a review
        "not_applicable": ("planned",),
        "retired": (),
    },
    closed=frozenset({"retired"}),
)
REFERENCE = r"^[A-Za-z0-9][A-Za-z0-9 .:_()/-]{0,39}$"


class SecurityControl(RecordColumns, Base):
    __tablename__ = "security_controls"

    reference: Mapped[str] = mapped_column(String(40), index=True)
    framework: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    owner: Mapped[str] = mapped_column(String(200), index=True)
    applicable: Mapped[bool] = mapped_column(Boolean, default=True)
    justification: Mapped[str | None] = mapped_column(Text, nullable=True)
    implementation: Mapped[str | None] = mapped_column(Text, nullable=True)
    evidence: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_review: Mapped[date | None] = mapped_column(Date, nullable=True)
    review_interval_days: Mapped[int] = mapped_column(Integer)
    next_review: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    review_overdue_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SecurityControlCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reference: str = Field(pattern=REFERENCE, description="Control id, e.g. A.5.15 (ISO/IEC 27001:2022 Annex A)")
    title: str = Field(min_length=1, max_length=500)
    owner: str = Field(min_length=1, max_length=200)
    framework: str = Field("ISO/IEC 27001:2022", min_length=1, max_length=60)
    description: str | None = Field(None, max_length=100_000)
    services: list[str] = Field(default_factory=list, max_length=200)
    applicable: bool = Field(True, description="In the statement of applicability")
    justification: str | None = Field(None, max_length=10_000, description="Why it applies, or why not")
    implementation: str | None = Field(None, max_length=100_000, description="How it is implemented")
    evidence: str | None = Field(None, max_length=10_000, description="Where the evidence is (URL, document)")
    last_review: date | None = None
    review_interval_days: int = Field(365, ge=1, le=3650)

    @model_validator(mode="after")
    def _justified(self) -> SecurityControlCreate:
        if not self.applicable and not self.justification:
            raise ValueError("a control that does not apply needs a justification")
        return self


class SecurityControlFields(BaseModel):
    next_review: date | None = Field(None, description="last_review + review_interval_days")
    review_overdue_since: datetime | None = None


def _overdue(row, today: date) -> str | None:
    return review_overdue(row.next_review, today) if row.applicable else None


DUE = Due(
    "security_control", frozenset({"implementing", "implemented"}), "review_overdue_since", "review_overdue", _overdue
)


def before_create(ctx, values: dict) -> None:
    values["next_review"] = next_review(values["last_review"], values["review_interval_days"])


def on_update(ctx, row, changes: dict) -> None:
    row.next_review = next_review(row.last_review, row.review_interval_days)
    clear_if_met(ctx, row, DUE)


KIND = RecordKind(
    name="security_control",
    path="security-controls",
    prefix="SC",
    title="security control",
    model=SecurityControl,
    create=SecurityControlCreate,
    read=read_schema(SecurityControlCreate, SecurityControlFields),
    lifecycle=LIFECYCLE,
    links={"services": LinkField(to="service", filter="service")},
    filters={"reference": "reference", "owner": "owner", "framework": "framework"},
    search=("reference", "title", "description", "owner"),
    table=("reference", "title", "owner", "next_review"),
    write_role="manager",
    verbs={"implement": "implementing", "done": "implemented", "exclude": "not_applicable", "retire": "retired"},
    example={
        "reference": "A.8.13",
        "title": "Information backup",
        "owner": "dave",
        "services": ["checkout"],
        "implementation": "nightly snapshots, restore tested quarterly",
        "last_review": "2026-06-01",
        "review_interval_days": 180,
    },
    before_create=before_create,
    on_update=on_update,
    description="Information security controls (statement of applicability): owner, state, reviews.",
)
