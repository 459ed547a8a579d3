"""A small PromQL scanner: the functions a query calls, its series selectors, and the window
rewrites the importers and exporters need. Not a parser: it knows tokens, brackets and which
words are keywords, which is enough to find selectors and function names reliably.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sms_metrics.catalogue.promql_names import AGGREGATIONS, GROUPING, KEYWORDS, METRICSQL, PROMQL

WINDOW = "{{window}}"
_TOKEN = re.compile(
    r"""(?P<space>\s+|\#[^\n]*)
      |(?P<tmpl>\{\{.*?\}\})
      |(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
      |(?P<number>\d[\w.]*|\.\d[\w.]*)
      |(?P<ident>[a-zA-Z_:][a-zA-Z0-9_:]*)
      |(?P<op>==|!=|<=|>=|=~|!~|[-+*/%^<>=@,(){}\[\]])""",
    re.X | re.S,
)
_WINDOW_TMPL = re.compile(r"^\{\{\s*\.?window\s*\}\}$")


@dataclass(frozen=True)
class Tok:
    kind: str
    text: str
    start: int
    end: int


def tokens(query: str) -> list[Tok]:
    out, pos = [], 0
    while pos < len(query):
        m = _TOKEN.match(query, pos)
        if not m:
            raise ValueError(f"unexpected character {query[pos]!r} at position {pos}")
        if m.lastgroup != "space":
            out.append(Tok(str(m.lastgroup), m.group(), m.start(), m.end()))
        pos = m.end()
    return out


def _closing(toks: list[Tok], i: int) -> int:
    """Index of the bracket closing the one at ``i`` (or len(toks))."""
    pairs = {"(": ")", "{": "}", "[": "]"}
    depth, open_ = 0, toks[i].text
    for j in range(i, len(toks)):
        if toks[j].text == open_:
            depth += 1
        elif toks[j].text == pairs[open_]:
            depth -= 1
            if depth == 0:
                return j
    return len(toks)


def _inside(query: str, toks: list[Tok], i: int) -> str:
    """The text between the bracket at ``i`` and the one closing it."""
    close = _closing(toks, i)
    return query[toks[i].end : toks[close].start] if close < len(toks) else query[toks[i].end :]


def _is(toks: list[Tok], i: int, text: str) -> bool:
    return i < len(toks) and toks[i].kind == "op" and toks[i].text == text


def _call(toks: list[Tok], i: int) -> bool:
    """Whether the identifier at ``i`` names a function or aggregation (``sum by (x) (...)`` too)."""
    t = toks[i]
    if t.kind != "ident" or t.text.lower() in KEYWORDS:
        return False
    nxt = toks[i + 1] if i + 1 < len(toks) else None
    return _is(toks, i + 1, "(") or (
        t.text in AGGREGATIONS and nxt is not None and nxt.text.lower() in ("by", "without")
    )


def functions(query: str) -> list[str]:
    """Every function or aggregation the query calls, in order."""
    toks = tokens(query)
    return [t.text for i, t in enumerate(toks) if _call(toks, i)]


def problems(query: str, store: str = "prometheus") -> list[str]:
    """Why ``query`` is not PromQL (or MetricsQL, for a VictoriaMetrics store); empty when fine."""
    try:
        toks = tokens(query)
    except ValueError as exc:
        return [str(exc)]
    names = functions(query)
    vm = store == "victoriametrics"
    unknown = sorted({n for n in names if n not in PROMQL and n.lower() not in METRICSQL})
    out = [f"unknown function(s) {', '.join(unknown)}"] if unknown else []
    metricsql = sorted({n for n in names if n not in PROMQL and n.lower() in METRICSQL})
    if metricsql and not vm:
        out.append(
            f"uses MetricsQL function(s) {', '.join(metricsql)}, which Prometheus does not have "
            "(set `store: victoriametrics` in the catalogue if the store is VictoriaMetrics)"
        )
    ranged = [i for i, t in enumerate(toks) if t.text == "[" and i and toks[i - 1].text == ")"]
    if not vm and any(":" not in _inside(query, toks, i) for i in ranged):
        out.append("takes a range of an expression (MetricsQL); PromQL needs a subquery such as (expr)[5m:]")
    return out


@dataclass(frozen=True)
class Selector:
    start: int  # character span of ``name{matchers}``
    end: int
    range_tok: int | None  # token index of ``[`` when a range follows
    after: int  # character index after the range and the offset/@ modifiers
    fn: str | None  # the function whose only argument this is, if any
    fn_start: int  # character span of that whole call
    fn_end: int


def _modifiers(toks: list[Tok], j: int) -> int:
    """Token index after ``offset -5m`` / ``@ 123`` / ``@ start()`` modifiers starting at ``j``."""
    while j < len(toks):
        if toks[j].kind == "ident" and toks[j].text == "offset":
            j += 3 if _is(toks, j + 1, "-") else 2
        elif _is(toks, j, "@"):
            j += 4 if _is(toks, j + 2, "(") else 2
        else:
            return j
    return j


def selectors(query: str) -> list[Selector]:
    """The series selectors of ``query`` (not label lists, functions or keywords)."""
    toks, out, i = tokens(query), [], 0
    while i < len(toks):
        t = toks[i]
        if t.kind == "ident" and t.text.lower() in GROUPING and _is(toks, i + 1, "("):
            i = _closing(toks, i + 1) + 1
        elif t.text == "[":
            i = _closing(toks, i) + 1
        elif t.kind == "ident" and (_call(toks, i) or t.text.lower() in KEYWORDS):
            i += 1
        elif t.kind == "ident" or _is(toks, i, "{"):
            j = i + 1 if t.kind == "ident" else i
            if _is(toks, j, "{"):
                j = _closing(toks, j) + 1
            end = toks[j - 1].end
            rng = j if _is(toks, j, "[") else None
            k = _modifiers(toks, _closing(toks, j) + 1 if rng is not None else j)
            after = toks[k - 1].end
            sole = i >= 2 and _is(toks, i - 1, "(") and toks[i - 2].kind == "ident" and _is(toks, k, ")")
            fn = toks[i - 2].text if sole else None
            fs, fe = (toks[i - 2].start, toks[k].end) if sole else (0, 0)
            out.append(Selector(t.start, end, rng, after, fn, fs, fe))
            i = k
        else:
            i += 1
    return out


def has_window(query: str) -> bool:
    return any(t.kind == "tmpl" and _WINDOW_TMPL.match(t.text) for t in tokens(query))


def apply_window(query: str, counter: bool) -> str:
    """OpenSLO's ratio queries have no window: sms-metrics applies it. A counter's selectors become
    ``rate(sel[{{window}}])``; a gauge's ``avg_over_time(sel[{{window}}])``. Ranges a counter query
    already has inside rate/increase/irate become the window; a gauge expression with ranges is
    averaged as a whole (a subquery). Raises ValueError when the query cannot take a window."""
    if has_window(query):
        return query
    toks, sels = tokens(query), selectors(query)
    if not sels:
        raise ValueError("reads no series, so it has no window to apply")
    ranged = [s for s in sels if s.range_tok is not None]
    if ranged and not counter:
        return f"avg_over_time(({query.strip()})[{WINDOW}:])"
    out, last = [], 0
    for s in sels:
        if s.range_tok is None and not ranged:
            out += [query[last : s.start], "rate(" if counter else "avg_over_time(", query[s.start : s.end]]
            out += [f"[{WINDOW}]", query[s.end : s.after], ")"]
            last = s.after
        elif s.range_tok is not None:
            close = toks[_closing(toks, s.range_tok)]
            if s.fn not in ("rate", "increase", "irate") or ":" in _inside(query, toks, s.range_tok):
                raise ValueError(f"takes a range outside rate()/increase() ({query[s.start : s.after]})")
            out += [query[last : toks[s.range_tok].end], WINDOW]
            last = close.start
        else:
            raise ValueError(f"mixes ranges and bare selectors ({query[s.start : s.end]})")
    return "".join(out) + query[last:]


_WHOLE_GAUGE = re.compile(r"^\s*avg_over_time\(\((?P<q>.*)\)\[\{\{\s*\.?window\s*\}\}:\]\)\s*$", re.S)


def unwrap_window(query: str) -> tuple[str, bool] | None:
    """The inverse of ``apply_window``: (query without window, counter) when ``query`` has the
    shape ``apply_window`` gives, else None."""
    m = _WHOLE_GAUGE.match(query)
    if m:
        return m["q"], False
    toks = tokens(query)
    tmpl = [i for i, t in enumerate(toks) if t.kind == "tmpl"]
    sels = selectors(query)
    wrapped = [
        s
        for s in sels
        if s.fn in ("rate", "avg_over_time")
        and s.range_tok is not None
        and _closing(toks, s.range_tok) == s.range_tok + 2
        and toks[s.range_tok + 1].kind == "tmpl"
    ]
    if not tmpl or len(wrapped) != len(tmpl) or len(wrapped) != len(sels) or len({s.fn for s in wrapped}) != 1:
        return None
    out, last = [], 0
    for s in wrapped:
        assert s.range_tok is not None
        rng_end = toks[s.range_tok + 2].end
        out += [query[last : s.fn_start], query[s.start : s.end], query[rng_end : s.after]]
        last = s.fn_end
    return "".join(out) + query[last:], wrapped[0].fn == "rate"
