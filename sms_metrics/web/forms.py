"""Forms built from a kind's pydantic schemas: one field per schema field, with a widget chosen from its
type, and the submitted text turned back into the values the API would receive. Validation is the
records service's own (the API's messages, by path); only text a form cannot carry as JSON (a list of
ids, a JSON field) is split or parsed here first."""

from __future__ import annotations

import json
import re
import types
import typing
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any, Literal

from annotated_types import MaxLen
from pydantic import BaseModel

from sms_metrics.errors import RecordInvalid
from sms_metrics.register.base import text_of
from sms_metrics.register.records.kind import RecordKind

TEXTAREA_FROM = 10_000  # strings allowed this long get a text area
DATETIME_HINT = "RFC 3339 with a time zone, e.g. 2026-12-05T01:00:00Z"


@dataclass
class FormField:
    name: str
    label: str
    widget: str  # text, textarea, number, checkbox, select, choices, ids, list, json, datetime, date
    required: bool = False
    help: str = ""
    choices: list[str] = field(default_factory=list)
    value: Any = ""  # text shown; a list of chosen names for ``choices``; a bool for ``checkbox``
    nullable: bool = True
    errors: list[str] = field(default_factory=list)


def _plain(annotation) -> tuple[Any, bool]:
    """The annotation without ``None``, and whether None was allowed."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return (rest[0] if len(rest) == 1 else typing.Union[tuple(rest)]), True  # noqa: UP007
    return annotation, False


def _bare(tp):
    """``Annotated[int, ...]`` -> ``int``."""
    return typing.get_args(tp)[0] if typing.get_origin(tp) is typing.Annotated else tp


def widget_of(kind: RecordKind, name: str, annotation, metadata, services: list[str]) -> tuple[str, list[str]]:
    tp, _ = _plain(annotation)
    tp = _bare(tp)
    origin, args = typing.get_origin(tp), tuple(_bare(a) for a in typing.get_args(tp))
    if origin is Literal:
        return "select", [str(a) for a in args]
    if tp is bool:
        return "checkbox", []
    if tp in (int, float):
        return "number", []
    if tp is datetime:
        return "datetime", []
    if tp is date:
        return "date", []
    if isinstance(tp, type) and issubclass(tp, Enum):
        return "select", [str(m.value) for m in tp]
    if tp is str:
        longest = next((m.max_length for m in metadata if isinstance(m, MaxLen)), 0)
        return ("textarea" if longest >= TEXTAREA_FROM else "text"), []
    if origin is list and args and args[0] is str:
        link = kind.links.get(name)
        if link is not None and link.to == "service" and services:
            return "choices", services
        return "list", []
    if origin is list and args and args[0] is int:
        return "ids", []
    if origin is list and args and args[0] in (float, date, datetime):
        return "list", []
    if tp is dict or origin in (dict, list, tuple) or (isinstance(tp, type) and issubclass(tp, BaseModel)):
        return "json", []
    return "text", []  # anything else pydantic parses from text (a URL, a decimal...)


def fields_of(kind: RecordKind, schema: type[BaseModel], services: list[str], *, editing: bool) -> list[FormField]:
    out = []
    for name, info in schema.model_fields.items():
        widget, choices = widget_of(kind, name, info.annotation, info.metadata, services)
        help_text = info.description or ""
        if widget == "datetime":
            help_text = f"{help_text}. {DATETIME_HINT}".strip(". ") if help_text else DATETIME_HINT
        elif widget == "ids":
            help_text = (help_text + ". " if help_text else "") + "Numbers or references separated by commas"
        elif widget == "list":
            help_text = (help_text + ". " if help_text else "") + "Separated by commas"
        elif widget == "json":
            help_text = (help_text + ". " if help_text else "") + "JSON"
        required = info.is_required() and not editing
        label = name.replace("_", " ").capitalize()
        nullable = _plain(kind.create.model_fields[name].annotation)[1] if name in kind.create.model_fields else True
        out.append(FormField(name, label, widget, required, help_text, choices, nullable=nullable))
    return out


def shown(fields: list[FormField], values: dict) -> list[FormField]:
    """The fields filled with a record's values (an edit form)."""
    for f in fields:
        v = values.get(f.name)
        if f.widget == "checkbox":
            f.value = bool(v)
        elif f.widget == "choices":
            f.value = list(v or [])
        elif f.widget == "json":
            f.value = "" if v is None else json.dumps(_dumpable(v), indent=2, sort_keys=True, default=str)
        else:  # text_of gives None for no value (None or an empty list)
            f.value = text_of(v) or ""
    return fields


def _dumpable(v):
    if isinstance(v, BaseModel):
        return v.model_dump(mode="json")
    if isinstance(v, list):
        return [_dumpable(x) for x in v]
    return v


def submitted(fields: list[FormField], form: dict[str, list[str]], *, editing: bool) -> dict:
    """The body the form stands for. Creating: blank fields are left out (their defaults apply), blank
    required text is sent empty; editing: a blank field is cleared (None, or "" when the field cannot
    be null). Raises
    ``RecordInvalid`` for text that is not JSON where JSON is asked for."""
    body: dict[str, Any] = {}
    problems = []
    for f in fields:
        raw = form.get(f.name, [])
        if f.widget in ("checkbox", "choices"):
            f.value = "on" in raw if f.widget == "checkbox" else list(raw)
            body[f.name] = f.value
            continue
        f.value = raw[0] if raw else ""
        blank = not f.value.strip()
        if f.widget in ("ids", "list"):
            parts = [p for p in re.split(r"[,\s]+", f.value) if p]
            if parts or editing:
                body[f.name] = [_id(p) for p in parts] if f.widget == "ids" else parts
        elif f.widget == "json":
            value, problem = _json(f)
            if problem:
                problems.append(problem)
            elif value is not None:
                body[f.name] = value
        elif not blank:
            body[f.name] = f.value
        elif f.required and f.widget in ("text", "textarea"):
            body[f.name] = ""  # as the API would get it: "should have at least 1 character"
        elif editing:
            body[f.name] = None if f.nullable or f.widget not in ("text", "textarea") else ""
    if problems:
        raise RecordInvalid(problems)
    return body


def _id(text: str) -> str:
    """``CI-000003`` or ``3`` -> ``"3"`` (pydantic turns it into the number, or says why not)."""
    m = re.fullmatch(r"[A-Za-z]+-0*(\d+)", text)
    return m.group(1) if m else text


def _json(f: FormField) -> tuple[Any, str | None]:
    if not f.value.strip():
        return None, None
    try:
        return json.loads(f.value), None
    except ValueError as exc:
        return None, f"body.{f.name}: not valid JSON: {exc}"


def attach(fields: list[FormField], problems: list[str]) -> list[str]:
    """Put each ``body.<field>...: message`` problem on its field; returns those that belong to none."""
    by_name = {f.name: f for f in fields}
    rest = []
    for p in problems:
        path, _, message = p.partition(": ")
        parts = path.split(".")
        target = by_name.get(parts[1]) if len(parts) > 1 and parts[0] == "body" else None
        if target is None:
            rest.append(p)
        else:
            where = ".".join(parts[2:])
            target.errors.append(f"{where}: {message}" if where else message)
    return rest
