"""The PromQL scanner: function names, MetricsQL detection, applying and removing windows."""

from __future__ import annotations

import re

import pytest

from sms_metrics.catalogue.promql import apply_window, functions, problems, unwrap_window


def test_functions_are_found_but_keywords_label_lists_and_strings_are_not():
    q = 'sum by (code) (rate(x{a="rate(b)"}[5m])) / on(code) group_left(job) label_replace(y, "d", "$1", "s", "(.*)")'
    assert functions(q) == ["sum", "rate", "label_replace"]


@pytest.mark.parametrize(
    "query, store, want",
    [
        ("sum(rate(x[5m]))", "prometheus", []),
        ("histogram_share(0.5, x)", "prometheus", ["uses MetricsQL function(s) histogram_share"]),
        ("histogram_share(0.5, x)", "victoriametrics", []),
        ("vector(1)[5m]", "prometheus", ["takes a range of an expression (MetricsQL)"]),
        ("(sum(x))[5m:1m]", "prometheus", []),
        ("sum(ratez(x[5m]))", "victoriametrics", ["unknown function(s) ratez"]),
    ],
)
def test_problems_name_what_the_store_cannot_run(query, store, want):
    got = problems(query, store)
    assert len(got) == len(want) and all(g.startswith(w) for g, w in zip(got, want, strict=True))


@pytest.mark.parametrize(
    "query, counter, windowed",
    [
        ("sum(x)", True, "sum(rate(x[{{window}}]))"),
        ('sum by (le) (x_bucket{le="0.5"})', True, 'sum by (le) (rate(x_bucket{le="0.5"}[{{window}}]))'),
        (
            "sum(g) / sum(h offset 1h)",
            False,
            "sum(avg_over_time(g[{{window}}])) / sum(avg_over_time(h[{{window}}] offset 1h))",
        ),
        ("sum(rate(x[5m]))", True, "sum(rate(x[{{window}}]))"),
        ("max(rate(x[5m]))", False, "avg_over_time((max(rate(x[5m])))[{{window}}:])"),
        ("sum(rate(x[{{window}}]))", True, "sum(rate(x[{{window}}]))"),
    ],
)
def test_the_window_is_applied_and_taken_back_out(query, counter, windowed):
    assert apply_window(query, counter) == windowed
    if "{{window}}" not in query and "[" not in query:
        assert unwrap_window(windowed) == (query, counter)


@pytest.mark.parametrize(
    "query, why",
    [
        ("vector(1)", "reads no series"),
        ("sum_over_time(x[5m])", "takes a range outside rate()/increase()"),
        ("rate(x[5m]) + y", "mixes ranges and bare selectors"),
    ],
)
def test_queries_that_cannot_take_a_window_say_why(query, why):
    with pytest.raises(ValueError, match=re.escape(why)):
        apply_window(query, True)


def test_unwrapping_refuses_queries_it_did_not_shape():
    assert unwrap_window("sum(increase(x[{{window}}]))") is None
    assert unwrap_window("sum(rate(x[{{window}}])) - count(y)") is None
