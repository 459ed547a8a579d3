"""Reading foreign files with their positions, and the three outcomes of every field read.

Every mapping is read through ``Obj``, which remembers the keys taken; ``Obj.done`` turns every
key left over into a refusal, so nothing is dropped in silence. A refusal is an error, or with
``lenient`` a warning (the field is left out); ``fail`` is always an error (the input is wrong);
``note`` says what was read differently or left out on purpose (printed, never fatal).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import yaml

from sms_metrics.catalogue.alerting import LABEL_NAME, RESERVED_LABELS
from sms_metrics.catalogue.yamlsource import format_loc, line_of


@dataclass
class Messages:
    """Warnings (fields left out with ``lenient``) and notes (what was read differently)."""

    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Report(Messages):
    lenient: bool = False
    errors: list[str] = field(default_factory=list)

    def _add(self, where: list[str], text: str) -> None:
        if text not in where:
            where.append(text)

    def refuse(self, at: At, reason: str) -> None:
        """A field sms-metrics cannot carry: an error, or a warning when lenient."""
        if self.lenient:
            self._add(self.warnings, at.say(reason + " (left out)"))
        else:
            self._add(self.errors, at.say(reason))

    def fail(self, at: At, reason: str) -> None:
        self._add(self.errors, at.say(reason))

    def note(self, at: At, reason: str) -> None:
        self._add(self.notes, at.say(reason))


@dataclass(frozen=True)
class At:
    """A place in an input file: the file, the document (when there are several), the path."""

    source: str
    doc: int | None = None
    loc: tuple = ()
    root: Any = None  # the document's yaml node, for line numbers
    show_source: bool = False

    def __truediv__(self, part: str | int) -> At:
        return replace(self, loc=(*self.loc, part))

    def path(self) -> str:
        inner = format_loc(self.loc) if self.loc else ""
        if self.doc is None:
            return inner or "(top level)"
        return f"document[{self.doc}]" + ("" if not inner else inner if inner.startswith("[") else "." + inner)

    def say(self, reason: str) -> str:
        line = line_of(self.root, self.loc) if isinstance(self.root, yaml.Node) else None
        text = f"{self.path()}: {reason}" + (f" (line {line})" if line else "")
        return f"{self.source}: {text}" if self.show_source else text


def scalar_text(value: Any) -> str:
    """A YAML scalar as Sloth and Kubernetes write it in a label (``true``, ``0.2``, ``90``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isfinite(value):
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    return str(value)


class Obj:
    """A mapping from an input file that records which keys were read."""

    def __init__(self, data: dict, at: At, report: Report):
        self.data, self.at, self.r = data, at, report
        self.used: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.used.add(key)
        return self.data.get(key, default)

    def obj(self, key: str) -> Obj | None:
        value = self.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.r.fail(self.at / key, "expected a mapping")
            return None
        return Obj(value, self.at / key, self.r)

    def objs(self, key: str) -> list[Obj]:
        value = self.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.r.fail(self.at / key, "expected a list")
            return []
        out = []
        for i, item in enumerate(value):
            if isinstance(item, dict):
                out.append(Obj(item, self.at / key / i, self.r))
            else:
                self.r.fail(self.at / key / i, "expected a mapping")
        return out

    def text(self, key: str, required: bool = False) -> str | None:
        value = self.get(key)
        if value is None or value == "":
            if required:
                self.r.fail(self.at / key, "required")
            return None
        if isinstance(value, (dict, list)):
            self.r.fail(self.at / key, "expected a string")
            return None
        return scalar_text(value)

    def number(self, key: str, required: bool = False) -> float | None:
        value = self.get(key)
        if value is None:
            if required:
                self.r.fail(self.at / key, "required")
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.r.fail(self.at / key, f"expected a number, got {value!r}")
            return None
        return float(value)

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.get(key, default)
        if not isinstance(value, bool):
            self.r.fail(self.at / key, f"expected true or false, got {value!r}")
            return default
        return value

    def names(self, key: str, what: str = "label") -> dict[str, str]:
        """Labels or annotations: values as text (OpenSLO lists joined by ','); bad names refused."""
        value = self.get(key)
        if not isinstance(value, dict):
            if value is not None:
                self.r.fail(self.at / key, "expected a mapping")
            return {}
        out = {}
        for k, v in value.items():
            if not LABEL_NAME.match(str(k)) or str(k).startswith("__"):
                self.r.refuse(self.at / key / str(k), f"not a valid Prometheus {what} name")
            elif what == "label" and k in RESERVED_LABELS:
                self.r.refuse(self.at / key / str(k), "a label sms-metrics sets itself on every series and alert")
            elif isinstance(v, list):
                out[str(k)] = ",".join(scalar_text(x) for x in v)
            elif isinstance(v, dict) or v is None:
                self.r.fail(self.at / key / str(k), f"a {what} value must be text")
            else:
                out[str(k)] = scalar_text(v)
        return out

    def done(self, noted: dict[str, str] | None = None) -> None:
        """Refuse every key not read (or note it when ``noted`` explains why it is not needed)."""
        for key in self.data:
            if key in self.used:
                continue
            if noted and key in noted:
                self.r.note(self.at / key, noted[key])
            else:
                self.r.refuse(self.at / key, "not carried: sms-metrics has no equivalent")
