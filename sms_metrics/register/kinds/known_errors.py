"""Known errors (ISO/IEC 20000-1 8.2 problem management): a problem whose root cause is known, with the
workaround the service desk applies until the fix is in. Linked to its problem and to the incidents it
explains. A problem that reaches ``root_cause_known`` creates its known error (once), carrying its root
cause, workaround and incidents; publishing a known error to the desk needs a workaround."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from sms_metrics.errors import RecordInvalid
from sms_metrics.register.base import Base, RecordColumns
from sms_metrics.register.kinds.incidents import SERVICE, Incident
from sms_metrics.register.kinds.shared import check_record, check_service
from sms_metrics.register.records import store
from sms_metrics.register.records.kind import Lifecycle, LinkField, RecordKind
from sms_metrics.register.records.schemas import Id

LIFECYCLE = Lifecycle(
    initial="identified",
    moves={
        "identified": ("published", "resolved", "retired"),
        "published": ("resolved", "identified", "retired"),
        "resolved": ("retired", "published"),  # published again: the fix did not hold
        "retired": (),
    },
    closed=frozenset({"resolved", "retired"}),
)


class KnownError(RecordColumns, Base):
    __tablename__ = "known_errors"

    title: Mapped[str] = mapped_column(String(500))
    service: Mapped[str] = mapped_column(String(200), index=True)
    problem_id: Mapped[int | None] = mapped_column(ForeignKey("problems.id"), nullable=True, index=True)
    symptoms: Mapped[str | None] = mapped_column(Text, nullable=True)
    root_cause: Mapped[str] = mapped_column(Text)
    workaround: Mapped[str | None] = mapped_column(Text, nullable=True)
    fix: Mapped[str | None] = mapped_column(Text, nullable=True)
    fix_change_id: Mapped[int | None] = mapped_column(ForeignKey("changes.id"), nullable=True)
    owner: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)


class KnownErrorCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=500)
    service: str = Field(pattern=SERVICE)
    root_cause: str = Field(min_length=1, max_length=100_000, description="Why the incidents happen")
    workaround: str | None = Field(None, max_length=100_000, description="What the desk does meanwhile")
    symptoms: str | None = Field(None, max_length=100_000, description="How to recognise it (messages, alerts)")
    fix: str | None = Field(None, max_length=100_000, description="The permanent fix, planned or done")
    fix_change_id: Id | None = Field(None, description="The change that fixes it")
    problem_id: Id | None = Field(None, description="The problem it comes from")
    owner: str | None = Field(None, max_length=200)
    incidents: list[Id] = Field(default_factory=list, description="Ids of the incidents it explains")
    configuration_items: list[Id] = Field(default_factory=list, description="Ids of the CIs at fault")


def _check(ctx, values: dict) -> None:
    check_service(ctx, values.get("service"))
    check_record(ctx, "problem", values.get("problem_id"), "problem_id")
    check_record(ctx, "change", values.get("fix_change_id"), "fix_change_id")


def on_update(ctx, row, changes: dict) -> None:
    _check(ctx, {"service": row.service, "problem_id": row.problem_id, "fix_change_id": row.fix_change_id})


def on_move(ctx) -> None:
    if ctx.target == "published" and not (ctx.record.workaround or "").strip():
        raise RecordInvalid(["body: publishing a known error needs a workaround (PATCH workaround first)"])


def from_problem(ctx) -> None:
    """A problem's after-move effect: reaching root_cause_known creates its known error, once."""
    if ctx.target != "root_cause_known":
        return
    problem = ctx.record
    existing = ctx.session.scalar(select(KnownError.id).where(KnownError.problem_id == problem.id).limit(1))
    if existing is not None:
        return
    ref = f"PRB-{problem.id:06d}"
    incidents = list(ctx.session.scalars(select(Incident.id).where(Incident.problem_id == problem.id)))
    cis = store.links_of(ctx.session, ctx.kind, [problem.id])[problem.id].get("configuration_items", [])
    made = ctx.create(
        "known_error",
        {
            "title": problem.title,
            "service": problem.service,
            "problem_id": problem.id,
            "root_cause": problem.root_cause or ctx.reason or f"to be written: the root cause found by {ref}",
            "workaround": problem.workaround,
            "symptoms": problem.description or None,
            "incidents": incidents,
            "configuration_items": cis,
        },
        reason=f"root cause of {ref} known",
    )
    ctx.notes.append(f"known error KE-{made.id:06d} created")


KIND = RecordKind(
    name="known_error",
    path="known-errors",
    prefix="KE",
    title="known error",
    model=KnownError,
    create=KnownErrorCreate,
    lifecycle=LIFECYCLE,
    links={
        "incidents": LinkField(to="incident", filter="incident"),
        "configuration_items": LinkField(to="configuration_item", filter="configuration_item"),
    },
    filters={"service": "service", "problem": "problem_id", "owner": "owner"},
    search=("title", "symptoms", "root_cause", "workaround", "fix"),
    table=("title", "service", "problem_id", "owner"),
    write_role="agent",
    verbs={"publish": "published", "resolve": "resolved", "retire": "retired", "unpublish": "identified"},
    example={
        "title": "Checkout pods run out of memory under load",
        "service": "checkout",
        "root_cause": "the image cache grows without bound",
        "workaround": "restart the pod with the highest memory use",
        "symptoms": "OOMKilled pods; 502s from the checkout page",
    },
    before_create=_check,
    on_update=on_update,
    on_move=on_move,
    description="Known errors: root cause and workaround, linked to problems and incidents.",
)
