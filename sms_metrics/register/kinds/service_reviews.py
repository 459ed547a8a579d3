"""Service reviews (ISO/IEC 20000-1 7.1.2 / 8.3.3): a meeting with the customer about the services over a
period. Created with the period's figures already in it (``review_figures.py``: availability per SLO,
incidents by priority and SLA breaches, changes, complaints, service requests, satisfaction), so the
meeting discusses measured facts; ``refresh`` reads them again until the review is closed. Attendees,
minutes, decisions and actions are written during and after the meeting."""

from __future__ import annotations

from datetime import date, datetime

import typer
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import JSON, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sms_metrics.core.relations import period_dates, valid_period
from sms_metrics.register.base import Base, RecordColumns, UTCDateTime
from sms_metrics.register.kinds.review_figures import review_figures
from sms_metrics.register.kinds.shared import check_record, write_record
from sms_metrics.register.records.api import RecordId
from sms_metrics.register.records.kind import Lifecycle, LinkField, RecordKind
from sms_metrics.register.records.schemas import Id, read_schema

LIFECYCLE = Lifecycle(
    initial="planned",
    moves={
        "planned": ("held", "cancelled"),
        "held": ("closed", "planned"),
        "closed": (),
        "cancelled": (),
    },
    closed=frozenset({"closed", "cancelled"}),
)


class ServiceReview(RecordColumns, Base):
    __tablename__ = "service_reviews"

    title: Mapped[str] = mapped_column(String(500))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), nullable=True, index=True)
    period: Mapped[str] = mapped_column(String(30), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    meeting_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    location: Mapped[str | None] = mapped_column(String(500), nullable=True)
    owner: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    attendees: Mapped[list] = mapped_column(JSON, default=list)
    agenda: Mapped[str | None] = mapped_column(Text, nullable=True)
    minutes: Mapped[str | None] = mapped_column(Text, nullable=True)
    decisions: Mapped[str | None] = mapped_column(Text, nullable=True)
    actions: Mapped[list] = mapped_column(JSON, default=list)
    next_review_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    figures: Mapped[dict] = mapped_column(JSON, default=dict)
    figures_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Action(BaseModel):
    """Something agreed at the review: what, who, by when, and whether it is done."""

    model_config = ConfigDict(extra="forbid")

    action: str = Field(min_length=1, max_length=2000)
    owner: str | None = Field(None, max_length=200)
    due_date: date | None = None
    done: bool = False


class ReviewCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    services: list[str] = Field(min_length=1, max_length=100, description="Catalogue services reviewed")
    period: str = Field(description="The period reviewed: 2026-10, 2026-Q4, 2026 or 2026-10-01..2027-01-01")
    title: str = Field("", max_length=500, description="Default: the services and the period")
    customer_id: Id | None = Field(None, description="The customer met (id of a customer record)")
    meeting_at: datetime | None = Field(None, description="When the meeting takes place")
    location: str | None = Field(None, max_length=500, description="Room or call link")
    owner: str | None = Field(None, max_length=200, description="Who leads the review (service level manager)")
    attendees: list[str] = Field(default_factory=list, max_length=200)
    agenda: str | None = Field(None, max_length=100_000)
    minutes: str | None = Field(None, max_length=100_000)
    decisions: str | None = Field(None, max_length=100_000)
    actions: list[Action] = Field(default_factory=list, max_length=500)
    next_review_on: date | None = Field(None, description="When the next review is due")

    @field_validator("period")
    @classmethod
    def _period(cls, v: str) -> str:
        return valid_period(v)


class ReviewFields(BaseModel):
    period_start: date | None = None
    period_end: date | None = Field(None, description="The day after the period's last day")
    figures: dict | None = Field(None, description="The period's figures per service, read at creation or refresh")
    figures_at: datetime | None = None


def _plain(values_or_row) -> None:
    get = values_or_row.get if isinstance(values_or_row, dict) else lambda k: getattr(values_or_row, k)
    actions = [Action.model_validate(a).model_dump(mode="json") for a in get("actions") or []]
    if isinstance(values_or_row, dict):
        values_or_row["actions"] = actions
    else:
        values_or_row.actions = actions


def before_create(ctx, values: dict) -> None:
    services = ctx.links.get("services", [])
    figures = review_figures(ctx.system, services, values["period"])  # before the write's first statement
    check_record(ctx, "customer", values.get("customer_id"), "customer_id")
    values["period_start"], values["period_end"] = period_dates(values["period"])
    values["title"] = values["title"] or f"Service review {', '.join(services)} {values['period']}"
    values.update(figures=figures, figures_at=ctx.now)
    _plain(values)


def on_update(ctx, row, changes: dict) -> None:
    check_record(ctx, "customer", row.customer_id, "customer_id")
    row.period_start, row.period_end = period_dates(row.period)
    _plain(row)


def on_move(ctx) -> None:
    if ctx.target == "held" and ctx.record.meeting_at is None:
        ctx.record.meeting_at = ctx.now


def refresh(records, who, record_id: int):
    """Read the period's figures again and keep them (with the old ones in the history)."""
    current = records.get(KIND, who, record_id)
    figures = review_figures(records.system, current.services, current.period)

    def change(ctx, row) -> None:
        row.figures, row.figures_at = figures, ctx.now

    return write_record(records, KIND, who, record_id, change, reason="figures read again")


def routes(router, records, visible) -> None:
    from fastapi import Depends

    @router.post("/{record_id}/refresh", summary="Read the review period's figures again")
    def refresh_route(record_id: RecordId, who=Depends(visible)) -> dict:
        return refresh(records, who, record_id).model_dump(mode="json")


def cli(app, system_of) -> None:
    from sms_metrics.register.records.cli import cli_principal, dump

    @app.command("refresh")
    def refresh_cmd(
        ctx: typer.Context,
        record_id: int = typer.Argument(..., help="The review's id"),
        actor: str | None = typer.Option(None, "--actor", help="Who acts, in the history (default cli:$USER)"),
        catalogue: str | None = typer.Option(None, "--catalogue", "-c", help="Default: SMS_CATALOGUE"),
    ) -> None:
        """Read the review period's figures again (availability, incidents, changes, complaints...)."""
        from pathlib import Path

        system = system_of(ctx.find_root().obj, Path(catalogue) if catalogue else None)
        typer.echo(dump(refresh(system.records, cli_principal(actor), record_id), "json"), nl=False)


KIND = RecordKind(
    name="service_review",
    path="service-reviews",
    prefix="REV",
    title="service review",
    model=ServiceReview,
    create=ReviewCreate,
    read=read_schema(ReviewCreate, ReviewFields),
    lifecycle=LIFECYCLE,
    links={"services": LinkField(to="service", filter="service")},
    filters={"customer": "customer_id", "period": "period", "owner": "owner"},
    search=("title", "agenda", "minutes", "decisions", "period"),
    table=("title", "period", "meeting_at", "owner"),
    write_role="manager",
    verbs={"hold": "held", "close": "closed", "cancel": "cancelled", "replan": "planned"},
    frozen=frozenset({"closed", "cancelled"}),
    history_fields=(
        "status",
        "title",
        "customer_id",
        "period",
        "meeting_at",
        "location",
        "owner",
        "attendees",
        "agenda",
        "minutes",
        "decisions",
        "actions",
        "next_review_on",
        "figures",
        "figures_at",
    ),
    example={
        "services": ["checkout"],
        "period": "2026-10",
        "meeting_at": "2026-11-12T14:00:00Z",
        "owner": "carol",
        "attendees": ["carol", "Dana Lee (Acme Retail)"],
        "agenda": "availability, incidents, changes, complaints, satisfaction",
    },
    before_create=before_create,
    on_update=on_update,
    on_move=on_move,
    routes=routes,
    cli=cli,
    description="Service reviews with the customer, pre-filled with the period's measured figures.",
)
