"""Build the monthly availability/SLA report of one service or of the whole catalogue."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

import numpy as np

from sms_metrics.adapters.prometheus import PrometheusPort
from sms_metrics.catalogue.model import Catalogue, Service
from sms_metrics.core.availability import Figures, summarise_events, summarise_steps
from sms_metrics.core.calendar import maintenance_mask, outside_hours_mask, parse_service_hours, step_starts
from sms_metrics.core.periods import Period, parse_period, rfc3339
from sms_metrics.errors import PeriodError
from sms_metrics.sli.reader import read_event_counts, read_step_states

log = logging.getLogger(__name__)


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

    @property
    def has_data(self) -> bool:
        return self.figures is not None and self.figures.availability_percent is not None

    @property
    def met(self) -> bool | None:
        if not self.has_data or self.target_percent is None:
            return None
        return self.figures.availability_percent >= self.target_percent - 1e-9


def exclusion_mask(service: Service, start: datetime, n_steps: int, step: float,
                   extra_windows: list[tuple[datetime, datetime]] = ()) -> np.ndarray:
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
            f"{(now - p.start).total_seconds() / 86400:.1f} days ago: older data may be gone")
    if p.end > now:
        report.warnings.append("the period has not ended yet: time after now counts as unknown")
    if f is None or f.availability_percent is None:
        report.warnings.append("no data: Prometheus returned no samples for this SLI in the period")
    elif f.data_coverage_percent is not None and f.data_coverage_percent < 99.9:
        report.warnings.append(f"data covers only {f.data_coverage_percent:.2f}% of the counted time")


def measure_service(prom: PrometheusPort, service: Service, period_text: str, *, now: datetime | None = None,
                    retention: float | None = None,
                    extra_windows: list[tuple[datetime, datetime]] = ()) -> ServiceReport:
    """Measure ``service``'s availability SLO over the period named by ``period_text``."""
    now = now or datetime.now(timezone.utc)
    slo = service.availability_slo()
    tz = service.sla.timezone if service.sla else "UTC"
    step = slo.step_seconds if slo else 60.0
    period = parse_period(period_text, tz, now=now, step_seconds=step)
    target = service.sla.availability_target if service.sla else (slo.objective if slo else None)
    report = ServiceReport(service.name, period, target, slo.name if slo else None,
                           slo.sli.kind if slo else None, step)
    if slo is None:
        report.warnings.append("the service has no SLO to measure")
        return report
    n_steps, rest = divmod(period.seconds, step)
    if rest:
        raise PeriodError(f"period {period.label} is not a whole number of {step:g}s steps")
    n_steps = int(n_steps)
    excluded = exclusion_mask(service, period.start, n_steps, step, extra_windows)
    if slo.sli.kind in ("probe", "threshold"):
        data = read_step_states(prom, slo.sli, start=period.start, n_steps=n_steps, step=step, skip=excluded)
        report.queries = data.queries
        report.figures = summarise_steps(data.states, excluded, start=period.start, step=step,
                                         target_percent=target, tz_name=tz)
    else:
        good, total, block = read_event_counts(prom, slo.sli, start=period.start, n_steps=n_steps, step=step)
        per_block = int(round(block / step))
        padded = np.ones(len(total) * per_block, dtype=bool)
        padded[:n_steps] = excluded
        lengths = np.full(len(total), block)
        lengths[-1] = block if n_steps % per_block == 0 else (n_steps % per_block) * step
        frac = padded.reshape(-1, per_block).sum(axis=1) * step / lengths
        report.queries = 2
        report.figures = summarise_events(good, total, frac, start=period.start, block_seconds=lengths,
                                          target_percent=target, tz_name=tz)
    _warnings(report, retention, now)
    return report


def measure_catalogue(prom: PrometheusPort, catalogue: Catalogue, period_text: str, *,
                      service: str | None = None, now: datetime | None = None, concurrency: int = 4,
                      on_done: Callable[[ServiceReport], None] | None = None) -> list[ServiceReport]:
    """Reports for one service (``service``) or every service, measured ``concurrency`` at a time."""
    services = [catalogue.service(service)] if service else list(catalogue.services)
    prom.major_version()
    retention = prom.retention_seconds()
    now = now or datetime.now(timezone.utc)

    def one(svc: Service) -> ServiceReport:
        log.info("measuring %s over %s", svc.name, period_text)
        rep = measure_service(prom, svc, period_text, now=now, retention=retention)
        if on_done:
            on_done(rep)
        return rep

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        return list(pool.map(one, services))


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
        "outages": [{"start": rfc3339(o.start), "end": rfc3339(o.end), "duration_seconds": o.duration_seconds}
                    for o in (f.outages if f else [])],
        "mtbf_seconds": _r(f and f.mtbf_seconds),
        "mttr_seconds": _r(f and f.mttr_seconds),
        "burn_rate_1h": _r(f and f.burn_rate_1h),
        "burn_rate_period": _r(f and f.burn_rate_period),
        "step_seconds": rep.step_seconds,
        "daily": [{"day": d.day, "availability_percent": _r(d.availability_percent),
                   "data_coverage_percent": _r(d.data_coverage_percent)} for d in (f.daily if f else [])],
        "warnings": rep.warnings,
    }
