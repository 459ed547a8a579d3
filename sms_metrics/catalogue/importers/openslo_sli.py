"""OpenSLO v1 indicators and time windows as catalogue SLIs, steps and windows.

- ``ratioMetric`` (``counter: true``: sms-metrics applies each window with ``rate``; ``false``: with
  ``avg_over_time``) becomes an ``events`` SLI under ``Occurrences``; under ``Timeslices`` a
  ``threshold`` SLI on the per-slice ratio (``min: timeSliceTarget``, ``step: timeSliceWindow``).
- ``thresholdMetric`` with any PromQL becomes a ``threshold`` SLI whose bound follows ``op``
  (``lte`` max, ``lt`` below, ``gte`` min, ``gt`` above); under ``Timeslices`` with a
  ``timeSliceTarget`` below 1, a threshold on the share of good values in each slice.
- A rolling ``timeWindow`` is the SLO window; a calendar month is the SLA month in its time zone.
"""

from __future__ import annotations

import re
from datetime import datetime

from sms_metrics.catalogue.importers.build import Builder
from sms_metrics.catalogue.importers.index import Index
from sms_metrics.catalogue.importers.source import Obj
from sms_metrics.catalogue.model import WINDOW_TEMPLATE
from sms_metrics.catalogue.promql import apply_window
from sms_metrics.core.periods import zone

SHORTHAND = re.compile(r"^(\d+)([smhdwMQY])$")
BOUNDS = {"lte": "max", "lt": "below", "gte": "min", "gt": "above"}
CMP = {"lte": "<=", "lt": "<", "gte": ">=", "gt": ">"}
DAYS = {"M": 30, "Q": 90, "Y": 365}


def shorthand(o: Obj, key: str, required: bool = False, minutes: bool = False) -> str | None:
    """An OpenSLO duration-shorthand as a catalogue duration (months, quarters, years refused)."""
    value = o.get(key)
    if value is None:
        if required:
            o.r.fail(o.at / key, "required")
        return None
    text = f"{value}m" if minutes and isinstance(value, int) and not isinstance(value, bool) else str(value)
    m = SHORTHAND.match(text)
    if not m or int(m[1]) <= 0:
        o.r.fail(o.at / key, f"{value!r} is not a duration such as 5m, 1h, 28d, 4w")
        return None
    n, unit = int(m[1]), m[2]
    if unit not in DAYS:
        return text
    o.r.refuse(
        o.at / key, f"{text}: a window of months, quarters or years has no fixed length (use days: {n * DAYS[unit]}d)"
    )
    return f"{n * DAYS[unit]}d" if o.r.lenient else None


def _month_start(cal: Obj) -> None:
    start = cal.text("startTime")
    if start is None:
        return
    try:
        t = datetime.fromisoformat(start.replace(" ", "T"))
    except ValueError:
        cal.r.fail(cal.at / "startTime", f"{start!r} is not a date and time")
        return
    if (t.day, t.hour, t.minute, t.second) != (1, 0, 0, 0):
        cal.r.refuse(cal.at / "startTime", "SLA months start at 00:00 on the 1st in sms-metrics")


def time_window(spec: Obj) -> tuple[str | None, str | None]:
    """(window, calendar time zone): a rolling window, or a calendar month (window 30d for the rules)."""
    items = spec.objs("timeWindow")
    if len(items) != 1:
        if items:
            spec.r.fail(spec.at / "timeWindow", "exactly one time window")
        return "30d", None
    w = items[0]
    cal, rolling = w.obj("calendar"), w.get("isRolling")
    if rolling is True or (rolling is None and cal is None):
        out = shorthand(w, "duration", required=True)
        w.done()
        return out, None
    duration = str(w.get("duration"))
    tz = (cal.text("timeZone") if cal else None) or "UTC"
    try:
        zone(tz)
    except ValueError as exc:
        w.r.fail(w.at / "calendar" / "timeZone", str(exc))
    if cal:
        _month_start(cal)
        cal.done()
    w.done()
    if duration == "1M":
        return "30d", tz
    w.r.refuse(
        w.at / "duration", f"a {duration} calendar window cannot be carried: calendar windows are SLA months (1M)"
    )
    return (shorthand(w, "duration") if w.r.lenient else None), None


def metric_query(parent: Obj, key: str, b: Builder, ix: Index) -> str | None:
    """The PromQL of ``parent[key].metricSource`` (Prometheus or VictoriaMetrics sources only)."""
    m = parent.obj(key)
    ms = m.obj("metricSource") if m else None
    if m is None or ms is None:
        if m is not None:
            m.r.fail(m.at / "metricSource", "required")
        return None
    m.done()
    kind, ref = ms.text("type"), ms.text("metricSourceRef")
    if ref:
        kind = kind or ix.datasource_type(ref, ms.at / "metricSourceRef")
    if kind is None:
        ms.r.note(ms.at, "no type: read as a Prometheus query")
    elif kind.lower() == "victoriametrics":
        b.store = "victoriametrics"
    elif kind.lower() != "prometheus":
        ms.r.refuse(ms.at / "type", f"{kind}: only Prometheus (or VictoriaMetrics) queries can be read")
        ms.done({"spec": f"a {kind} query"})
        return None
    spec = ms.obj("spec")
    q = (spec.text("query") or spec.text("promql")) if spec else None
    if spec is None or q is None:
        ms.r.fail(ms.at / "spec" / "query", "required")
    if spec:
        spec.done()
    ms.done()
    return b.query(ms.at / "spec" / "query", q) if q else None


def _windowed(rm: Obj, key: str, counter: bool, b: Builder, ix: Index) -> str | None:
    q = metric_query(rm, key, b, ix) if rm.data.get(key) is not None else None
    if q is None:
        return None
    try:
        out = apply_window(q, counter)
    except ValueError as exc:
        rm.r.refuse(rm.at / key, f"the window cannot be applied to this query: {exc}")
        return None
    if "[" in q and "{{" not in q and out != q:
        rm.r.note(rm.at / key, f"the query's own range is replaced by each window: {out}")
    return out


def ratio_queries(rm: Obj, b: Builder, ix: Index) -> tuple[str, str, bool] | None:
    """(numerator, total, numerator counts bad events) with ``{{window}}`` where the range goes."""
    counter = rm.get("counter")
    if counter is None:
        rm.r.note(rm.at / "counter", "not given: the queries are read as counters")
    elif not isinstance(counter, bool):
        rm.r.fail(rm.at / "counter", "expected true or false")
    counter = counter is not False
    raw = [key for key in ("raw", "rawType") if rm.get(key) is not None]
    for key in raw:
        rm.r.refuse(rm.at / key, "a precomputed ratio cannot be carried: give good (or bad) and total")
    if raw:
        rm.done(dict.fromkeys(("good", "bad", "total"), "part of the refused ratio"))
        return None
    good, bad = (_windowed(rm, k, counter, b, ix) for k in ("good", "bad"))
    total = _windowed(rm, "total", counter, b, ix)
    if rm.data.get("good") is not None and rm.data.get("bad") is not None:
        rm.r.fail(rm.at, "good and bad cannot both be given")
    if rm.data.get("total") is None:
        rm.r.fail(rm.at / "total", "required")
    rm.done()
    numerator = bad or good
    return (numerator, total, bad is not None) if numerator and total else None


def slice_ratio(q: tuple[str, str, bool], window: str) -> str:
    """The good ratio of one time slice (the queries rendered with the slice as their window)."""
    num, total = (WINDOW_TEMPLATE.sub(window, x) for x in q[:2])
    return f"1 - ({num}) / ({total})" if q[2] else f"({num}) / ({total})"
