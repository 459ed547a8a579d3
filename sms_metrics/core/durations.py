"""Prometheus-style durations (``30d``, ``1h30m``, ``90s``, ``500ms``)."""

from __future__ import annotations

import re

from sms_metrics.errors import PeriodError

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_PART = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
_WHOLE = re.compile(r"^(?:\d+(?:ms|s|m|h|d|w|y))+$")


def parse_duration(text: str) -> float:
    """Seconds in a duration such as ``30d`` or ``1h30m``; raise ``PeriodError`` if malformed."""
    text = str(text).strip()
    if not _WHOLE.match(text):
        raise PeriodError(f"invalid duration {text!r}: expected e.g. 30s, 5m, 1h30m, 30d")
    seconds = sum(int(n) * _UNITS[u] for n, u in _PART.findall(text))
    if seconds <= 0:
        raise PeriodError(f"invalid duration {text!r}: must be greater than zero")
    return seconds


def format_duration(seconds: float) -> str:
    """The shortest Prometheus duration for ``seconds`` (``2592000`` -> ``30d``)."""
    ms = round(seconds * 1000)
    if ms <= 0:
        raise PeriodError(f"cannot format non-positive duration {seconds}")
    if ms % 1000:
        return f"{ms}ms"
    s = ms // 1000
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if s >= size:
            parts.append(f"{s // size}{unit}")
            s %= size
    return "".join(parts)
