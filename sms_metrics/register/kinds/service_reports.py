"""Service reports (ISO/IEC 20000-1 8.3.2, 9.1): the availability report of a service for a period, kept
with its figures (the ``report availability`` JSON) and its rendered files (JSON, Markdown, HTML, stored in
the register's database). One record per service and period: measuring again replaces the figures as a new
version (``version``; the old figures stay in the history) and sends a reviewed or issued report back to
draft (``report_saving.py`` measures and saves)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import JSON, Boolean, Float, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from sms_metrics.core.periods import parse_period
from sms_metrics.errors import Conflict
from sms_metrics.register.base import Base, RecordColumns, UTCDateTime
from sms_metrics.register.kinds.incidents import SERVICE
from sms_metrics.register.kinds.writes import elsewhere
from sms_metrics.register.records.kind import Lifecycle, RecordKind
from sms_metrics.register.records.schemas import read_schema

LIFECYCLE = Lifecycle(
    initial="draft",
    moves={
        "draft": ("reviewed", "withdrawn"),
        "reviewed": ("issued", "draft"),
        "issued": ("withdrawn",),
        "withdrawn": ("draft",),
    },
    closed=frozenset({"issued", "withdrawn"}),
)
PERIOD = re.compile(r"^\d{4}-\d{2}$|^\d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2}$")
FILES = {"json": "application/json", "md": "text/markdown", "html": "text/html"}
SUMMARY = ("availability_percent", "target_percent", "met", "downtime_seconds", "data_coverage_percent")


class ServiceReport(RecordColumns, Base):
    __tablename__ = "service_reports"
    __table_args__ = (UniqueConstraint("service", "period", name="uq_service_reports_service_period"),)

    service: Mapped[str] = mapped_column(String(200), index=True)
    period: Mapped[str] = mapped_column(String(30), index=True)
    period_start: Mapped[datetime] = mapped_column(UTCDateTime())
    period_end: Mapped[datetime] = mapped_column(UTCDateTime())
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    source: Mapped[str] = mapped_column(String(10))
    version: Mapped[int] = mapped_column(Integer)
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime())
    figures: Mapped[dict] = mapped_column(JSON)
    availability_percent: Mapped[float | None] = mapped_column(Float, nullable=True)
    target_percent: Mapped[float | None] = mapped_column(Float, nullable=True)
    met: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    downtime_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    data_coverage_percent: Mapped[float | None] = mapped_column(Float, nullable=True)
    rendered_json: Mapped[str] = mapped_column(Text, deferred=True)
    rendered_md: Mapped[str] = mapped_column(Text, deferred=True)
    rendered_html: Mapped[str] = mapped_column(Text, deferred=True)

    @property
    def files(self) -> dict[str, str]:
        return files_of(self.id)


class ReportPeriod(BaseModel):
    start: str
    end: str
    label: str


class Figures(BaseModel):
    """The ``report availability`` JSON of one service (its other fields are kept as they are)."""

    model_config = ConfigDict(extra="allow")

    service: str
    period: ReportPeriod | None = None
    target_percent: float | None = None
    availability_percent: float | None = None
    met: bool | None = None
    up_seconds: float | None = None
    downtime_seconds: float | None = None
    unknown_seconds: float | None = None
    excluded_seconds: float | None = None
    error_budget_seconds: float | None = None
    error_budget_remaining_percent: float | None = None
    data_coverage_percent: float | None = None
    outages: list[dict[str, Any]] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


class ServiceReportCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: str = Field(pattern=SERVICE)
    period: str = Field(max_length=30, description="A month (2026-10) or a date range (2026-10-01..2026-10-15)")
    figures: Figures = Field(description="The report availability JSON of the service for the period")
    source: Literal["api", "cli", "job", "import"] = Field("api", description="What measured the figures")
    description: str | None = Field(None, max_length=100_000, description="The reviewer's comments")

    @model_validator(mode="after")
    def _same(self) -> ServiceReportCreate:
        if not PERIOD.match(self.period):
            raise ValueError(f"period {self.period!r}: a month (2026-10) or a date range (2026-10-01..2026-10-15)")
        if self.figures.service != self.service:
            raise ValueError(f"figures.service is {self.figures.service!r}, not {self.service!r}")
        if self.figures.period is not None and self.figures.period.label != self.period:
            raise ValueError(f"figures.period.label is {self.figures.period.label!r}, not {self.period!r}")
        return self


class ReportFields(BaseModel):
    period_start: datetime | None = None
    period_end: datetime | None = None
    version: int | None = Field(None, description="1, then one more at each new measurement")
    measured_at: datetime | None = None
    availability_percent: float | None = None
    target_percent: float | None = None
    met: bool | None = None
    downtime_seconds: float | None = None
    data_coverage_percent: float | None = None
    files: dict[str, str] | None = Field(None, description="The rendered files: format -> path under /api/v1")


def files_of(record_id: int) -> dict[str, str]:
    return {fmt: f"/api/v1/service-reports/{record_id}/files/{fmt}" for fmt in FILES}


def derived(ctx_catalogue, values: dict, figures: dict) -> dict:
    """The columns that follow from the figures: the period's bounds, the summary and the files."""
    from sms_metrics.register.kinds.report_saving import render_files

    svc = ctx_catalogue.find(values["service"]) if ctx_catalogue is not None else None
    tz = svc.sla.timezone if svc is not None and svc.sla is not None else "UTC"
    span = parse_period(values["period"], tz)
    out = {"period_start": span.start, "period_end": span.end, **{f: figures.get(f) for f in SUMMARY}}
    return {**out, **render_files(figures, values["period"], span)}


def before_create(ctx, values: dict) -> None:
    extra = derived(ctx.catalogue, values, values["figures"])  # rendered before the first write statement
    found = ctx.session.scalar(
        select(ServiceReport.id).where(
            ServiceReport.service == values["service"], ServiceReport.period == values["period"]
        )
    )
    if found is not None:
        raise Conflict(
            f"SR-{found:06d} is the report of {values['service']} for {values['period']}; "
            "measure it again (report availability --save, POST /api/v1/service-reports/measure)"
        )
    values.update(extra, version=1, measured_at=ctx.now)


EDITABLE = frozenset({"description"})  # the reviewer's comments; everything else comes from a measurement


def on_update(ctx, row, changes: dict) -> None:
    measured = sorted(set(changes) - EDITABLE)
    if measured:
        raise Conflict(
            f"{', '.join(measured)}: a report's service, period, figures and source change only by measuring "
            "it again (report availability --save, POST /api/v1/service-reports/measure)"
        )


KIND = RecordKind(
    name="service_report",
    path="service-reports",
    prefix="SR",
    title="service report",
    model=ServiceReport,
    create=ServiceReportCreate,
    read=read_schema(ServiceReportCreate, ReportFields),
    lifecycle=LIFECYCLE,
    filters={"service": "service", "period": "period", "source": "source"},
    search=("service", "period", "description"),
    table=("service", "period", "availability_percent", "met", "version"),
    write_role="manager",
    verbs={"review": "reviewed", "issue": "issued", "withdraw": "withdrawn", "redraft": "draft"},
    frozen=frozenset({"issued"}),
    history_fields=("status", "description", "source", "version", "measured_at", *SUMMARY, "figures"),
    example={
        "service": "checkout",
        "period": "2026-10",
        "figures": {
            "service": "checkout",
            "target_percent": 99.9,
            "availability_percent": 99.95,
            "met": True,
            "up_seconds": 2676780.0,
            "downtime_seconds": 1320.0,
            "outages": [{"start": "2026-10-14T09:00:00Z", "end": "2026-10-14T09:22:00Z", "duration_seconds": 1320.0}],
        },
    },
    before_create=before_create,
    on_update=on_update,
    routes=elsewhere("report_saving", "routes"),
    cli=elsewhere("report_saving", "cli"),
    description="Availability reports of a service and period with their figures and rendered files.",
)
