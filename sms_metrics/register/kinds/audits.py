"""Audits (ISO/IEC 20000-1 9.2): internal, external, certification or supplier audits with their scope,
criteria, auditors and findings. A finding may raise a nonconformity (linked both ways); issuing the
report (``reported``) raises one for every major and minor finding that has none yet."""

from __future__ import annotations

from datetime import date
from typing import Literal

import typer
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import JSON, Date, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sms_metrics.errors import Conflict, RecordInvalid
from sms_metrics.register.base import Base, RecordColumns
from sms_metrics.register.kinds.writes import write_record
from sms_metrics.register.records.api import RecordId
from sms_metrics.register.records.kind import Lifecycle, LinkField, RecordKind

LIFECYCLE = Lifecycle(
    initial="planned",
    moves={
        "planned": ("in_progress", "cancelled"),
        "in_progress": ("reported", "cancelled"),
        "reported": ("closed",),
        "closed": (),
        "cancelled": (),
    },
    closed=frozenset({"closed", "cancelled"}),
)
SEVERITIES = ("major", "minor", "observation", "opportunity")
RAISES = ("major", "minor")  # findings that are nonconformities


class Finding(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=500)
    severity: Literal[SEVERITIES] = Field(description=", ".join(SEVERITIES))  # type: ignore[valid-type]
    clause: str | None = Field(None, max_length=40, description="The requirement, e.g. ISO/IEC 20000-1 8.2.3")
    description: str | None = Field(None, max_length=100_000)
    evidence: str | None = Field(None, max_length=100_000, description="What the auditor saw")
    service: str | None = Field(None, max_length=200)
    nonconformity_id: int | None = Field(None, description="The nonconformity it raised")


class Audit(RecordColumns, Base):
    __tablename__ = "audits"

    title: Mapped[str] = mapped_column(String(500))
    type: Mapped[str] = mapped_column(String(20), index=True)
    scope: Mapped[str | None] = mapped_column(Text, nullable=True)
    criteria: Mapped[str | None] = mapped_column(Text, nullable=True)
    lead_auditor: Mapped[str] = mapped_column(String(200), index=True)
    auditors: Mapped[list] = mapped_column(JSON, default=list)
    auditee: Mapped[str | None] = mapped_column(String(200), nullable=True)
    planned_start: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    planned_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    findings: Mapped[list] = mapped_column(JSON, default=list)
    conclusion: Mapped[str | None] = mapped_column(Text, nullable=True)


class AuditCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=500)
    type: Literal["internal", "external", "certification", "surveillance", "supplier"] = "internal"
    scope: str | None = Field(None, max_length=100_000, description="Services, sites, processes audited")
    criteria: str | None = Field(None, max_length=100_000, description="e.g. ISO/IEC 20000-1:2018 clauses 8.2-8.7")
    lead_auditor: str = Field(min_length=1, max_length=200)
    auditors: list[str] = Field(default_factory=list, max_length=50)
    auditee: str | None = Field(None, max_length=200, description="Who represents the audited side")
    services: list[str] = Field(default_factory=list, max_length=200)
    planned_start: date | None = None
    planned_end: date | None = None
    findings: list[Finding] = Field(default_factory=list, max_length=1000)
    conclusion: str | None = Field(None, max_length=100_000)

    @model_validator(mode="after")
    def _dates(self) -> AuditCreate:
        if self.planned_start and self.planned_end and self.planned_end < self.planned_start:
            raise ValueError("planned_end must not be before planned_start")
        return self


def plain_findings(items) -> list[dict]:
    return [Finding.model_validate(f).model_dump(mode="json") for f in items or []]


def before_create(ctx, values: dict) -> None:
    values["findings"] = plain_findings(values["findings"])


def on_update(ctx, row, changes: dict) -> None:
    if "findings" in changes:
        row.findings = plain_findings(row.findings)


def raise_nonconformity(ctx, row, number: int) -> int:
    """Open a nonconformity for finding ``number`` (1 = first) of ``row``; returns its id."""
    findings = [dict(f) for f in row.findings or []]
    if not 1 <= number <= len(findings):
        raise RecordInvalid([f"path.finding: audit AUD-{row.id:06d} has {len(findings)} finding(s), not {number}"])
    finding = findings[number - 1]
    if finding.get("nonconformity_id"):
        raise Conflict(f"finding {number} already raised NC-{finding['nonconformity_id']:06d}")
    nc = ctx.create(
        "nonconformity",
        {
            "title": finding["title"],
            "description": finding.get("description"),
            "severity": "major" if finding["severity"] == "major" else "minor",
            "source": "audit",
            "audit_id": row.id,
            "finding": number,
            "clause": finding.get("clause"),
            "services": [finding["service"]] if finding.get("service") else [],
        },
        reason=f"raised by finding {number} of AUD-{row.id:06d}",
    )
    findings[number - 1] = {**finding, "nonconformity_id": nc.id}
    row.findings = findings
    ctx.notes.append(f"NC-{nc.id:06d} raised by finding {number}")
    return nc.id


def after_move(ctx) -> None:
    """Issuing the report raises a nonconformity for every major or minor finding without one."""
    if ctx.target != "reported":
        return
    from sms_metrics.register.kinds.writes import set_fields

    row = ctx.record
    before = [dict(f) for f in row.findings or []]
    for number, finding in enumerate(before, 1):
        if finding["severity"] in RAISES and not finding.get("nonconformity_id"):
            raise_nonconformity(ctx, row, number)
    if row.findings != before:
        after, row.findings = row.findings, before
        set_fields(ctx, KIND, row, "nonconformities raised by the report", findings=after)


def raise_for(records, who, record_id: int, number: int):
    def change(ctx, row) -> None:
        if row.status in LIFECYCLE.closed:
            raise Conflict(f"audit AUD-{row.id:06d} is {row.status}")
        raise_nonconformity(ctx, row, number)

    return write_record(records, KIND, who, record_id, change, reason=f"finding {number} raised a nonconformity")


def routes(router, records, visible) -> None:
    from fastapi import Depends

    @router.post(
        "/{record_id}/findings/{number}/nonconformity",
        response_model=records.read_model(KIND),
        summary="Raise a nonconformity from a finding (1 = first)",
    )
    def raise_(record_id: RecordId, number: int, who=Depends(visible)):
        return raise_for(records, who, record_id, number)


def cli(app, system_of) -> None:
    from sms_metrics.register.records.cli import cli_principal

    @app.command("raise-nc")
    def raise_cmd(
        ctx: typer.Context,
        record_id: int = typer.Argument(..., help="The audit"),
        number: int = typer.Argument(..., help="The finding (1 = first)"),
        actor: str | None = typer.Option(None, "--actor"),
    ) -> None:
        """Raise a nonconformity from an audit finding."""
        records = system_of(ctx.find_root().obj, None).records
        audit = raise_for(records, cli_principal(actor), record_id, number)
        typer.echo(f"NC-{audit.findings[number - 1].nonconformity_id:06d} raised by finding {number} of {audit.ref}")


KIND = RecordKind(
    name="audit",
    path="audits",
    prefix="AUD",
    title="audit",
    model=Audit,
    create=AuditCreate,
    lifecycle=LIFECYCLE,
    links={"services": LinkField(to="service", filter="service")},
    filters={"type": "type", "lead_auditor": "lead_auditor"},
    search=("title", "scope", "criteria", "conclusion", "lead_auditor"),
    table=("title", "type", "lead_auditor", "planned_start"),
    write_role="manager",
    verbs={"start": "in_progress", "report": "reported", "close": "closed", "cancel": "cancelled"},
    frozen=frozenset({"closed", "cancelled"}),
    example={
        "title": "Internal audit of incident and change management",
        "type": "internal",
        "criteria": "ISO/IEC 20000-1:2018 clauses 8.5.1 and 8.6.1",
        "lead_auditor": "erin",
        "services": ["checkout"],
        "planned_start": "2026-11-10",
        "planned_end": "2026-11-11",
        "findings": [{"title": "Two emergency changes without review", "severity": "observation"}],
    },
    before_create=before_create,
    on_update=on_update,
    after_move=after_move,
    routes=routes,
    cli=cli,
    description="Audits with their findings; major and minor findings raise nonconformities.",
)
