"""Documents and policies (ISO/IEC 20000-1 4.4, 7.5 documented information): drafted, reviewed, approved
and published. A published version is frozen; a new version is a new record that supersedes it
(``supersedes_id``), and publishing it moves the previous version to ``superseded`` in the same
transaction. Published documents carry a review-due date; the review job flags the overdue ones
(``document_versions.py``: new versions, reviews, the chain of versions)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Date, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from sms_metrics.core.reviews import review_overdue
from sms_metrics.errors import Conflict, RecordInvalid
from sms_metrics.register.base import Base, RecordColumns, UTCDateTime
from sms_metrics.register.kinds.reviews import Due, clear_if_met
from sms_metrics.register.kinds.writes import elsewhere, set_fields
from sms_metrics.register.records.kind import Gate, Lifecycle, LinkField, RecordKind
from sms_metrics.register.records.schemas import read_schema

LIFECYCLE = Lifecycle(
    initial="draft",
    moves={
        "draft": ("in_review", "cancelled"),
        "in_review": ("approved", "draft"),
        "approved": ("published", "draft"),
        "published": ("retired",),
        "superseded": (),  # only by publishing the next version
        "retired": (),
        "cancelled": (),
    },
    closed=frozenset({"superseded", "retired", "cancelled"}),
    aliases={"current": frozenset({"published"})},
)
TYPES = ("policy", "process", "procedure", "plan", "standard", "guideline", "form", "record", "other")


class Document(RecordColumns, Base):
    __tablename__ = "documents"

    title: Mapped[str] = mapped_column(String(500))
    type: Mapped[str] = mapped_column(String(20), index=True)
    version: Mapped[str] = mapped_column(String(40))
    owner: Mapped[str] = mapped_column(String(200), index=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    url: Mapped[str | None] = mapped_column(Text, nullable=True)
    content: Mapped[str | None] = mapped_column(Text, nullable=True)
    clause: Mapped[str | None] = mapped_column(String(40), nullable=True)
    review_interval_days: Mapped[int] = mapped_column(Integer)
    review_due: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), nullable=True, index=True)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), nullable=True)
    approved_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_reviewed: Mapped[date | None] = mapped_column(Date, nullable=True)
    last_reviewed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    review_overdue_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class DocumentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=500)
    type: Literal[TYPES] = Field("policy", description=", ".join(TYPES))  # type: ignore[valid-type]
    version: str = Field("1", min_length=1, max_length=40, description="e.g. 1, 2.3")
    owner: str = Field(min_length=1, max_length=200, description="Who answers for the document and its reviews")
    services: list[str] = Field(default_factory=list, max_length=200, description="Catalogue services it covers")
    description: str | None = Field(None, max_length=100_000)
    url: str | None = Field(None, max_length=2000, description="Where the document lives (DMS, wiki, repository)")
    content: str | None = Field(None, max_length=1_000_000, description="The text itself, when kept here")
    clause: str | None = Field(None, max_length=40, description="ISO/IEC 20000-1 clause it answers, e.g. 5.2")
    review_interval_days: int = Field(365, ge=1, le=3650, description="Days between reviews once published")
    review_due: date | None = Field(None, description="Next review (default: publication + the interval)")
    supersedes_id: int | None = Field(None, description="The published version this one replaces, once published")


class DocumentFields(BaseModel):
    superseded_by_id: int | None = None
    approved_by: str | None = None
    approved_at: datetime | None = None
    published_at: datetime | None = None
    last_reviewed: date | None = None
    last_reviewed_by: str | None = None
    review_overdue_since: datetime | None = None


def ref(record_id: int) -> str:
    return f"DOC-{record_id:06d}"


def _reviewed_rule(row, today: date) -> str | None:
    return review_overdue(row.review_due, today)


DUE = Due("document", frozenset({"published"}), "review_overdue_since", "review_overdue", _reviewed_rule)


def check_predecessor(session, values: dict, record_id: int | None = None) -> None:
    """A new version supersedes a published one that no other open draft is already replacing."""
    prev_id = values.get("supersedes_id")
    if prev_id is None:
        return
    prev = session.get(Document, prev_id)
    if prev is None or prev_id == record_id:
        raise RecordInvalid([f"body.supersedes_id: document {prev_id} does not exist"])
    if prev.status != "published":
        raise RecordInvalid(
            [f"body.supersedes_id: {ref(prev.id)} is {prev.status}; only a published version can be superseded"]
        )
    rival = session.scalar(
        select(Document.id).where(
            Document.supersedes_id == prev_id,
            Document.status.in_(sorted(LIFECYCLE.open)),
            Document.id != (record_id or 0),
        )
    )
    if rival is not None:
        raise Conflict(f"{ref(prev.id)} is already being revised in {ref(rival)}; change that draft")


def before_create(ctx, values: dict) -> None:
    check_predecessor(ctx.session, values)


def on_update(ctx, row, changes: dict) -> None:
    if "supersedes_id" in changes:
        check_predecessor(ctx.session, {"supersedes_id": row.supersedes_id}, row.id)
    clear_if_met(ctx, row, DUE)


def predecessor_gate(g) -> str | None:
    """Publishing a new version needs its predecessor still published (it is the current version)."""
    if g.record.supersedes_id is None:
        return None
    with g.system.readers() as s:
        prev = s.get(Document, g.record.supersedes_id)
        if prev is not None and prev.status != "published":
            by = f" by {ref(prev.superseded_by_id)}" if prev.superseded_by_id else ""
            return f"{ref(prev.id)} is {prev.status}{by}: a new version must replace the current one"
    return None


def on_move(ctx) -> None:
    row, to = ctx.record, ctx.target
    if to == "approved":
        row.approved_by, row.approved_at = ctx.who.name, ctx.now
    if to == "draft":
        row.approved_by, row.approved_at = None, None
    if to == "published":
        row.published_at = ctx.now
        if row.review_due is None:
            row.review_due = ctx.now.date() + timedelta(days=row.review_interval_days)


def after_move(ctx) -> None:
    """Publishing a new version supersedes the previous one, in the same transaction."""
    row = ctx.record
    if ctx.target != "published" or row.supersedes_id is None:
        return
    prev = ctx.session.get(Document, row.supersedes_id, with_for_update=True)
    if prev is None or prev.status != "published":
        raise Conflict(f"{ref(row.supersedes_id)} is no longer published; {ref(row.id)} cannot supersede it")
    why = f"superseded by {ref(row.id)} (version {row.version})"
    set_fields(ctx, KIND, prev, why, status="superseded", superseded_by_id=row.id, review_overdue_since=None)
    ctx.notes.append(f"{ref(prev.id)} {why}")


KIND = RecordKind(
    name="document",
    path="documents",
    prefix="DOC",
    title="document",
    model=Document,
    create=DocumentCreate,
    read=read_schema(DocumentCreate, DocumentFields),
    lifecycle=LIFECYCLE,
    links={"services": LinkField(to="service", filter="service")},
    filters={"type": "type", "owner": "owner", "clause": "clause", "version": "version", "supersedes": "supersedes_id"},
    search=("title", "description", "content", "owner"),
    table=("title", "type", "version", "owner", "review_due"),
    write_role="manager",
    move_roles={"approved": "manager", "published": "manager"},
    gates={"published": (Gate("predecessor", predecessor_gate, overridable=False),)},
    verbs={
        "submit": "in_review",
        "approve": "approved",
        "publish": "published",
        "retire": "retired",
        "rework": "draft",
        "cancel": "cancelled",
    },
    frozen=frozenset({"published", "superseded", "retired", "cancelled"}),
    example={
        "title": "Service management policy",
        "type": "policy",
        "version": "1.0",
        "owner": "carol",
        "services": ["checkout"],
        "clause": "5.2",
        "url": "https://wiki.example.com/sms/policy",
    },
    before_create=before_create,
    on_update=on_update,
    on_move=on_move,
    after_move=after_move,
    routes=elsewhere("document_versions", "routes"),
    cli=elsewhere("document_versions", "cli"),
    description="Policies, processes, procedures and plans: versioned, approved, published (then frozen), reviewed.",
)
