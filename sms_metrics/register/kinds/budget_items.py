"""Budget items (ISO/IEC 20000-1 8.4.2 budgeting and accounting for services): a planned amount per
service, period and category, and the actual amount once booked. The variance report sums the agreed
items (approved and closed) of a period per service, category and currency."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Literal

import typer
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Numeric, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from sms_metrics.core.budget import CSV_FIELDS, variance, variance_markdown, variance_rows
from sms_metrics.core.spans import FORMS, parse_span, valid_span, within
from sms_metrics.errors import InputError, RecordInvalid
from sms_metrics.register.base import Base, RecordColumns
from sms_metrics.register.kinds.incidents import SERVICE
from sms_metrics.register.kinds.service_plans import catalogue_role
from sms_metrics.register.records.access import require_visible
from sms_metrics.register.records.kind import Lifecycle, RecordKind

LIFECYCLE = Lifecycle(
    initial="proposed",
    moves={
        "proposed": ("approved", "rejected"),
        "approved": ("closed", "cancelled", "proposed"),
        "closed": (),
        "rejected": (),
        "cancelled": (),
    },
    closed=frozenset({"closed", "rejected", "cancelled"}),
)
AGREED = ("approved", "closed")  # the items a variance report counts
FORMATS = ("json", "csv", "md")
Money = Numeric(16, 2, asdecimal=False)


class BudgetItem(RecordColumns, Base):
    __tablename__ = "budget_items"

    service: Mapped[str] = mapped_column(String(200), index=True)
    period: Mapped[str] = mapped_column(String(30), index=True)
    category: Mapped[str] = mapped_column(String(60), index=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    cost_type: Mapped[str] = mapped_column(String(5))
    currency: Mapped[str] = mapped_column(String(3))
    planned_amount: Mapped[float] = mapped_column(Money)
    actual_amount: Mapped[float | None] = mapped_column(Money, nullable=True)
    owner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    cost_centre: Mapped[str | None] = mapped_column(String(60), nullable=True)
    supplier: Mapped[str | None] = mapped_column(String(200), nullable=True)


class BudgetItemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: str = Field(pattern=SERVICE, description="The catalogue service the cost belongs to")
    period: str = Field(max_length=30, description=FORMS)
    category: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,59}$", description="e.g. hosting, licences, staff, support")
    planned_amount: float = Field(ge=0, le=1e13)
    actual_amount: float | None = Field(None, ge=0, le=1e13, description="Booked once known")
    currency: str = Field("EUR", pattern=r"^[A-Z]{3}$", description="ISO 4217 code")
    cost_type: Literal["opex", "capex"] = "opex"
    description: str | None = Field(None, max_length=10_000)
    owner: str | None = Field(None, max_length=200, description="Default: the service's manager in the catalogue")
    cost_centre: str | None = Field(None, max_length=60)
    supplier: str | None = Field(None, max_length=200)

    _period = field_validator("period")(valid_span)

    @field_validator("planned_amount", "actual_amount")
    @classmethod
    def _cents(cls, v: float | None) -> float | None:
        return None if v is None else round(v, 2)


def before_create(ctx, values: dict) -> None:
    values["owner"] = values["owner"] or catalogue_role(ctx.catalogue, values["service"], "manager")


def variance_report(records, who, period: str, service: str | None = None) -> dict:
    """Planned against actual amounts of the agreed items whose period lies within ``period``."""
    require_visible(who, KIND)
    try:
        parse_span(period)
    except InputError as exc:
        raise RecordInvalid([f"query.period: {exc}"]) from None
    query = select(BudgetItem).where(BudgetItem.status.in_(AGREED))
    if service:
        query = query.where(BudgetItem.service == service)
    with records.reading() as s:
        rows = [r for r in s.scalars(query.order_by(BudgetItem.id)) if within(r.period, period)]
        items = [
            {
                "ref": KIND.ref(r.id),
                "service": r.service,
                "category": r.category,
                "currency": r.currency,
                "planned_amount": r.planned_amount,
                "actual_amount": r.actual_amount,
            }
            for r in rows
        ]
    return {"period": period, "service": service, "statuses": list(AGREED), **variance(items)}


def render(report: dict, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(report, indent=2) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(CSV_FIELDS)
        w.writerows(variance_rows(report))
        return buf.getvalue()
    if fmt == "md":
        return variance_markdown(report)
    raise RecordInvalid([f"format: {fmt!r} is not one of {', '.join(FORMATS)}"])


def routes(router, records, visible) -> None:
    from fastapi import Depends, Query, Response

    @router.get("/variance", summary="Planned against actual amounts of a period (json, csv or md)")
    def variance_(
        period: str = Query(..., max_length=30, description=FORMS),
        service: str | None = Query(None, max_length=200),
        format: str = Query("json", pattern="^(json|csv|md)$"),
        who=Depends(visible),
    ):
        report = variance_report(records, who, period, service)
        if format == "json":
            return report
        media = {"csv": "text/csv", "md": "text/markdown"}[format]
        return Response(render(report, format), media_type=f"{media}; charset=utf-8")

    router.routes.insert(0, router.routes.pop())  # before GET /{record_id}, which would take "variance"


def cli(app, system_of) -> None:
    from sms_metrics.register.records.cli import cli_principal

    @app.command("variance")
    def variance_cmd(
        ctx: typer.Context,
        period: str = typer.Option(..., "--period", help=FORMS),
        service: str | None = typer.Option(None, "--service", "-s"),
        fmt: str = typer.Option("json", "--format", "-f", help="json, csv or md"),
        out: Path | None = typer.Option(None, "--out", "-o", help="Write here instead of stdout"),
    ) -> None:
        """Planned against actual amounts of the approved and closed items of a period."""
        if fmt not in FORMATS:
            raise typer.BadParameter(f"--format {fmt!r}: use {', '.join(FORMATS)}")
        records = system_of(ctx.find_root().obj, None).records
        text = render(variance_report(records, cli_principal(None), period, service), fmt)
        if out:
            out.write_text(text)
        else:
            typer.echo(text, nl=False)


KIND = RecordKind(
    name="budget_item",
    path="budget-items",
    prefix="BUD",
    title="budget item",
    model=BudgetItem,
    create=BudgetItemCreate,
    lifecycle=LIFECYCLE,
    filters={
        "service": "service",
        "period": "period",
        "category": "category",
        "currency": "currency",
        "cost_type": "cost_type",
        "owner": "owner",
    },
    search=("description", "category", "supplier", "owner", "service"),
    table=("service", "period", "category", "planned_amount", "actual_amount", "currency"),
    write_role="manager",
    verbs={"approve": "approved", "close": "closed", "reject": "rejected", "cancel": "cancelled", "reopen": "proposed"},
    frozen=frozenset({"closed", "rejected", "cancelled"}),
    example={
        "service": "checkout",
        "period": "2026",
        "category": "hosting",
        "planned_amount": 12000.0,
        "actual_amount": 12850.5,
        "currency": "EUR",
        "description": "Cloud instances and storage",
    },
    before_create=before_create,
    routes=routes,
    cli=cli,
    description="Planned and actual amounts per service, period and category, with a variance report.",
)
