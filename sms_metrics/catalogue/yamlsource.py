"""Reading YAML with positions, and turning pydantic errors into ``path: reason`` lines."""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import ValidationError

from sms_metrics.errors import CatalogueError

_FRIENDLY = {
    "extra_forbidden": "unknown field",
    "missing": "required field is missing",
}


def load_yaml_documents(text: str, source: str) -> list[tuple[Any, yaml.Node | None]]:
    """Every YAML document in ``text`` with its node tree (for line numbers)."""
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
        data = list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        problem = getattr(exc, "problem", None) or str(exc)
        raise CatalogueError(where, [f"invalid YAML: {problem}"]) from None
    return list(zip(data, nodes))


def format_loc(loc: tuple) -> str:
    """``('services', 1, 'sla', 'x')`` -> ``services[1].sla.x``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).startswith(("function-", "tagged-union")):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def line_of(node: yaml.Node | None, loc: tuple) -> int | None:
    """1-based line of the YAML node at ``loc``, or of its nearest existing parent."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def error_lines(exc: ValidationError, node: yaml.Node | None, prefix: tuple = ()) -> list[str]:
    """One ``line N: path: reason`` string per pydantic error."""
    out = []
    for err in exc.errors():
        loc = prefix + tuple(err["loc"])
        msg = _FRIENDLY.get(err["type"], err["msg"])
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        if err["type"] == "string_pattern_mismatch" and "A-Z" in str((err.get("ctx") or {}).get("pattern")):
            msg = (
                "must start and end with a letter or digit and hold only letters, digits, '-', '_' and '.', "
                f"got {err.get('input')!r}"
            )
        elif err["type"] == "string_pattern_mismatch":
            msg = f"must be lowercase letters, digits and '-' (e.g. checkout-api), got {err.get('input')!r}"
        if err["type"] == "literal_error":
            msg = f"{msg} (got {err.get('input')!r})"
        line = line_of(node, tuple(err["loc"]))
        out.append(f"{format_loc(loc)}: {msg}" + (f" (line {line})" if line else ""))
    return out
