"""Management reviews (ISO/IEC 20000-1 9.3): top management's review of the SMS for a period. On creation
its inputs are gathered from the register and stored in the record (``review_inputs.py``): SLA results,
incidents, complaints, capacity, supplier performance, nonconformities. They are gathered again on demand
while the review is not closed; decisions and actions are recorded at the meeting."""

from __future__ import annotations

import json
from datetime import date, datetime

import typer
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import JSON, Date, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sms_metrics.core.spans import FORMS, parse_span, valid_span
from sms_metrics.errors import Conflict, RecordInvalid
from sms_metrics.register.base import Base, RecordColumns, UTCDateTime
from sms_metrics.register.kinds.nonconformities import CorrectiveAction as Action
from sms_metrics.register.kinds.writes import write_record
from sms_metrics.register.records.access import require, require_visible
from sms_metrics.register.records.api import RecordId
from sms_metrics.register.records.kind import Lifecycle, RecordKind
from sms_metrics.register.records.schemas import read_schema

LIFECYCLE = Lifecycle(
    initial="planned",
    moves={"planned": ("held", "cancelled"), "held": ("closed",), "closed": (), "cancelled": ()},
    closed=frozenset({"closed", "cancelled"}),
)


class ManagementReview(RecordColumns, Base):
    __tablename__ = "management_reviews"

    title: Mapped[str] = mapped_column(String(500))
    period: Mapped[str] = mapped_column(String(30), index=True)
    period_start: Mapped[datetime] = mapped_column(UTCDateTime())
    period_end: Mapped[datetime] = mapped_column(UTCDateTime())
    meeting_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    chair: Mapped[str | None] = mapped_column(String(200), nullable=True)
    attendees: Mapped[list] = mapped_column(JSON, default=list)
    services: Mapped[list] = mapped_column(JSON, default=list)
    inputs: Mapped[dict] = mapped_column(JSON)
    inputs_at: Mapped[datetime] = mapped_column(UTCDateTime())
    minutes: Mapped[str | None] = mapped_column(Text, nullable=True)
    decisions: Mapped[str | None] = mapped_column(Text, nullable=True)
    actions: Mapped[list] = mapped_column(JSON, default=list)


class ManagementReviewCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: str = Field(max_length=30, description=FORMS)
    title: str = Field("", max_length=500, description="Default: Management review <period>")
    services: list[str] = Field(default_factory=list, max_length=1000, description="Default: every service")
    meeting_date: date | None = None
    chair: str | None = Field(None, max_length=200)
    attendees: list[str] = Field(default_factory=list, max_length=100)
    minutes: str | None = Field(None, max_length=1_000_000)
    decisions: str | None = Field(None, max_length=100_000, description="Decisions on improvement and changes")
    actions: list[Action] = Field(default_factory=list, max_length=200)

    _period = field_validator("period")(valid_span)


class ReviewFields(BaseModel):
    period_start: datetime | None = None
    period_end: datetime | None = None
    inputs: dict | None = Field(None, description="Gathered from the register when created (or gathered again)")
    inputs_at: datetime | None = None


def _gather(system, period: str, services: list[str]) -> dict:
    from sms_metrics.register.kinds.review_inputs import gather

    return gather(system, period, services or None)


def _check_services(ctx, services: list[str]) -> None:
    cat = ctx.catalogue
    unknown = [f"body.services.{i}: unknown service {s!r}" for i, s in enumerate(services) if cat and not cat.find(s)]
    if unknown:
        raise RecordInvalid(unknown)


def before_create(ctx, values: dict) -> None:
    _check_services(ctx, values["services"])
    span = parse_span(values["period"])
    values.update(
        title=values["title"] or f"Management review {values['period']}",
        period_start=span.start,
        period_end=span.end,
        actions=[Action.model_validate(a).model_dump(mode="json") for a in values["actions"]],
        inputs=_gather(ctx.system, values["period"], values["services"]),
        inputs_at=ctx.now,
    )


def on_update(ctx, row, changes: dict) -> None:
    if "period" in changes:
        raise Conflict("a review's period does not change; create a review for the other period")
    if "services" in changes:
        _check_services(ctx, row.services)
    if "actions" in changes:
        row.actions = [Action.model_validate(a).model_dump(mode="json") for a in row.actions or []]


def gather_again(records, who, record_id: int):
    """Gather the inputs again (while the review is not closed)."""
    require_visible(who, KIND, record_id)
    require(who, KIND.write_role, f"change {KIND.path}")
    with records.reading() as s:
        row = records.load(s, KIND, record_id)
        if row.status in LIFECYCLE.closed:
            raise Conflict(f"{KIND.ref(row.id)} is {row.status}: its inputs stay as they were")
        period, services = row.period, list(row.services or [])
    inputs = _gather(records.system, period, services)

    def change(ctx, row) -> None:
        row.inputs, row.inputs_at = inputs, ctx.now

    return write_record(records, KIND, who, record_id, change, reason="inputs gathered again")


def routes(router, records, visible) -> None:
    from fastapi import Depends

    @router.post("/{record_id}/inputs", response_model=records.read_model(KIND), summary="Gather the inputs again")
    def inputs_(record_id: RecordId, who=Depends(visible)):
        return gather_again(records, who, record_id)


def cli(app, system_of) -> None:
    from sms_metrics.register.records.cli import cli_principal

    @app.command("gather")
    def gather_cmd(
        ctx: typer.Context,
        record_id: int = typer.Argument(..., help="The management review"),
        actor: str | None = typer.Option(None, "--actor"),
    ) -> None:
        """Gather a review's inputs from the register again and print them."""
        item = gather_again(system_of(ctx.find_root().obj, None).records, cli_principal(actor), record_id)
        typer.echo(json.dumps(item.inputs, indent=2))


KIND = RecordKind(
    name="management_review",
    path="management-reviews",
    prefix="MR",
    title="management review",
    model=ManagementReview,
    create=ManagementReviewCreate,
    read=read_schema(ManagementReviewCreate, ReviewFields),
    lifecycle=LIFECYCLE,
    filters={"period": "period", "chair": "chair"},
    search=("title", "minutes", "decisions"),
    table=("title", "period", "meeting_date", "chair"),
    write_role="manager",
    verbs={"hold": "held", "close": "closed", "cancel": "cancelled"},
    frozen=frozenset({"closed", "cancelled"}),
    example={"period": "2026-Q3", "chair": "frank", "attendees": ["carol", "dave"], "meeting_date": "2026-10-15"},
    before_create=before_create,
    on_update=on_update,
    routes=routes,
    cli=cli,
    description="Management reviews with their inputs gathered from the register for the period.",
)
