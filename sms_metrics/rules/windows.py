"""Multiwindow multi-burn-rate alert windows (Google SRE workbook), in Sloth's AlertWindows format.

For a 30-day SLO: page when 2% of the budget burns in 1h (14.4x, checked over 1h and 5m) or 5% in
6h (6x, 6h and 30m); ticket when 10% burns in 1d (3x, 1d and 2h) or in 3d (1x, 3d and 6h). For
other periods the windows scale with the period and the burn factors stay.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from sms_metrics.catalogue.alerting import AlertWindowsSpec
from sms_metrics.core.durations import format_duration, parse_duration
from sms_metrics.errors import InputError

THIRTY_DAYS = 30 * 86400.0
# (severity, name, error budget percent, short window, long window) for a 30-day period
BASE = (
    ("page", "quick", 2.0, 300.0, 3600.0),
    ("page", "slow", 5.0, 1800.0, 21600.0),
    ("ticket", "quick", 10.0, 7200.0, 86400.0),
    ("ticket", "slow", 10.0, 21600.0, 259200.0),
)


@dataclass(frozen=True)
class BurnWindow:
    severity: str  # page | ticket
    speed: str  # quick | slow
    budget_percent: float  # share of the period's budget that burns within ``long``
    short: float  # seconds
    long: float  # seconds
    period: float  # the SLO period in seconds

    @property
    def factor(self) -> float:
        """The burn rate that spends ``budget_percent`` of the budget within ``long``."""
        return self.budget_percent / 100 * self.period / self.long


def default_windows(period: float) -> tuple[BurnWindow, ...]:
    """The four windows for an SLO period, scaled from the 30-day ones (round to whole seconds)."""
    scale = period / THIRTY_DAYS
    return tuple(
        BurnWindow(sev, speed, pct, float(round(short * scale)), float(round(long_ * scale)), period)
        for sev, speed, pct, short, long_ in BASE
    )


def parse_alert_windows(text: str, source: str) -> tuple[BurnWindow, ...]:
    """Windows from a Sloth ``AlertWindows`` file (apiVersion sloth.slok.dev/v1)."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"{source}: invalid YAML: {exc}") from None
    if not isinstance(doc, dict) or doc.get("kind") != "AlertWindows":
        raise InputError(f"{source}: expected a Sloth file with kind: AlertWindows")
    spec = doc.get("spec") or {}
    if "sloPeriod" not in spec:
        raise InputError(f"{source}: spec.sloPeriod is missing")
    out = []
    for sev in ("page", "ticket"):
        for speed in ("quick", "slow"):
            path = f"spec.{sev}.{speed}"
            w = (spec.get(sev) or {}).get(speed)
            if not isinstance(w, dict):
                raise InputError(f"{source}: {path} is missing")
            missing = [k for k in ("errorBudgetPercent", "shortWindow", "longWindow") if k not in w]
            if missing:
                raise InputError(f"{source}: {path}.{missing[0]} is missing")
            try:
                out.append(
                    BurnWindow(
                        sev,
                        speed,
                        float(w["errorBudgetPercent"]),
                        parse_duration(w["shortWindow"]),
                        parse_duration(w["longWindow"]),
                        parse_duration(spec["sloPeriod"]),
                    )
                )
            except (TypeError, ValueError) as exc:
                raise InputError(f"{source}: {path}: {exc}") from None
    return tuple(out)


def label(seconds: float) -> str:
    """Window label used in rule names: ``5m``, ``1h``, ``30d``, ``56m``."""
    return format_duration(seconds)


def spec_windows(spec: AlertWindowsSpec) -> tuple[BurnWindow, ...]:
    """Windows from the ``spec`` of a Sloth AlertWindows file kept inline in the catalogue."""
    period = parse_duration(spec.sloPeriod)
    return tuple(
        BurnWindow(
            sev, speed, w.errorBudgetPercent, parse_duration(w.shortWindow), parse_duration(w.longWindow), period
        )
        for sev, pair in (("page", spec.page), ("ticket", spec.ticket))
        for speed, w in (("quick", pair.quick), ("slow", pair.slow))
    )
