"""Write OpenMetrics text for ``promtool tsdb create-blocks-from openmetrics``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO

import numpy as np


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    esc = (
        f'{k}="{str(v).replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for k, v in sorted(labels.items())
    )
    return "{" + ",".join(esc) + "}"


def write_family(
    out: IO[str],
    name: str,
    kind: str,
    series: Iterable[tuple[dict[str, str], np.ndarray, np.ndarray]],
    *,
    sample_name: str | None = None,
) -> int:
    """Write one metric family (``kind`` gauge or counter); every series contiguous. Returns lines."""
    out.write(f"# TYPE {name} {kind}\n")
    lines = 0
    for labels, timestamps, values in series:
        prefix = f"{sample_name or name}{_labels(labels)} "
        ts = np.asarray(timestamps, dtype=float)
        vs = np.asarray(values, dtype=float)
        keep = ~np.isnan(vs)
        out.write("".join(f"{prefix}{v:.10g} {t:.3f}\n" for t, v in zip(ts[keep], vs[keep])))
        lines += int(keep.sum())
    return lines


def write_eof(out: IO[str]) -> None:
    out.write("# EOF\n")
