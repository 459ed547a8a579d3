"""Satisfaction surveys (ISO/IEC 20000-1 7.1.4): the customers' score of a service for a period, 1 to 5,
with the number of respondents and their comments. Closed surveys make the trend: the respondent-weighted
score per period and its change against the previous period (``GET .../trend?service=S``,
``sms-metrics satisfaction-surveys trend --service S``)."""

from __future__ import annotations

from datetime import date

import typer
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import Date, Float, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from sms_metrics.core.relations import SurveyResult, period_dates, satisfaction_trend, valid_period
from sms_metrics.register.base import Base, RecordColumns
from sms_metrics.register.kinds.incidents import SERVICE
from sms_metrics.register.kinds.shared import check_record, check_service
from sms_metrics.register.records.kind import Lifecycle, RecordKind
from sms_metrics.register.records.schemas import MAX_ID, Id, read_schema

LIFECYCLE = Lifecycle(
    initial="collecting",
    moves={
        "collecting": ("closed", "cancelled"),
        "closed": ("collecting",),  # reopened to correct the figures
        "cancelled": (),
    },
    closed=frozenset({"closed", "cancelled"}),
)
COUNTED = ("closed",)  # the states whose scores make the trend and the service reviews' figures


class SatisfactionSurvey(RecordColumns, Base):
    __tablename__ = "satisfaction_surveys"

    title: Mapped[str] = mapped_column(String(500))
    service: Mapped[str] = mapped_column(String(200), index=True)
    period: Mapped[str] = mapped_column(String(30), index=True)
    period_start: Mapped[date] = mapped_column(Date, index=True)
    period_end: Mapped[date] = mapped_column(Date)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), nullable=True, index=True)
    score: Mapped[float] = mapped_column(Float)
    respondents: Mapped[int] = mapped_column(Integer)
    invited: Mapped[int | None] = mapped_column(Integer, nullable=True)
    method: Mapped[str] = mapped_column(String(20))
    conducted_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    comments: Mapped[str | None] = mapped_column(Text, nullable=True)
    actions: Mapped[str | None] = mapped_column(Text, nullable=True)

    @property
    def response_rate_percent(self) -> float | None:
        return None if not self.invited else round(100 * self.respondents / self.invited, 2)


class SurveyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: str = Field(pattern=SERVICE, description="The catalogue service rated")
    period: str = Field(description="The period rated: 2026-10, 2026-Q4, 2026 or 2026-10-01..2027-01-01")
    score: float = Field(ge=1, le=5, description="The mean score, 1 (very dissatisfied) to 5 (very satisfied)")
    respondents: int = Field(ge=1, le=10_000_000, description="How many answered")
    invited: int | None = Field(None, ge=1, description="How many were asked (for the response rate)")
    title: str = Field("", max_length=500, description="Default: the service and period")
    customer_id: Id | None = Field(None, description="The customer surveyed (id of a customer record)")
    method: str = Field("survey", pattern=r"^(survey|interview|feedback-form|review-meeting|other)$")
    conducted_by: str | None = Field(None, max_length=200)
    comments: str | None = Field(None, max_length=100_000, description="What respondents said")
    actions: str | None = Field(None, max_length=100_000, description="What will be done about it")

    @field_validator("period")
    @classmethod
    def _period(cls, v: str) -> str:
        return valid_period(v)

    @model_validator(mode="after")
    def _invited(self) -> SurveyCreate:
        if self.invited is not None and self.invited < self.respondents:
            raise ValueError("invited must be at least respondents")
        return self


class SurveyFields(BaseModel):
    period_start: date | None = None
    period_end: date | None = Field(None, description="The day after the period's last day")
    response_rate_percent: float | None = None


def _derive(ctx, values: dict) -> None:
    check_service(ctx, values.get("service"))
    check_record(ctx, "customer", values.get("customer_id"), "customer_id")
    values["period_start"], values["period_end"] = period_dates(values["period"])
    if not values.get("title"):
        values["title"] = f"{values['service']} satisfaction {values['period']}"


def on_update(ctx, row, changes: dict) -> None:
    values = {"service": row.service, "customer_id": row.customer_id, "period": row.period, "title": row.title}
    _derive(ctx, values)
    row.period_start, row.period_end, row.title = values["period_start"], values["period_end"], values["title"]


def trend(records, who, service: str, customer_id: int | None = None) -> dict:
    """Every counted survey of ``service`` (and ``customer_id``): the score per period, with its change."""
    from sms_metrics.register.records.access import require_visible

    require_visible(who, KIND)
    query = select(SatisfactionSurvey).where(
        SatisfactionSurvey.service == service, SatisfactionSurvey.status.in_(COUNTED)
    )
    if customer_id is not None:
        query = query.where(SatisfactionSurvey.customer_id == customer_id)
    with records.reading() as s:
        rows = list(s.scalars(query))
    results = [SurveyResult(r.period, r.score, r.respondents) for r in rows]
    return {"service": service, "customer_id": customer_id, "periods": satisfaction_trend(results)}


def routes(router, records, visible) -> None:
    from fastapi import Depends, Query

    @router.get("/trend", summary="The score of a service per period, with the change against the previous one")
    def trend_route(
        service: str = Query(..., max_length=200, pattern=SERVICE),
        customer: int | None = Query(None, ge=1, le=MAX_ID),
        who=Depends(visible),
    ) -> dict:
        return trend(records, who, service, customer)

    router.routes.insert(0, router.routes.pop())  # before /{record_id}, which would take "trend" for an id


def _trend_lines(doc: dict) -> str:
    lines = [f"{'period':<24} {'surveys':>7} {'respondents':>11} {'score':>6} {'change':>7}"]
    for p in doc["periods"]:
        change = "" if p["change"] is None else f"{p['change']:+.2f}"
        score = "-" if p["score"] is None else f"{p['score']:.2f}"
        lines.append(f"{p['period']:<24} {p['surveys']:>7} {p['respondents']:>11} {score:>6} {change:>7}")
    return "\n".join(lines) + "\n"


def cli(app, system_of) -> None:
    import json

    from sms_metrics.register.records.cli import cli_principal

    @app.command("trend")
    def trend_cmd(
        ctx: typer.Context,
        service: str = typer.Option(..., "--service", "-s", help="The catalogue service"),
        customer: int | None = typer.Option(None, "--customer", help="Only this customer's surveys (id)"),
        fmt: str = typer.Option("table", "--format", "-f", help="table or json"),
    ) -> None:
        """The score per period of closed surveys, with the change against the previous period."""
        system = system_of(ctx.find_root().obj, None)
        doc = trend(system.records, cli_principal(None), service, customer)
        typer.echo(json.dumps(doc, indent=2) if fmt == "json" else _trend_lines(doc), nl=fmt == "json")


KIND = RecordKind(
    name="satisfaction_survey",
    path="satisfaction-surveys",
    prefix="SAT",
    title="satisfaction survey",
    model=SatisfactionSurvey,
    create=SurveyCreate,
    read=read_schema(SurveyCreate, SurveyFields),
    lifecycle=LIFECYCLE,
    filters={"service": "service", "period": "period", "customer": "customer_id", "method": "method"},
    search=("title", "comments", "actions", "period"),
    table=("title", "service", "period", "score", "respondents"),
    write_role="manager",
    verbs={"close": "closed", "reopen": "collecting", "cancel": "cancelled"},
    example={"service": "checkout", "period": "2026-10", "score": 4.2, "respondents": 37, "invited": 120},
    before_create=_derive,
    on_update=on_update,
    routes=routes,
    cli=cli,
    description="Customer satisfaction per service and period (1–5), with the trend between periods.",
)
