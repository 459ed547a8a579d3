"""The catalogue model (``apiVersion: sms-metrics/v1``): services, SLAs, SLOs, capacity resources.

Pydantic validates shapes and value ranges; every message is phrased for the person editing
``sms.yaml`` (the loader prefixes it with the path, e.g. ``services[1].sla.availability_target``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sms_metrics.catalogue.alerting import Alerting, AlertWindowsSpec, valid_duration, valid_labels
from sms_metrics.core.calendar import parse_service_hours
from sms_metrics.core.durations import parse_duration
from sms_metrics.core.periods import zone
from sms_metrics.core.units import bounds as unit_bounds

API_VERSION = "sms-metrics/v1"
NAME_PATTERN = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"
# Sloth's names: SLO names, and the Sloth service name kept when it is not a NAME_PATTERN name
SLOTH_NAME_PATTERN = r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
PRIORITIES = ("P1", "P2", "P3", "P4")
SELECTOR = re.compile(r"^\s*(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)?\s*(?:\{(?P<matchers>.*)\})?\s*$", re.S)
WINDOW_TEMPLATE = re.compile(r"\{\{\s*\.?window\s*\}\}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _percent(v: float) -> float:
    if not 0 < v <= 100:
        raise ValueError("must be > 0 and <= 100")
    return v


def _selector(v: str) -> str:
    m = SELECTOR.match(v)
    if not m or not (m["name"] or m["matchers"]):
        raise ValueError(f'must be a series selector such as probe_success{{service="x"}}, got {v!r}')
    return v


def _windowed(v: str) -> str:
    if not WINDOW_TEMPLATE.search(v):
        raise ValueError("must contain {{window}} where the range goes, e.g. rate(x_total[{{window}}])")
    return v


class MaintenanceWindow(_Strict):
    start: datetime
    end: datetime
    description: str | None = None

    @field_validator("start", "end")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            raise ValueError("must carry a time zone, e.g. 2026-10-04T01:00:00Z")
        return v.astimezone(UTC)

    @model_validator(mode="after")
    def _ordered(self) -> MaintenanceWindow:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class SLA(_Strict):
    availability_target: float
    timezone: str = "UTC"
    service_hours: str = "24x7"
    response_minutes: dict[str, int] = Field(default_factory=dict)
    resolution_minutes: dict[str, int] = Field(default_factory=dict)
    maintenance: list[MaintenanceWindow] = Field(default_factory=list)
    slo: str | None = None  # the SLO the SLA measures (default: the one named availability, else the first)

    _target = field_validator("availability_target")(_percent)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        zone(v)
        return v

    @field_validator("service_hours")
    @classmethod
    def _hours(cls, v: str) -> str:
        parse_service_hours(v)
        return v

    @field_validator("response_minutes", "resolution_minutes")
    @classmethod
    def _clock(cls, v: dict[str, int]) -> dict[str, int]:
        bad = sorted(set(v) - set(PRIORITIES))
        if bad:
            raise ValueError(f"unknown priority {', '.join(bad)}: use P1, P2, P3, P4")
        if any(m <= 0 for m in v.values()):
            raise ValueError("minutes must be > 0")
        return v


class EventsSLI(_Strict):
    errors: str = Field(min_length=1)
    total: str = Field(min_length=1)

    _windowed = field_validator("errors", "total")(_windowed)


class LatencySLI(_Strict):
    histogram: str = Field(min_length=1)
    threshold_seconds: float = Field(gt=0)

    _sel = field_validator("histogram")(_selector)


THRESHOLD_OPS = {"max": "lte", "below": "lt", "min": "gte", "above": "gt"}


class ThresholdSLI(_Strict):
    """A value compared sample by sample (or, for an expression, once per step at its end):
    good while ``<= max``, ``< below``, ``>= min`` or ``> above`` (exactly one)."""

    query: str = Field(min_length=1)
    max: float | None = None
    below: float | None = None
    min: float | None = None
    above: float | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> ThresholdSLI:
        given = [k for k in THRESHOLD_OPS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "needs exactly one of max, below, min, above" + (f" (got {', '.join(given)})" if given else "")
            )
        return self

    @property
    def bound(self) -> str:
        return next(k for k in THRESHOLD_OPS if getattr(self, k) is not None)

    @property
    def op(self) -> str:
        """``lte``, ``lt``, ``gte`` or ``gt``: how a good value compares with ``value``."""
        return THRESHOLD_OPS[self.bound]

    @property
    def value(self) -> float:
        return float(getattr(self, self.bound))

    @property
    def is_selector(self) -> bool:
        m = SELECTOR.match(self.query)
        return bool(m and (m["name"] or m["matchers"]))


class SLI(_Strict):
    probe: str | None = Field(None, min_length=1)
    events: EventsSLI | None = None
    latency: LatencySLI | None = None
    threshold: ThresholdSLI | None = None
    aggregate: Literal["min", "max"] = "min"

    @field_validator("probe")
    @classmethod
    def _probe_selector(cls, v: str | None) -> str | None:
        return None if v is None else _selector(v)

    @model_validator(mode="after")
    def _exactly_one(self) -> SLI:
        given = [k for k in ("probe", "events", "latency", "threshold") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "needs exactly one of probe, events, latency, threshold"
                + (f" (got {', '.join(given)})" if given else "")
            )
        return self

    @property
    def kind(self) -> str:
        return next(k for k in ("probe", "events", "latency", "threshold") if getattr(self, k) is not None)


class SLO(_Strict):
    name: str = Field(pattern=SLOTH_NAME_PATTERN)
    display_name: str | None = None
    objective: float
    window: str = "30d"
    step: str = "60s"
    description: str | None = None
    runbook: str | None = None
    # a Sloth AlertWindows file relative to the catalogue, or its ``spec`` inline
    alert_windows: str | AlertWindowsSpec | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    alerting: Alerting | None = None
    sli: SLI

    _labels = field_validator("labels")(valid_labels)

    _objective = field_validator("objective")(_percent)
    _durations = field_validator("window", "step")(valid_duration)

    @field_validator("step")
    @classmethod
    def _whole_seconds(cls, v: str) -> str:
        if parse_duration(v) % 1 or parse_duration(v) > 3600:
            raise ValueError("must be a whole number of seconds between 1s and 1h")
        return v

    @model_validator(mode="after")
    def _windows_match(self) -> SLO:
        aw = self.alert_windows
        if isinstance(aw, AlertWindowsSpec) and abs(parse_duration(aw.sloPeriod) - self.window_seconds) > 1:
            raise ValueError(f"alert_windows are for a {aw.sloPeriod} period but the SLO window is {self.window}")
        return self

    @property
    def window_seconds(self) -> float:
        return parse_duration(self.window)

    @property
    def step_seconds(self) -> float:
        return parse_duration(self.step)


class CapacityResource(_Strict):
    name: str = Field(pattern=NAME_PATTERN)
    query: str = Field(min_length=1)
    limit: float
    direction: Literal["up", "down"] = "up"
    lead_time: str = "14d"
    unit: Literal["bytes", "percent", "ratio", "count", "seconds", "per_second", "other"] = "other"
    min: float | None = None  # overrides the unit's lower bound
    max: float | None = None  # overrides the unit's upper bound
    aggregate: Literal["worst", "mean", "p95"] = "worst"  # per forecast step

    _lead = field_validator("lead_time")(valid_duration)

    @property
    def bounds(self) -> tuple[float | None, float | None]:
        """The physical bounds forecasts are clipped to (the unit's, or ``min``/``max``)."""
        return unit_bounds(self.unit, self.min, self.max)

    @model_validator(mode="after")
    def _limit_within_bounds(self) -> CapacityResource:
        lo, hi = self.bounds
        if lo is not None and hi is not None and lo >= hi:
            raise ValueError(f"min ({lo:g}) must be below max ({hi:g})")
        if (lo is not None and self.limit < lo) or (hi is not None and self.limit > hi):
            where = f"[{'-inf' if lo is None else f'{lo:g}'}, {'inf' if hi is None else f'{hi:g}'}]"
            raise ValueError(f"limit {self.limit:g} is outside the bounds of unit {self.unit!r} {where}")
        return self


def _role(v: str | None) -> str | None:
    """A person, team or address on one line (owner, manager, supplier contact)."""
    if v is None:
        return v
    if not v.strip() or any(ord(c) < 32 or ord(c) == 127 for c in v):
        raise ValueError(f"must be a name, team or address on one line, got {v!r}")
    return v.strip()


class Service(_Strict):
    name: str = Field(pattern=NAME_PATTERN)
    display_name: str | None = None
    sloth_service: str | None = Field(None, pattern=SLOTH_NAME_PATTERN)  # Sloth's name, when not ``name``
    description: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    criticality: Literal["high", "medium", "low"] = "medium"
    public: bool = False  # shown on the public status page (/status)
    # roles and responsibilities (ISO/IEC 20000-1 5.4): a person, team or address, one line each
    owner: str | None = Field(None, max_length=200)  # answers for the service and its SLA
    manager: str | None = Field(None, max_length=200)  # runs it day to day
    supplier_contact: str | None = Field(None, max_length=200)  # who to call at the supplier
    sla: SLA | None = None
    slos: list[SLO] = Field(default_factory=list)
    capacity: list[CapacityResource] = Field(default_factory=list)

    _labels = field_validator("labels")(valid_labels)
    _roles = field_validator("owner", "manager", "supplier_contact")(_role)

    @model_validator(mode="after")
    def _unique_children(self) -> Service:
        for kind, items in (("slo", self.slos), ("capacity resource", self.capacity)):
            names = [i.name for i in items]
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise ValueError(f"duplicate {kind} name(s): {', '.join(dupes)}")
        if self.sla and self.sla.slo and self.sla.slo not in {s.name for s in self.slos}:
            raise ValueError(f"sla.slo: {self.sla.slo!r} is not an SLO of this service")
        return self

    @property
    def sloth_name(self) -> str:
        """The service name in Sloth's labels (``sloth_service``, first part of ``sloth_id``)."""
        return self.sloth_service or self.name

    def sloth_id(self, slo: SLO) -> str:
        """Sloth's SLO id, ``<service>-<slo>``: the ``sloth_id`` label of the SLO's series."""
        return f"{self.sloth_name}-{slo.name}"

    def availability_slo(self) -> SLO | None:
        """The SLO the SLA report measures: ``sla.slo``, else the one named ``availability``, else the first."""
        wanted = self.sla.slo if self.sla and self.sla.slo else "availability"
        return next((s for s in self.slos if s.name == wanted), self.slos[0] if self.slos else None)


class Catalogue(_Strict):
    apiVersion: Literal["sms-metrics/v1"]
    store: Literal["prometheus", "victoriametrics"] = "prometheus"  # which query language the queries use
    services: list[Service] = Field(default_factory=list)

    def find(self, name: str) -> Service | None:
        """The service called ``name``, None when the catalogue has none."""
        return next((s for s in self.services if s.name == name), None)

    def service(self, name: str) -> Service:
        for s in self.services:
            if s.name == name:
                return s
        known = ", ".join(s.name for s in self.services) or "none"
        raise KeyError(f"service {name!r} is not in the catalogue (known: {known})")
