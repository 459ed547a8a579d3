"""Measuring a continuity test: the service's probe SLI read over the test window through the
availability engine (``sli.reader.read_step_states``: the SLA report's step states), its downtime and
recovery time computed by ``core.continuity`` and compared with the continuity plan's RTO. Prometheus is
read before the write transaction, so the register is not locked while it answers."""

from __future__ import annotations

import json
from datetime import datetime

import typer

from sms_metrics.catalogue.model import SLI
from sms_metrics.core.continuity import measure_recovery, rto_met, window_grid
from sms_metrics.core.periods import rfc3339
from sms_metrics.errors import Conflict, PrometheusError
from sms_metrics.register.kinds.continuity_plans import ContinuityPlan
from sms_metrics.register.kinds.continuity_tests import KIND, MEASURED, current_plan
from sms_metrics.register.kinds.writes import write_record
from sms_metrics.register.records.access import require, require_visible
from sms_metrics.register.records.api import RecordId
from sms_metrics.sli.reader import StepGrid, read_step_states

DEFAULT_STEP = 60.0


def probe_sli(catalogue, service: str) -> tuple[SLI, float]:
    """The service's probe SLI and step: its availability SLO when that is a probe SLI, else
    ``probe_success{service="<service>"}`` every minute."""
    svc = catalogue.find(service) if catalogue is not None else None
    slo = svc.availability_slo() if svc is not None else None
    if slo is not None and slo.sli.kind == "probe":
        return slo.sli, slo.step_seconds
    return SLI(probe=f'probe_success{{service="{service}"}}'), DEFAULT_STEP


def figures(system, service: str, start: datetime, end: datetime, rto_minutes: int | None) -> dict:
    """The measured fields of a test window (raises Conflict when there is nothing to measure)."""
    sli, step = probe_sli(system.catalogue, service)
    first, n = window_grid(start, end, step)
    try:
        data = read_step_states(system.prometheus, sli, StepGrid(first, n, step))
    except PrometheusError as exc:
        raise Conflict(f"the probes of {service} could not be read: {exc}") from None
    if not ((data.states == 0) | (data.states == 1)).any():
        raise Conflict(f"no probe data for {service} in the window ({sli.probe}): nothing to measure")
    rec = measure_recovery(data.states, first, step)
    met = rto_met(rec, None if rto_minutes is None else rto_minutes * 60.0, end)
    notes = [] if rec.first_failure_at else ["no failed probe step in the window"]
    if rec.first_failure_at and rec.recovered_at is None:
        notes.append("the service had not recovered by the end of the window")
    return {
        "downtime_seconds": rec.downtime_seconds,
        "unknown_seconds": rec.unknown_seconds,
        "first_failure_at": rec.first_failure_at,
        "recovered_at": rec.recovered_at,
        "recovery_seconds": rec.recovery_seconds,
        "rto_minutes": rto_minutes,
        "rto_met": met,
        "measurement": {
            "selector": sli.probe,
            "aggregate": sli.aggregate,
            "step_seconds": step,
            "steps_from": rfc3339(first),
            "steps": n,
            "outages": [{**o, "start": rfc3339(o["start"]), "end": rfc3339(o["end"])} for o in rec.outages],
            "notes": notes,
        },
    }


def measure(records, who, record_id: int):
    """Measure a test whose window is over, record the figures and complete it if it was not yet."""
    system = records.system
    require_visible(who, KIND, record_id)
    require(who, KIND.write_role, f"measure {KIND.path}")
    with records.reading() as s:
        row = records.load(s, KIND, record_id)
        if row.status in ("closed", "cancelled"):
            raise Conflict(f"{KIND.ref(row.id)} is {row.status}")
        plan = s.get(ContinuityPlan, row.plan_id) if row.plan_id else current_plan(s, row.service)
        service, start, end, source = row.service, row.window_start, row.window_end, row.status
        plan_id, rto = (plan.id, plan.rto_minutes) if plan else (None, None)
    if end > system.now():
        raise Conflict(f"the test window ends at {rfc3339(end)}: measure it once it is over")
    found = figures(system, service, start, end, rto)

    def change(ctx, row) -> None:
        if (row.window_start, row.window_end, row.status) != (start, end, source):
            raise Conflict(f"{KIND.ref(row.id)} changed while it was measured; try again")
        for f, v in found.items():
            setattr(row, f, v)
        row.measured_at, row.plan_id = ctx.now, plan_id
        if row.status in ("planned", "running"):
            row.status = "completed"

    reason = "measured from the probes" + ("" if plan_id else " (no continuity plan: no RTO to compare)")
    return write_record(records, KIND, who, record_id, change, reason=reason, event="measured")


def routes(router, records, visible) -> None:
    from fastapi import Depends

    @router.post("/{record_id}/measure", response_model=records.read_model(KIND), summary="Measure from the probes")
    def measure_(record_id: RecordId, who=Depends(visible)):
        return measure(records, who, record_id)


def cli(app, system_of) -> None:
    from sms_metrics.register.records.cli import cli_principal

    @app.command("measure")
    def measure_cmd(
        ctx: typer.Context,
        record_id: int = typer.Argument(..., help="The continuity test"),
        actor: str | None = typer.Option(None, "--actor"),
        fmt: str = typer.Option("table", "--format", "-f", help="table or json"),
    ) -> None:
        """Measure a test's downtime and recovery time from the probes, against the plan's RTO."""
        item = measure(system_of(ctx.find_root().obj, None).records, cli_principal(actor), record_id)
        if fmt == "json":
            typer.echo(item.model_dump_json(indent=2))
            return
        got = {f: getattr(item, f) for f in MEASURED}
        typer.echo(json.dumps(got, indent=2, default=str))
