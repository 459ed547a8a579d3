"""Catalogue parts that shape alerts and series: labels, alert settings, burn-rate conditions,
inline Sloth alert windows.

Labels become Prometheus labels of every recording, of ``sloth_slo_info`` and of every alert of
the SLO; alert settings follow Sloth's (one alert name, labels and annotations for all alerts,
per-severity overrides, ``disable``); ``burn_rate`` holds single-window burn-rate conditions as
OpenSLO's AlertPolicy/AlertCondition/AlertNotificationTarget describe them.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sms_metrics.core.durations import parse_duration

LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
# Labels sms-metrics sets itself on every SLO series and alert: a user value would clash.
RESERVED_LABELS = frozenset(
    {"service", "slo", "sloth_id", "sloth_service", "sloth_slo", "sloth_window", "sloth_severity", "alertname"}
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def valid_duration(v: str) -> str:
    try:
        parse_duration(v)
    except ValueError as exc:
        raise ValueError(str(exc)) from None
    return str(v)


def check_names(v: dict[str, str], what: str, reserved: frozenset[str] = RESERVED_LABELS) -> dict[str, str]:
    """Prometheus label (or annotation) names, none starting with ``__`` nor set by sms-metrics."""
    bad = [k for k in v if not LABEL_NAME.match(k) or k.startswith("__")]
    if bad:
        raise ValueError(
            f"invalid {what} name(s) {', '.join(map(repr, bad))}: use letters, digits and '_', not starting "
            "with a digit or '__'"
        )
    clash = sorted(set(v) & reserved)
    if clash:
        raise ValueError(f"{', '.join(clash)}: set by sms-metrics itself, cannot be a {what} here")
    return v


def valid_labels(v: dict[str, str]) -> dict[str, str]:
    return check_names(v, "label")


def _annotations(v: dict[str, str]) -> dict[str, str]:
    return check_names(v, "annotation", frozenset())


class AlertSpec(_Strict):
    """One alert of an SLO (page, ticket or no-data): off, or extra labels and annotations."""

    disable: bool = False
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)

    _l = field_validator("labels")(valid_labels)
    _a = field_validator("annotations")(_annotations)


class NotifyTarget(_Strict):
    """Where an alert should go (OpenSLO AlertNotificationTarget): its name becomes the
    ``notification_target`` label that Alertmanager routes on."""

    name: str = Field(min_length=1)
    target: str | None = None
    description: str | None = None


class BurnRateAlert(_Strict):
    """Fires while the burn rate over ``window`` compares with ``threshold`` as ``op`` says."""

    name: str = Field(min_length=1)  # the alert name
    severity: str = Field(min_length=1)
    window: str
    op: Literal["gt", "gte", "lt", "lte"] = "gt"
    threshold: float = Field(ge=0)
    alert_after: str | None = None  # Prometheus ``for``
    disable: bool = False  # OpenSLO alertWhenBreaching: false
    no_data: bool = False  # also fire while the SLI has no value (alertWhenNoData)
    notify_resolved: bool = False  # alertWhenResolved: the label notify_resolved="true"
    notify: list[NotifyTarget] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)

    _d = field_validator("window")(valid_duration)
    _l = field_validator("labels")(valid_labels)
    _a = field_validator("annotations")(_annotations)

    @field_validator("alert_after")
    @classmethod
    def _after(cls, v: str | None) -> str | None:
        return None if v is None else valid_duration(v)

    @field_validator("labels")
    @classmethod
    def _own(cls, v: dict[str, str]) -> dict[str, str]:
        clash = sorted(set(v) & {"severity", "notification_target", "notify_resolved"})
        if clash:
            raise ValueError(f"{', '.join(clash)}: set from severity, notify and notify_resolved, not as labels")
        return v

    @property
    def window_seconds(self) -> float:
        return parse_duration(self.window)


class Alerting(_Strict):
    """How an SLO's alerts look: Sloth's ``alerting`` block, plus no-data and burn-rate alerts."""

    name: str | None = Field(None, min_length=1)  # page and ticket alert name (default ErrorBudgetBurn)
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    page: AlertSpec = Field(default_factory=AlertSpec)
    ticket: AlertSpec = Field(default_factory=AlertSpec)
    no_data: AlertSpec = Field(default_factory=AlertSpec)
    burn_rate: list[BurnRateAlert] = Field(default_factory=list)

    _l = field_validator("labels")(valid_labels)
    _a = field_validator("annotations")(_annotations)


class Window(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    errorBudgetPercent: float = Field(gt=0, le=100)
    shortWindow: str
    longWindow: str

    _d = field_validator("shortWindow", "longWindow")(valid_duration)

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if parse_duration(self.shortWindow) >= parse_duration(self.longWindow):
            raise ValueError("shortWindow must be shorter than longWindow")
        return self


class QuickSlow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    quick: Window
    slow: Window


class AlertWindowsSpec(BaseModel):
    """The ``spec`` of a Sloth ``AlertWindows`` file, inline in the catalogue (Sloth's key names)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sloPeriod: str
    page: QuickSlow
    ticket: QuickSlow

    _d = field_validator("sloPeriod")(valid_duration)
