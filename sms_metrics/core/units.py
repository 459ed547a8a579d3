"""Units of capacity resources: their physical bounds and how a person reads their values.

``bytes`` print in IEC units (GiB), ``percent`` and ``ratio`` as percentages, ``seconds`` as a
duration, ``count``, ``per_second`` (``12.3k/s``) and ``other`` with SI prefixes. Bytes, counts,
durations and rates are never negative; a percentage stays in [0, 100] and a ratio in [0, 1].
"""

from __future__ import annotations

import math

UNITS = ("bytes", "percent", "ratio", "count", "seconds", "per_second", "other")
BOUNDS: dict[str, tuple[float | None, float | None]] = {
    "bytes": (0.0, None),
    "percent": (0.0, 100.0),
    "ratio": (0.0, 1.0),
    "count": (0.0, None),
    "seconds": (0.0, None),
    "per_second": (0.0, None),
    "other": (None, None),
}
_IEC = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")
_SI = ("", "k", "M", "G", "T", "P", "E")


def bounds(unit: str, low: float | None = None, high: float | None = None) -> tuple[float | None, float | None]:
    """The unit's physical bounds, with ``low``/``high`` (the catalogue's ``min``/``max``) overriding them."""
    lo, hi = BOUNDS[unit]
    return (lo if low is None else low, hi if high is None else high)


def _scaled(value: float, base: float, names: tuple[str, ...]) -> tuple[float, str]:
    k = 0
    while abs(value) >= base and k < len(names) - 1:
        value /= base
        k += 1
    return value, names[k]


def _three(value: float) -> str:
    """Three significant digits, no exponent: 5.05, 50.5, 505."""
    if value == 0:
        return "0"
    digits = max(0, 2 - math.floor(math.log10(abs(value))))
    return f"{value:.{digits}f}"


def _duration(seconds: float) -> str:
    a = abs(seconds)
    for size, name in ((86400, "d"), (3600, "h"), (60, "min"), (1, "s")):
        if a >= size:
            return f"{_three(seconds / size)} {name}"
    return f"{_three(seconds * 1000)} ms"


def axis_scale(unit: str, largest: float) -> tuple[float, str]:
    """(divisor, label) that put values up to ``largest`` on a chart axis with round ticks: GiB for
    bytes around 1e11, % for a ratio, hours for seconds around 1e4."""
    largest = abs(largest) if math.isfinite(largest) else 0.0
    if unit == "bytes":  # the largest unit that still reads 2 or more: 1.1 TiB shows as 1,100 GiB
        k = max([0, *(i for i in range(len(_IEC)) if largest / 1024.0**i >= 2)])
        return 1024.0**k, _IEC[k]
    if unit == "percent":
        return 1.0, "%"
    if unit == "ratio":
        return 0.01, "%"
    if unit == "seconds":
        for size, name in ((86400, "days"), (3600, "hours"), (60, "minutes"), (1, "seconds")):
            if largest >= 2 * size:
                return float(size), name
        return 0.001, "ms"
    k = max([0, *(i for i in range(len(_SI)) if largest / 1000.0**i >= 10)])  # 2,000 stays 2,000; 12,000 is 12k
    return 1000.0**k, _SI[k] + ("/s" if unit == "per_second" else "")


def human(value: float | None, unit: str = "other") -> str:
    """``value`` as a person reads it: ``470 GiB``, ``83.5%``, ``1.2k``, ``350 ms``, ``12.3k/s``."""
    if value is None or not math.isfinite(value):
        return "n/a"
    if unit == "bytes":
        v, name = _scaled(value, 1024.0, _IEC)
        return f"{_three(v)} {name}"
    if unit == "percent":
        return f"{_three(value)}%"
    if unit == "ratio":
        return f"{_three(100 * value)}%"
    if unit == "seconds":
        return _duration(value)
    v, prefix = _scaled(value, 1000.0, _SI)  # count, per_second, other
    return f"{_three(v)}{prefix}" + ("/s" if unit == "per_second" else "")
