"""What the SLA calendar excluded from a period: time outside the service hours and each maintenance
window (the catalogue's and any extra ones, e.g. approved changes), and for how long."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from sms_metrics.catalogue.model import Service
from sms_metrics.core.calendar import maintenance_mask, outside_hours_mask, parse_service_hours, step_starts


@dataclass(frozen=True)
class Window:
    """A maintenance window ``[start, end)``."""

    start: datetime
    end: datetime
    description: str | None = None
    source: str = "catalogue"  # or e.g. "change CHG-000042"


@dataclass
class CalendarFigures:
    timezone: str
    service_hours: str
    outside_hours_seconds: float
    maintenance_seconds: float  # inside service hours, so the two add up to the excluded time
    windows: list[tuple[Window, float]] = field(default_factory=list)  # (window, seconds it excluded)


@dataclass
class Calendar:
    """The exclusion masks of one step grid."""

    service: Service
    step: float
    outside: np.ndarray
    windows: list[tuple[Window, np.ndarray]]

    @property
    def excluded(self) -> np.ndarray:
        out = self.outside.copy()
        for _, mask in self.windows:
            out |= mask
        return out

    def figures(self) -> CalendarFigures:
        sla = self.service.sla
        maint = np.zeros_like(self.outside)
        per_window = []
        for w, mask in self.windows:
            maint |= mask
            if w.end > w.start and mask.any():
                per_window.append((w, float((mask & ~self.outside).sum()) * self.step))
        return CalendarFigures(
            timezone=sla.timezone if sla else "UTC",
            service_hours=sla.service_hours if sla else "24x7",
            outside_hours_seconds=float(self.outside.sum()) * self.step,
            maintenance_seconds=float((maint & ~self.outside).sum()) * self.step,
            windows=per_window,
        )


def calendar_of(service: Service, start: datetime, n_steps: int, step: float, extra: list[Window]) -> Calendar:
    """Masks of the steps outside service hours and of each maintenance window that touches the grid."""
    starts = step_starts(start, n_steps, step)
    sla = service.sla
    if sla is None:
        outside, windows = np.zeros(n_steps, dtype=bool), list(extra)
    else:
        outside = outside_hours_mask(starts, parse_service_hours(sla.service_hours), sla.timezone)
        windows = [Window(w.start, w.end, w.description) for w in sla.maintenance] + list(extra)
    masks = [(w, maintenance_mask(starts, [(w.start, w.end)])) for w in windows]
    return Calendar(service, step, outside, [(w, m) for w, m in masks if m.any()])
