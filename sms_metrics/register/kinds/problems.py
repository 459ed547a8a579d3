"""Problems (ISO/IEC 20000-1 8.2): proposed by the register when incidents repeat, or raised by people;
investigated until the root cause is known (which creates its known error), then resolved."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sms_metrics.register.base import Base, RecordColumns
from sms_metrics.register.kinds.incidents import SERVICE
from sms_metrics.register.records.kind import Lifecycle, LinkField, RecordKind
from sms_metrics.register.records.schemas import Id

LIFECYCLE = Lifecycle(
    initial="proposed",
    moves={
        "proposed": ("investigating", "rejected"),
        "investigating": ("root_cause_known", "resolved", "rejected"),
        "root_cause_known": ("investigating", "resolved"),
        "resolved": ("closed", "investigating"),
        "rejected": (),
        "closed": (),
    },
    closed=frozenset({"resolved", "rejected", "closed"}),
)
ACTIVE = LIFECYCLE.open  # new incidents of its fingerprint or service join an active problem


class Problem(RecordColumns, Base):
    __tablename__ = "problems"

    title: Mapped[str] = mapped_column(String(500))
    service: Mapped[str] = mapped_column(String(200), index=True)
    fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    description: Mapped[str] = mapped_column(Text)
    root_cause: Mapped[str | None] = mapped_column(Text, nullable=True)
    workaround: Mapped[str | None] = mapped_column(Text, nullable=True)


class ProblemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=500)
    service: str = Field(pattern=SERVICE)
    description: str = Field("", max_length=100_000, description="What is seen and why it is a problem")
    fingerprint: str | None = Field(None, max_length=64, description="The alert fingerprint whose incidents join it")
    root_cause: str | None = Field(None, max_length=100_000)
    workaround: str | None = Field(None, max_length=100_000)
    configuration_items: list[Id] = Field(default_factory=list)


def after_move(ctx) -> None:
    """Reaching root_cause_known creates the problem's known error (``known_errors.from_problem``)."""
    from sms_metrics.register.kinds.known_errors import from_problem

    from_problem(ctx)


KIND = RecordKind(
    name="problem",
    path="problems",
    prefix="PRB",
    title="problem",
    model=Problem,
    create=ProblemCreate,
    lifecycle=LIFECYCLE,
    links={"configuration_items": LinkField(to="configuration_item", filter="configuration_item")},
    filters={"service": "service", "fingerprint": "fingerprint"},
    search=("title", "description", "root_cause", "workaround"),
    write_role="agent",
    verbs={
        "investigate": "investigating",
        "found": "root_cause_known",
        "resolve": "resolved",
        "reject": "rejected",
        "close": "closed",
    },
    example={"title": "Checkout pods run out of memory under load", "service": "checkout"},
    after_move=after_move,
    description="Causes of repeated incidents; proposed when three incidents repeat within seven days.",
)
