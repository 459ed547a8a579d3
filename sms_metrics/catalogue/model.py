"""The catalogue model (``apiVersion: sms-metrics/v1``): services, SLAs, SLOs, capacity resources.

Pydantic validates shapes and value ranges; every message is phrased for the person editing
``sms.yaml`` (the loader prefixes it with the path, e.g. ``services[1].sla.availability_target``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sms_metrics.core.calendar import parse_service_hours
from sms_metrics.core.durations import parse_duration
from sms_metrics.core.periods import zone

API_VERSION = "sms-metrics/v1"
NAME_PATTERN = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"
PRIORITIES = ("P1", "P2", "P3", "P4")
SELECTOR = re.compile(r"^\s*(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)?\s*(?:\{(?P<matchers>.*)\})?\s*$", re.S)
WINDOW_TEMPLATE = re.compile(r"\{\{\s*\.?window\s*\}\}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _percent(v: float) -> float:
    if not 0 < v <= 100:
        raise ValueError("must be > 0 and <= 100")
    return v


def _duration(v: str) -> str:
    try:
        parse_duration(v)
    except ValueError as exc:
        raise ValueError(str(exc)) from None
    return str(v)


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


class ThresholdSLI(_Strict):
    query: str = Field(min_length=1)
    max: float

    _sel = field_validator("query")(_selector)


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
    name: str = Field(pattern=r"^[a-z0-9]([a-z0-9_-]*[a-z0-9])?$")
    objective: float
    window: str = "30d"
    step: str = "60s"
    description: str | None = None
    runbook: str | None = None
    alert_windows: str | None = None  # a Sloth AlertWindows file, relative to the catalogue
    sli: SLI

    _objective = field_validator("objective")(_percent)
    _durations = field_validator("window", "step")(_duration)

    @field_validator("step")
    @classmethod
    def _whole_seconds(cls, v: str) -> str:
        if parse_duration(v) % 1 or parse_duration(v) > 3600:
            raise ValueError("must be a whole number of seconds between 1s and 1h")
        return v

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

    _lead = field_validator("lead_time")(_duration)


class Service(_Strict):
    name: str = Field(pattern=NAME_PATTERN)
    description: str | None = None
    criticality: Literal["high", "medium", "low"] = "medium"
    sla: SLA | None = None
    slos: list[SLO] = Field(default_factory=list)
    capacity: list[CapacityResource] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_children(self) -> Service:
        for kind, items in (("slo", self.slos), ("capacity resource", self.capacity)):
            names = [i.name for i in items]
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise ValueError(f"duplicate {kind} name(s): {', '.join(dupes)}")
        return self

    def availability_slo(self) -> SLO | None:
        """The SLO the SLA report measures: the one named ``availability``, else the first."""
        return next((s for s in self.slos if s.name == "availability"), self.slos[0] if self.slos else None)


class Catalogue(_Strict):
    apiVersion: Literal["sms-metrics/v1"]
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
