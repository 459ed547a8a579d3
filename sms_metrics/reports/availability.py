"""Build the monthly availability/SLA report of one service or of the whole catalogue.

Every SLO of a service is measured; the SLA's own figures are those of the SLO named
``availability`` (else the first), against the SLA's target. Two optional providers let the register
add what it knows (``measure_catalogue``):

- ``extra_windows(service, start, end) -> [Window]`` (or a mapping ``{service: [(start, end), ...]}``):
  maintenance windows beyond the catalogue's (approved change windows), excluded exactly like its own;
- ``incidents(service, start, end) -> [dict]``: incidents of the service, each with ``start`` and
  ``end`` (None while open) datetimes and any fields to show; each outage lists those overlapping it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from sms_metrics.adapters.prometheus import PrometheusPort
from sms_metrics.catalogue.model import SLO, Catalogue, Service
from sms_metrics.core.availability import Figures, summarise_events, summarise_steps
from sms_metrics.core.periods import Period, parse_period
from sms_metrics.errors import PeriodError
from sms_metrics.reports.calendar_figures import CalendarFigures, Window, calendar_of
from sms_metrics.reports.rolling import attach_recorded
from sms_metrics.sli.batch import read_step_batch
from sms_metrics.sli.queries import step_queries
from sms_metrics.sli.reader import StepData, StepGrid, read_event_counts, read_step_states

log = logging.getLogger(__name__)
BATCH = 250
# a provider (service, start, end) -> windows, or a mapping service -> [(start, end) or Window]
WindowsProvider = Callable[[str, datetime, datetime], list] | Mapping[str, list]
IncidentsProvider = Callable[[str, datetime, datetime], list[dict]]


@dataclass
class SloFigures:
    """One SLO's figures over the period, against its own objective."""

    slo: SLO
    target_percent: float
    figures: Figures | None = None
    queries: int = 0

    @property
    def met(self) -> bool | None:
        f = self.figures
        if f is None or f.availability_percent is None:
            return None
        return f.availability_percent >= self.target_percent - 1e-9


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
    timezone: str = "UTC"
    partial: bool = False  # the period has not ended yet
    calendar: CalendarFigures | None = None
    slos: list[SloFigures] = field(default_factory=list)
    incidents: list[dict] | None = None  # from the incidents provider, when there is one
    trend: list[dict] | None = None

    @property
    def has_data(self) -> bool:
        return self.figures is not None and self.figures.availability_percent is not None

    @property
    def met(self) -> bool | None:
        if not self.has_data or self.target_percent is None:
            return None
        return self.figures.availability_percent >= self.target_percent - 1e-9


@dataclass
class Plan:
    """What measuring one SLO of a service needs, worked out before any query."""

    service: Service
    slo: SLO
    period: Period
    grid: StepGrid
    excluded: np.ndarray
    result: SloFigures

    @property
    def step_sli(self) -> bool:
        return self.slo.sli.kind in ("probe", "threshold")


def _tz(service: Service) -> str:
    return service.sla.timezone if service.sla else "UTC"


def plan_slo(
    service: Service, slo: SLO, period_text: str, *, now: datetime, windows: list[Window], calendars: dict
) -> Plan:
    """The step grid and exclusions of one SLO (``calendars`` caches the masks per grid)."""
    period = parse_period(period_text, _tz(service), now=now, step_seconds=slo.step_seconds)
    n_steps, rest = divmod(period.seconds, slo.step_seconds)
    if rest:
        raise PeriodError(f"period {period.label} is not a whole number of {slo.step_seconds:g}s steps")
    grid = StepGrid(period.start, int(n_steps), slo.step_seconds)
    if grid not in calendars:
        calendars[grid] = calendar_of(service, period.start, grid.n_steps, grid.step, windows)
    return Plan(service, slo, period, grid, calendars[grid].excluded, SloFigures(slo, slo.objective))


def plan_service(
    service: Service, period_text: str, *, now: datetime, windows: list[Window] = ()
) -> tuple[ServiceReport, list[Plan]]:
    """The service's report shell and one plan per SLO (the SLA's SLO first)."""
    main = service.availability_slo()
    tz = _tz(service)
    step = main.step_seconds if main else 60.0
    period = parse_period(period_text, tz, now=now, step_seconds=step)
    target = service.sla.availability_target if service.sla else (main.objective if main else None)
    rep = ServiceReport(service.name, period, target, main and main.name, main and main.sli.kind, step, timezone=tz)
    rep.partial = period.end > now
    if main is None:
        rep.warnings.append("the service has no SLO to measure")
        return rep, []
    slos = [main, *(s for s in service.slos if s is not main)]
    calendars: dict = {}
    plans = [plan_slo(service, s, period_text, now=now, windows=list(windows), calendars=calendars) for s in slos]
    plans[0].result.target_percent = target
    rep.calendar = calendars[plans[0].grid].figures()
    return rep, plans


def _measure_events(prom: PrometheusPort, plan: Plan) -> Figures:
    grid, excluded = plan.grid, plan.excluded
    good, total, block = read_event_counts(prom, plan.slo.sli, start=grid.start, n_steps=grid.n_steps, step=grid.step)
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
        target_percent=plan.result.target_percent,
        tz_name=_tz(plan.service),
    )


def measure_plan(prom: PrometheusPort, plan: Plan, states: StepData | None = None) -> SloFigures:
    """Run the queries of ``plan`` and fill in its figures."""
    res = plan.result
    if plan.step_sli:
        data = states or read_step_states(prom, plan.slo.sli, plan.grid, skip=plan.excluded)
        res.queries = int(data.queries)
        res.figures = summarise_steps(
            data.states,
            plan.excluded,
            start=plan.grid.start,
            step=plan.grid.step,
            target_percent=res.target_percent,
            tz_name=_tz(plan.service),
        )
    else:
        res.queries = 2
        res.figures = _measure_events(prom, plan)
    return res


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


def finish(rep: ServiceReport, plans: list[Plan], retention: float | None, now: datetime) -> ServiceReport:
    """The SLA's figures from its SLO, every SLO's beside them, and the warnings."""
    if plans:
        rep.slos = [p.result for p in plans]
        rep.figures = plans[0].result.figures
        rep.queries = sum(p.result.queries for p in plans)
    _warnings(rep, retention, now)
    return rep


def _batched_states(
    prom: PrometheusPort, plans: list[Plan], pool: ThreadPoolExecutor, workers: int
) -> dict[int, StepData]:
    """Step states of step-SLI plans read together, ``BATCH`` SLOs of one metric and grid at once."""
    groups: dict[tuple, list[int]] = {}
    for i, p in enumerate(plans):
        if p.step_sli:
            q = step_queries(p.slo.sli)
            key = (p.grid, q.fn, q.outer, q.op, q.limit, q.expression, q.selector.split("{")[0].strip())
            groups.setdefault(key, []).append(i)
    jobs = []
    for members in groups.values():
        size = min(BATCH, max(1, -(-len(members) // workers)))
        for k in range(0, len(members), size) if len(members) > 1 else ():
            chunk = members[k : k + size]
            slis = [plans[i].slo.sli for i in chunk]
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
    extra_windows: WindowsProvider | None = None,
    incidents: IncidentsProvider | None = None,
    trend_months: int = 0,
) -> list[ServiceReport]:
    """Reports for one service (``service``) or every service, ``concurrency`` queries at a time;
    ``extra_windows`` adds maintenance windows per service (approved change windows)."""
    services = [catalogue.service(service)] if service else list(catalogue.services)
    server = prom.server()  # detected (and logged) once, before the threads start
    retention = prom.retention_seconds()
    now = now or datetime.now(UTC)
    shells = [_shell(s, period_text, now, extra_windows) for s in services]
    plans = [p for _, ps in shells for p in ps]
    index = {id(p): i for i, p in enumerate(plans)}

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        batched = _batched_states(prom, plans, pool, max(1, concurrency))

        def one(shell: tuple[ServiceReport, list[Plan]]) -> ServiceReport:
            rep, ps = shell
            log.debug("measuring %s over %s", rep.service, period_text)
            for p in ps:
                measure_plan(prom, p, batched.get(index[id(p)]))
            finish(rep, ps, retention, now)
            for note in {w for p in ps for w in server.warnings_for(p.slo.sli.kind)}:
                rep.warnings.append(note)
            if incidents is not None:
                rep.incidents = incidents(rep.service, rep.period.start, rep.period.end)
            if on_done:
                on_done(rep)
            return rep

        reports = list(pool.map(one, shells))
    attach_recorded(prom, [(rep, ps[0]) for rep, ps in shells if ps], now)
    if trend_months:
        from sms_metrics.reports.trend import attach_trends

        attach_trends(prom, services, reports, trend_months, now=now, extra_windows=extra_windows)
    return reports


def windows_of(extra: WindowsProvider | None, service: str, start: datetime, end: datetime) -> list[Window]:
    """The extra maintenance windows of ``service`` in ``[start, end)``, from a provider or a mapping."""
    if extra is None:
        return []
    found = extra.get(service, []) if isinstance(extra, Mapping) else extra(service, start, end)
    return [
        w if isinstance(w, Window) else Window(*w) if len(w) == 4 else Window(w[0], w[1], None, "approved change")
        for w in found
    ]


def _shell(service: Service, period_text: str, now: datetime, extra_windows: WindowsProvider | None):
    probe = parse_period(period_text, _tz(service), now=now)
    windows = windows_of(extra_windows, service.name, probe.start, probe.end)
    return plan_service(service, period_text, now=now, windows=windows)


def measure_service(
    prom: PrometheusPort,
    service: Service,
    period_text: str,
    *,
    now: datetime | None = None,
    extra_windows: list | None = None,
) -> ServiceReport:
    """One service measured over ``period_text`` (every SLO of it), as ``measure_catalogue`` measures it;
    ``extra_windows``: maintenance windows to exclude besides the catalogue's."""
    catalogue = Catalogue(apiVersion="sms-metrics/v1", services=[service])
    [report] = measure_catalogue(
        prom,
        catalogue,
        period_text,
        service=service.name,
        now=now,
        concurrency=1,
        extra_windows={service.name: list(extra_windows or [])},
    )
    return report
