"""Supplier performance (ISO/IEC 20000-1 7.2): one record per supplier and month — its availability
measured from the probes labelled with its name, against its contract's target, with the outages that
broke it. ``supplier_measure.py`` writes them (a monthly job, ``sms-metrics supplier-performance measure
--period 2026-10`` and ``POST .../measure``); a re-run replaces the figures, each change in the history.
A month can also be recorded by hand (a supplier without probes: its own report's figures)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import typer
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from sms_metrics.catalogue.model import NAME_PATTERN
from sms_metrics.core.periods import month_period
from sms_metrics.core.relations import MONTH, performance_result
from sms_metrics.errors import Conflict
from sms_metrics.register.base import Base, RecordColumns, UTCDateTime
from sms_metrics.register.records.kind import Lifecycle, RecordKind
from sms_metrics.register.records.schemas import read_schema, update_schema

LIFECYCLE = Lifecycle(
    initial="measured",
    moves={
        "measured": ("reviewed", "disputed"),
        "disputed": ("reviewed", "measured"),
        "reviewed": ("measured", "disputed"),  # back to measured: figures changed or the review reopened
    },
    closed=frozenset({"reviewed"}),
)


class SupplierPerformance(RecordColumns, Base):
    __tablename__ = "supplier_performance"
    __table_args__ = (UniqueConstraint("supplier", "period", name="uq_supplier_performance_month"),)

    supplier: Mapped[str] = mapped_column(String(63), index=True)
    period: Mapped[str] = mapped_column(String(7), index=True)
    period_start: Mapped[datetime] = mapped_column(UTCDateTime())
    period_end: Mapped[datetime] = mapped_column(UTCDateTime())
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"), nullable=True)
    target_percent: Mapped[float | None] = mapped_column(Float, nullable=True)
    availability_percent: Mapped[float | None] = mapped_column(Float, nullable=True)
    result: Mapped[str] = mapped_column(String(10), index=True)
    up_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    downtime_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    unknown_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    excluded_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    data_coverage_percent: Mapped[float | None] = mapped_column(Float, nullable=True)
    outage_count: Mapped[int] = mapped_column(Integer)
    outages: Mapped[list] = mapped_column(JSON, default=list)
    warnings: Mapped[list] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(10))
    measured_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    owner: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    review_notes: Mapped[str | None] = mapped_column(Text, nullable=True)


class Outage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: datetime
    end: datetime
    duration_seconds: float = Field(ge=0)


class PerformanceWork(BaseModel):
    """What people write on a month's record."""

    model_config = ConfigDict(extra="forbid")

    owner: str | None = Field(None, max_length=200, description="Who reviews the month with the supplier")
    notes: str | None = Field(None, max_length=100_000)
    review_notes: str | None = Field(None, max_length=100_000, description="What was agreed (credits, actions)")


class PerformanceFigures(PerformanceWork):
    """Figures given by hand (a month the probes do not measure); measured figures change only by measuring."""

    availability_percent: float | None = Field(None, ge=0, le=100)
    target_percent: float | None = Field(None, gt=0, le=100, description="Default: the supplier's contract's")
    downtime_seconds: float | None = Field(None, ge=0)
    outages: list[Outage] = Field(default_factory=list, max_length=10_000)

    @field_validator("outages")
    @classmethod
    def _ordered(cls, v: list[Outage]) -> list[Outage]:
        for i, o in enumerate(v):
            if o.end <= o.start:
                raise ValueError(f"outage {i}: end must be after start")
        return v


class PerformanceCreate(PerformanceFigures):
    """A month recorded by hand, for a supplier whose probes do not measure it."""

    supplier: str = Field(pattern=NAME_PATTERN, max_length=63, description="The supplier's name")
    period: str = Field(pattern=MONTH, description="The calendar month, e.g. 2026-10 (UTC)")


FIGURES = ("availability_percent", "target_percent", "downtime_seconds", "outages")


class PerformanceFields(BaseModel):
    period_start: datetime | None = None
    period_end: datetime | None = None
    contract_id: int | None = None
    result: Literal["met", "breached", "no_target", "no_data"] | None = None
    up_seconds: float | None = None
    unknown_seconds: float | None = None
    excluded_seconds: float | None = None
    data_coverage_percent: float | None = None
    outage_count: int | None = None
    warnings: list[str] = Field(default_factory=list)
    source: Literal["probes", "manual"] | None = None
    measured_at: datetime | None = None


def plain_outages(items) -> list[dict]:
    return [Outage.model_validate(o).model_dump(mode="json") for o in items or []]


def month_of(ctx_session, supplier: str, period: str):
    return ctx_session.scalar(
        select(SupplierPerformance).where(
            SupplierPerformance.supplier == supplier, SupplierPerformance.period == period
        )
    )


def before_create(ctx, values: dict) -> None:
    from sms_metrics.register.kinds.supplier_measure import contract_for

    existing = month_of(ctx.session, values["supplier"], values["period"])
    if existing is not None:
        raise Conflict(f"{values['supplier']} has a record for {values['period']} already ({KIND.ref(existing.id)})")
    year, month = (int(x) for x in values["period"].split("-"))
    span = month_period(year, month)
    contract = contract_for(ctx.session, values["supplier"], values["period"])
    if values["target_percent"] is None and contract is not None:
        values["target_percent"] = contract.availability_target
    values.update(
        period_start=span.start,
        period_end=span.end,
        contract_id=contract.id if contract is not None else None,
        outages=plain_outages(values["outages"]),
        source="manual",
        warnings=[],
    )
    values["outage_count"] = len(values["outages"])
    values["result"] = performance_result(values["availability_percent"], values["target_percent"])


def on_update(ctx, row, changes: dict) -> None:
    if row.source == "probes" and set(FIGURES) & set(changes):
        raise Conflict(
            f"{KIND.ref(row.id)} was measured from the probes: its figures change only by measuring again "
            "(supplier-performance measure); write notes or review notes instead"
        )
    row.outages = plain_outages(row.outages)
    row.outage_count = len(row.outages)
    row.result = performance_result(row.availability_percent, row.target_percent)


def routes(router, records, visible) -> None:
    from fastapi import Body, Depends

    from sms_metrics.register.kinds import supplier_measure
    from sms_metrics.register.records.access import require

    @router.post("/measure", summary="Measure suppliers' availability for a month from their probes now")
    def measure(
        period: str = Body(..., embed=True, pattern=MONTH),
        suppliers: list[str] | None = Body(None, embed=True),
        who=Depends(visible),
    ) -> dict:
        require(who, "manager", "measure supplier performance")
        outcomes = supplier_measure.measure(records.system, period, suppliers=suppliers, who=who)
        return {"period": period, "suppliers": [o.as_json() for o in outcomes]}


def _table(period: str, outcomes) -> str:
    lines = [f"{'supplier':<32} {'availability':>12} {'target':>7} {'result':<10} {'outages':>7}  record"]
    for o in outcomes:
        avail = "-" if o.availability_percent is None else f"{o.availability_percent:.3f}%"
        target = "-" if o.target_percent is None else f"{o.target_percent:g}%"
        lines.append(
            f"{o.supplier:<32} {avail:>12} {target:>7} {o.result or '-':<10} {o.outages:>7}  {o.ref or '-'} ({o.action})"
        )
    breached = [o.supplier for o in outcomes if o.result == "breached"]
    lines.append(
        f"{period}: {len(breached)} supplier(s) breached their target"
        + (": " + ", ".join(breached) if breached else "")
    )
    return "\n".join(lines) + "\n"


def cli(app, system_of) -> None:
    import json

    from sms_metrics.register.kinds import supplier_measure
    from sms_metrics.register.records.cli import cli_principal

    @app.command("measure")
    def measure_cmd(
        ctx: typer.Context,
        period: str | None = typer.Option(None, "--period", help="The month, e.g. 2026-10 (default: last month)"),
        supplier: list[str] | None = typer.Option(None, "--supplier", help="Only these suppliers (repeat)"),
        prometheus: str | None = typer.Option(None, "--prometheus", "-p", help="Default: SMS_PROMETHEUS_URL"),
        actor: str | None = typer.Option(None, "--actor", help="Who acts, in the history (default cli:$USER)"),
        fmt: str = typer.Option("table", "--format", "-f", help="table or json"),
    ) -> None:
        """Measure suppliers' availability for a month from their probes and write one record per supplier."""
        from sms_metrics.adapters.prometheus import PrometheusHTTP
        from sms_metrics.core.periods import previous_month

        settings = ctx.find_root().obj
        system = system_of(settings, None)
        if prometheus:
            system._prometheus = PrometheusHTTP.from_settings(settings, prometheus)
        month = period or previous_month(system.now()).label
        outcomes = supplier_measure.measure(system, month, suppliers=supplier or None, who=cli_principal(actor))
        if fmt == "json":
            typer.echo(json.dumps({"period": month, "suppliers": [o.as_json() for o in outcomes]}, indent=2))
        else:
            typer.echo(_table(month, outcomes), nl=False)


KIND = RecordKind(
    name="supplier_performance",
    path="supplier-performance",
    prefix="SPF",
    title="supplier performance record",
    model=SupplierPerformance,
    create=PerformanceCreate,
    update=update_schema(PerformanceFigures),
    read=read_schema(PerformanceCreate, PerformanceFields),
    lifecycle=LIFECYCLE,
    filters={
        "supplier": "supplier",
        "period": "period",
        "result": "result",
        "source": "source",
        "owner": "owner",
        "contract": "contract_id",
    },
    search=("supplier", "period", "notes", "review_notes"),
    table=("supplier", "period", "availability_percent", "target_percent", "result", "outage_count"),
    write_role="manager",
    verbs={"review": "reviewed", "dispute": "disputed", "reopen": "measured"},
    example={
        "supplier": "acme-cdn",
        "period": "2026-10",
        "availability_percent": 99.82,
        "target_percent": 99.9,
        "downtime_seconds": 4800,
        "notes": "figures from the supplier's monthly report",
    },
    before_create=before_create,
    on_update=on_update,
    routes=routes,
    cli=cli,
    description="Per supplier and month: availability from its probes against its contract, with the outages.",
)
