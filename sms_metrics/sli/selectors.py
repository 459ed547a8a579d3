"""Parse plain PromQL series selectors and match label sets against them (for batched reads)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_MATCHER = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)')
_SELECTOR = re.compile(r"^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{(.*)\})?\s*$", re.S)


@dataclass(frozen=True)
class Selector:
    name: str
    matchers: tuple[tuple[str, str, str], ...]

    def equality(self, label: str) -> str | None:
        return next((v for lab, op, v in self.matchers if lab == label and op == "="), None)

    def matches(self, labels: dict[str, str]) -> bool:
        for lab, op, value in self.matchers:
            have = labels.get(lab, "")
            if (op == "=" and have != value) or (op == "!=" and have == value):
                return False
            if op in ("=~", "!~") and (re.fullmatch(value, have) is None) == (op == "=~"):
                return False
        return True


def parse_selector(text: str) -> Selector | None:
    """``name{l="v", ...}`` as a ``Selector``; None when it is not that simple shape."""
    m = _SELECTOR.match(text)
    if not m:
        return None
    body, matchers, pos = (m.group(2) or "").strip(), [], 0
    while pos < len(body):
        mm = _MATCHER.match(body, pos)
        if not mm:
            return None
        value = bytes(mm.group(3), "utf-8").decode("unicode_escape")
        if mm.group(1) == "__name__":
            return None
        matchers.append((mm.group(1), mm.group(2), value))
        pos = mm.end()
    return Selector(m.group(1), tuple(matchers))


def union_label(selectors: list[Selector]) -> str | None:
    """A label every selector matches by equality (prefer ``service``), or None."""
    if not selectors:
        return None
    common = set.intersection(*({lab for lab, op, _ in s.matchers if op == "="} for s in selectors))
    if not common:
        return None
    return "service" if "service" in common else sorted(common)[0]


def promql_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
