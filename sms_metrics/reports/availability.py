"""Build the monthly availability/SLA report of one service or of the whole catalogue."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from sms_metrics.adapters.prometheus import PrometheusPort
from sms_metrics.catalogue.model import Catalogue, Service
from sms_metrics.core.availability import Figures, summarise_events, summarise_steps
from sms_metrics.core.calendar import maintenance_mask, outside_hours_mask, parse_service_hours, step_starts
from sms_metrics.core.periods import Period, parse_period, rfc3339
from sms_metrics.errors import PeriodError, PrometheusError
from sms_metrics.sli.batch import read_step_batch
from sms_metrics.sli.queries import step_queries
from sms_metrics.sli.reader import StepData, StepGrid, read_event_counts, read_step_states
from sms_metrics.sli.recorded import read_recorded

log = logging.getLogger(__name__)
BATCH = 250


@dataclass
class ServiceReport:
    service: str
    period: Period
    target_percent: float | None
    slo: str | None = None
    sli_kind: str | None = None
    step_seconds: float = 60.0
    figures: Figures | None = None
    warnings: list[str] = field(default_factory=list)
    queries: int = 0
    rolling: dict | None = None  # figures of the SLO's rolling window from the recording rules

    @property
    def has_data(self) -> bool:
        return self.figures is not None and self.figures.availability_percent is not None

    @property
    def met(self) -> bool | None:
        if not self.has_data or self.target_percent is None:
            return None
        return self.figures.availability_percent >= self.target_percent - 1e-9


def exclusion_mask(
    service: Service, start: datetime, n_steps: int, step: float, extra_windows: list[tuple[datetime, datetime]] = ()
) -> np.ndarray:
    """True for steps outside service hours or inside maintenance (catalogue + ``extra_windows``)."""
    starts = step_starts(start, n_steps, step)
    sla = service.sla
    mask = np.zeros(n_steps, dtype=bool)
    if sla is not None:
        mask |= outside_hours_mask(starts, parse_service_hours(sla.service_hours), sla.timezone)
        windows = [(w.start, w.end) for w in sla.maintenance]
    else:
        windows = []
    return mask | maintenance_mask(starts, [*windows, *extra_windows])


def _warnings(report: ServiceReport, retention: float | None, now: datetime) -> None:
    p, f = report.period, report.figures
    if retention is not None and (now - p.start).total_seconds() > retention:
        report.warnings.append(
            f"Prometheus retention is {retention / 86400:g} days but the period starts "
            f"{(now - p.start).total_seconds() / 86400:.1f} days ago: older data may be gone"
        )
    if p.end > now:
        report.warnings.append("the period has not ended yet: time after now counts as unknown")
    if f is None or f.availability_percent is None:
        report.warnings.append("no data: Prometheus returned no samples for this SLI in the period")
    elif f.data_coverage_percent is not None and f.data_coverage_percent < 99.9:
        report.warnings.append(f"data covers only {f.data_coverage_percent:.2f}% of the counted time")


@dataclass
class Plan:
    """What measuring one service needs, worked out before any query."""

    service: Service
    report: ServiceReport
    grid: StepGrid | None = None
    excluded: np.ndarray | None = None

    @property
    def step_sli(self) -> bool:
        slo = self.service.availability_slo()
        return self.grid is not None and slo.sli.kind in ("probe", "threshold")


def plan_service(
    service: Service, period_text: str, *, now: datetime, extra_windows: list[tuple[datetime, datetime]] = ()
) -> Plan:
    """Period, target, step grid and exclusions of ``service``'s availability SLO."""
    slo = service.availability_slo()
    tz = service.sla.timezone if service.sla else "UTC"
    step = slo.step_seconds if slo else 60.0
    period = parse_period(period_text, tz, now=now, step_seconds=step)
    target = service.sla.availability_target if service.sla else (slo.objective if slo else None)
    report = ServiceReport(service.name, period, target, slo.name if slo else None, slo.sli.kind if slo else None, step)
    if slo is None:
        report.warnings.append("the service has no SLO to measure")
        return Plan(service, report)
    n_steps, rest = divmod(period.seconds, step)
    if rest:
        raise PeriodError(f"period {period.label} is not a whole number of {step:g}s steps")
    grid = StepGrid(period.start, int(n_steps), step)
    return Plan(service, report, grid, exclusion_mask(service, period.start, grid.n_steps, step, extra_windows))


def _measure_events(prom: PrometheusPort, plan: Plan, sli) -> Figures:
    grid, excluded, rep = plan.grid, plan.excluded, plan.report
    good, total, block = read_event_counts(prom, sli, start=grid.start, n_steps=grid.n_steps, step=grid.step)
    per_block = grid.per_hour
    padded = np.ones(len(total) * per_block, dtype=bool)
    padded[: grid.n_steps] = excluded
    lengths = np.full(len(total), block)
    if grid.n_steps % per_block:
        lengths[-1] = (grid.n_steps % per_block) * grid.step
    frac = padded.reshape(-1, per_block).sum(axis=1) * grid.step / lengths
    return summarise_events(
        good,
        total,
        frac,
        start=grid.start,
        block_seconds=lengths,
        target_percent=rep.target_percent,
        tz_name=_tz(plan.service),
    )


def _tz(service: Service) -> str:
    return service.sla.timezone if service.sla else "UTC"


def measure_planned(
    prom: PrometheusPort, plan: Plan, *, now: datetime, retention: float | None, states: StepData | None = None
) -> ServiceReport:
    """Run the queries of ``plan`` and fill in its report."""
    rep = plan.report
    if plan.grid is None:
        return rep
    sli = plan.service.availability_slo().sli
    if plan.step_sli:
        data = states or read_step_states(prom, sli, plan.grid, skip=plan.excluded)
        rep.queries = data.queries
        rep.figures = summarise_steps(
            data.states,
            plan.excluded,
            start=plan.grid.start,
            step=plan.grid.step,
            target_percent=rep.target_percent,
            tz_name=_tz(plan.service),
        )
    else:
        rep.queries = 2
        rep.figures = _measure_events(prom, plan, sli)
        rep.warnings += prom.server().warnings_for(sli.kind)
    _warnings(rep, retention, now)
    return rep


def measure_service(
    prom: PrometheusPort,
    service: Service,
    period_text: str,
    *,
    now: datetime | None = None,
    retention: float | None = None,
    extra_windows: list[tuple[datetime, datetime]] = (),
) -> ServiceReport:
    """Measure ``service``'s availability SLO over the period named by ``period_text``."""
    now = now or datetime.now(UTC)
    plan = plan_service(service, period_text, now=now, extra_windows=extra_windows)
    return measure_planned(prom, plan, now=now, retention=retention)


def _batched_states(
    prom: PrometheusPort, plans: list[Plan], pool: ThreadPoolExecutor, workers: int
) -> dict[int, StepData]:
    """Step states of step-SLI plans read together, ``BATCH`` services of one metric and grid at once."""
    groups: dict[tuple, list[int]] = {}
    for i, p in enumerate(plans):
        if p.step_sli:
            q = step_queries(p.service.availability_slo().sli)
            key = (p.grid, q.fn, q.outer, q.op, q.limit, q.expression, q.selector.split("{")[0].strip())
            groups.setdefault(key, []).append(i)
    jobs = []
    for members in groups.values():
        size = min(BATCH, max(1, -(-len(members) // workers)))
        for k in range(0, len(members), size) if len(members) > 1 else ():
            chunk = members[k : k + size]
            slis = [plans[i].service.availability_slo().sli for i in chunk]
            skips = [plans[i].excluded for i in chunk]
            jobs.append((chunk, pool.submit(read_step_batch, prom, slis, plans[chunk[0]].grid, skips)))
    out: dict[int, StepData] = {}
    for chunk, fut in jobs:
        result = fut.result()
        if result is not None:
            out.update(zip(chunk, result))
    return out


def measure_catalogue(
    prom: PrometheusPort,
    catalogue: Catalogue,
    period_text: str,
    *,
    service: str | None = None,
    now: datetime | None = None,
    concurrency: int = 4,
    on_done: Callable[[ServiceReport], None] | None = None,
    extra_windows: Mapping[str, list[tuple[datetime, datetime]]] | None = None,
) -> list[ServiceReport]:
    """Reports for one service (``service``) or every service, ``concurrency`` queries at a time;
    ``extra_windows`` adds maintenance windows per service (approved change windows)."""
    services = [catalogue.service(service)] if service else list(catalogue.services)
    prom.server()  # detected (and logged) once, before the threads start
    retention = prom.retention_seconds()
    now = now or datetime.now(UTC)
    extra = extra_windows or {}
    plans = [plan_service(s, period_text, now=now, extra_windows=extra.get(s.name, ())) for s in services]

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        batched = _batched_states(prom, plans, pool, max(1, concurrency))

        def one(i: int) -> ServiceReport:
            log.debug("measuring %s over %s", plans[i].service.name, period_text)
            rep = measure_planned(prom, plans[i], now=now, retention=retention, states=batched.get(i))
            if on_done:
                on_done(rep)
            return rep

        reports = list(pool.map(one, range(len(plans))))
    _attach_recorded(prom, plans, now)
    return reports


def _attach_recorded(prom: PrometheusPort, plans: list[Plan], now: datetime) -> None:
    """Add the recording rules' rolling figures (as of the period's end, or now) where they exist."""
    by_time: dict[datetime, list[Plan]] = {}
    for p in plans:
        if p.grid is not None:
            end = p.report.period.end
            recent = (now - end).total_seconds() < p.grid.step  # a rolling window ending now
            by_time.setdefault(now if recent else min(now, end), []).append(p)
    for at, group in by_time.items():
        ids = {p.service.sloth_id(p.service.availability_slo()): p for p in group}
        try:
            found = read_recorded(prom, list(ids), at)
        except PrometheusError as exc:
            log.warning("rolling figures from recording rules unavailable: %s", exc)
            return
        for sid, values in found.items():
            slo = ids[sid].service.availability_slo()
            ids[sid].report.rolling = {
                "source": "recording rules",
                "window": slo.window,
                "at": rfc3339(at),
                **{k: _r(v) for k, v in values.items()},
            }


def _r(v: float | None, digits: int = 6) -> float | None:
    return None if v is None else round(float(v), digits)


def report_dict(rep: ServiceReport) -> dict:
    """The JSON object of DESIGN.md's ``report availability`` contract (plus extra fields)."""
    f = rep.figures
    return {
        "service": rep.service,
        "slo": rep.slo,
        "sli": rep.sli_kind,
        "period": {"start": rfc3339(rep.period.start), "end": rfc3339(rep.period.end), "label": rep.period.label},
        "target_percent": rep.target_percent,
        "availability_percent": _r(f and f.availability_percent),
        "met": rep.met,
        "up_seconds": _r(f and f.up_seconds),
        "downtime_seconds": _r(f and f.downtime_seconds),
        "unknown_seconds": _r(f.unknown_seconds) if f else None,
        "excluded_seconds": _r(f.excluded_seconds) if f else None,
        "error_budget_seconds": _r(f.error_budget_seconds) if f else None,
        "error_budget_remaining_percent": _r(f and f.error_budget_remaining_percent),
        "data_coverage_percent": _r(f and f.data_coverage_percent),
        "outages": [
            {"start": rfc3339(o.start), "end": rfc3339(o.end), "duration_seconds": o.duration_seconds}
            for o in (f.outages if f else [])
        ],
        "mtbf_seconds": _r(f and f.mtbf_seconds),
        "mttr_seconds": _r(f and f.mttr_seconds),
        "burn_rate_1h": _r(f and f.burn_rate_1h),
        "burn_rate_period": _r(f and f.burn_rate_period),
        "step_seconds": rep.step_seconds,
        "daily": [
            {
                "day": d.day,
                "availability_percent": _r(d.availability_percent),
                "data_coverage_percent": _r(d.data_coverage_percent),
            }
            for d in (f.daily if f else [])
        ],
        "rolling": rep.rolling,
        "warnings": rep.warnings,
    }
