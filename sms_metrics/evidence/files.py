"""The files a kind contributes to the pack: its records (``<path>.json`` and ``.csv``, fields as the API
returns them plus the clock flags), their history rows of the period and, for kinds with gates, the gate
decisions (``<path>-gates``): every move into a gated state (passed, or overridden with the refusal and
the justification) and every move sms-metrics made itself (a release failed or verified by its watch)."""

from __future__ import annotations

from datetime import datetime

from sms_metrics.core.evidence import clock_flags, csv_bytes, csv_table, json_bytes, rfc3339
from sms_metrics.register.records.access import SYSTEM

HISTORY_COLUMNS = ["ref", "record_id", "at", "actor", "field", "old", "new", "reason"]
GATE_COLUMNS = ["ref", "record_id", "at", "actor", "move", "gate", "decision", "refusal", "justification", "reason"]


def record_rows(found, spec, now: datetime, read_model) -> tuple[list[dict], list[str]]:
    """The records as JSON objects (the API's fields, then the clock flags) and the CSV columns."""
    rows = []
    for model in found.records:
        row = model.model_dump(mode="json")
        row.update(clock_flags(dict(model), spec.clocks, now))
        rows.append(row)
    fields = list(read_model.model_fields)
    flags = [f.removesuffix("_due_at") + "_breached" for f in fields if f.endswith("_due_at")]
    return rows, [*fields, *flags]


def history_rows(found) -> list[tuple]:
    """The history rows as HISTORY_COLUMNS tuples (references and times formatted once each)."""
    kind, refs, times = found.kind, {}, {}
    out = []
    for record_id, at, actor, field, old, new, reason in found.history:
        ref = refs.get(record_id) or refs.setdefault(record_id, kind.ref(record_id))
        when = times.get(at) or times.setdefault(at, rfc3339(at))
        out.append((ref, record_id, when, actor, field, old, new, reason))
    return out


def gate_rows(found) -> list[dict]:
    """One row per gated or automatic move of the period."""
    kind = found.kind
    overrides: dict[tuple[int, datetime], list] = {}
    for h in found.history:
        if h.field.startswith("override:"):
            overrides.setdefault((h.record_id, h.at), []).append(h)
    out = []
    for h in found.history:
        if h.field != "status" or h.old is None:
            continue
        gated = h.new in kind.gates
        if not gated and h.actor != SYSTEM.name:
            continue
        base = {"ref": kind.ref(h.record_id), "record_id": h.record_id, "at": rfc3339(h.at), "actor": h.actor}
        base |= {"move": f"{h.old} -> {h.new}", "reason": h.reason}
        passed = {o.field.removeprefix("override:"): o for o in overrides.get((h.record_id, h.at), [])}
        for gate in kind.gates.get(h.new, ()) if gated else ():
            o = passed.get(gate.name)
            out.append(
                base
                | {
                    "gate": gate.name,
                    "decision": "overridden" if o else "passed",
                    "refusal": o.old if o else None,
                    "justification": o.new if o else None,
                }
            )
        if not gated:
            out.append(base | {"gate": None, "decision": "automatic", "refusal": None, "justification": None})
    return out


def kind_files(found, spec, now: datetime, read_model) -> tuple[dict[str, bytes], dict[str, int]]:
    """``{file name: content}`` and ``{file name: rows}`` for one kind."""
    path = found.kind.path
    rows, columns = record_rows(found, spec, now, read_model)
    files = {f"{path}.json": json_bytes(rows), f"{path}.csv": csv_bytes(rows, columns)}
    counts = {f"{path}.json": len(rows), f"{path}.csv": len(rows)}
    tables = []
    if spec.history:
        tables.append(("history", history_rows(found), HISTORY_COLUMNS))
    if found.kind.gates:
        tables.append(("gates", [tuple(r[c] for c in GATE_COLUMNS) for r in gate_rows(found)], GATE_COLUMNS))
    for suffix, table, cols in tables:
        files[f"{path}-{suffix}.json"] = json_bytes([dict(zip(cols, r)) for r in table])
        files[f"{path}-{suffix}.csv"] = csv_table(table, cols)
        counts[f"{path}-{suffix}.json"] = counts[f"{path}-{suffix}.csv"] = len(table)
    return files, counts
