"""Saving availability reports as service-report records: ``report availability --save``, the monthly job
and ``POST /api/v1/service-reports/measure`` measure with the report code, then keep one record per service
and period — a new one, or the existing one with its figures replaced as a new version. The rendered files
(JSON, Markdown, HTML) are stored in the database with the record and served by
``GET /api/v1/service-reports/{id}/files/{json|md|html}``."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import typer
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from sms_metrics.core.periods import Period, rfc3339
from sms_metrics.errors import Conflict, InputError, PrometheusError, RecordInvalid
from sms_metrics.register.kinds.service_reports import FILES, KIND, ServiceReport, ServiceReportCreate
from sms_metrics.register.kinds.writes import write_record
from sms_metrics.register.records.access import require, require_visible
from sms_metrics.register.records.api import RecordId

log = logging.getLogger(__name__)
TEMPLATE_KEYS = ("slo", "sli", "mtbf_seconds", "mttr_seconds", "daily", "rolling")


def render_files(figures: dict, label: str, span: Period) -> dict[str, str]:
    """The report rendered as the ``report availability`` command renders it."""
    from sms_metrics.reports.render import render

    period = {"start": rfc3339(span.start), "end": rfc3339(span.end), "label": label}
    full = {
        **dict.fromkeys(TEMPLATE_KEYS),
        "daily": [],
        **figures,
        "period": figures.get("period") or period,
        "timezone": figures.get("timezone") or "UTC",  # figures imported from elsewhere may not name it
    }
    return {f"rendered_{fmt}": render([full], fmt, single=True) for fmt in FILES}


@dataclass
class Saved:
    ref: str
    version: int
    created: bool


def save_report(records, who, report: dict, *, source: str) -> Saved:
    """Keep ``report`` (one service's ``report availability`` JSON) as the record of its service and period."""
    require(who, KIND.write_role, f"save {KIND.path}")
    body = {"service": report["service"], "period": report["period"]["label"], "figures": report, "source": source}
    try:
        valid = ServiceReportCreate.model_validate(body)
    except ValueError as exc:
        raise RecordInvalid([str(exc)]) from None
    with records.reading() as s:
        found = s.scalar(
            select(ServiceReport.id).where(ServiceReport.service == valid.service, ServiceReport.period == valid.period)
        )
    if found is None:
        try:
            rec = records.create(KIND, who, valid)
            return Saved(rec.ref, 1, True)
        except (IntegrityError, Conflict):  # saved by someone else meanwhile: a new version below
            with records.reading() as s:
                found = s.scalar(
                    select(ServiceReport.id).where(
                        ServiceReport.service == valid.service, ServiceReport.period == valid.period
                    )
                )
    if found is None:
        raise Conflict(f"the report of {valid.service} for {valid.period} could not be saved; try again")
    return _new_version(records, who, found, valid)


def _new_version(records, who, record_id: int, valid: ServiceReportCreate) -> Saved:
    from sms_metrics.register.kinds.service_reports import derived

    figures = valid.figures.model_dump(mode="json")
    values = derived(records.system.catalogue, {"service": valid.service, "period": valid.period}, figures)

    def change(ctx, row) -> None:
        for f, v in values.items():
            setattr(row, f, v)
        row.figures, row.source, row.measured_at = figures, valid.source, ctx.now
        row.version += 1
        if row.status != "draft":
            row.status = "draft"  # figures that changed are reviewed again

    rec = write_record(records, KIND, who, record_id, change, reason=f"measured again ({valid.source})")
    return Saved(rec.ref, rec.version, False)


def measure_reports(system, period: str, service: str | None = None, services: list[str] | None = None) -> list[dict]:
    """``report availability`` of one service, of ``services`` or of the whole catalogue, with approved
    change windows excluded."""
    from sms_metrics.core.periods import parse_period
    from sms_metrics.register.measures import change_windows, overlapping_incidents
    from sms_metrics.reports.availability import measure_catalogue
    from sms_metrics.reports.sla_document import report_dict

    catalogue = system.catalogue
    if catalogue is None:
        raise RecordInvalid(["catalogue: the service has no catalogue (serve --catalogue or SMS_CATALOGUE)"])
    if service and catalogue.find(service) is None:
        raise RecordInvalid([f"body.service: {service!r} is not in the catalogue"])
    try:
        parse_period(period, "UTC", now=system.now())
    except InputError as exc:
        raise RecordInvalid([f"body.period: {exc}"]) from None
    if services is not None:
        catalogue = catalogue.model_copy(update={"services": [x for x in catalogue.services if x.name in services]})
    reports = measure_catalogue(
        system.prometheus,
        catalogue,
        period,
        service=service,
        now=system.now(),
        concurrency=system.settings.prometheus_concurrency,
        extra_windows=change_windows(system),
        incidents=overlapping_incidents(system),
    )
    return [report_dict(r) for r in reports]


class MeasureRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: str = Field(max_length=30, description="A month (2026-10) or a date range")
    service: str | None = Field(None, max_length=200, description="Default: every catalogue service")


def routes(router, records, visible) -> None:
    from fastapi import Depends, Path, Response

    @router.post("/measure", summary="Measure a period's availability and save it (one report per service)")
    def measure_(body: MeasureRequest, who=Depends(visible)) -> list[dict]:
        require(who, KIND.write_role, f"save {KIND.path}")
        try:
            reports = measure_reports(records.system, body.period, body.service)
        except PrometheusError as exc:
            raise RecordInvalid([f"prometheus: {exc}"]) from None
        return [save_report(records, who, r, source="api").__dict__ for r in reports]

    @router.get(
        "/{record_id}/files/{fmt}", summary="A rendered file of the report (json, md or html)", response_model=None
    )
    def file_(record_id: RecordId, fmt: str = Path(pattern="^(json|md|html)$"), who=Depends(visible)) -> Response:
        return Response(report_file(records, who, record_id, fmt), media_type=f"{FILES[fmt]}; charset=utf-8")


def report_file(records, who, record_id: int, fmt: str) -> str:
    require_visible(who, KIND, record_id)
    with records.reading() as s:
        return getattr(records.load(s, KIND, record_id), f"rendered_{fmt}")


def cli(app, system_of) -> None:
    from sms_metrics.register.records.cli import cli_principal

    @app.command("file")
    def file_cmd(
        ctx: typer.Context,
        record_id: int = typer.Argument(..., help="The service report"),
        fmt: str = typer.Option("html", "--format", "-f", help="json, md or html"),
        out: Path | None = typer.Option(None, "--out", "-o", help="Write here instead of stdout"),
    ) -> None:
        """A report's stored file, as rendered when it was measured."""
        if fmt not in FILES:
            raise typer.BadParameter(f"--format {fmt!r}: use {', '.join(FILES)}")
        text = report_file(system_of(ctx.find_root().obj, None).records, cli_principal(None), record_id, fmt)
        if out:
            out.write_text(text)
        else:
            typer.echo(text, nl=False)
