"""PromQL built for each SLI kind, selector parsing and range splitting."""

import itertools

import pytest

from sms_metrics.adapters.prometheus import MAX_POINTS, chunk_ranges
from sms_metrics.catalogue.model import SLI
from sms_metrics.sli.queries import event_queries, render_window, step_queries, window
from sms_metrics.sli.selectors import parse_selector, union_label


def test_step_window_covers_exactly_one_step_on_prometheus_2_and_3():
    assert window(60, left_open=False) == "59999ms"  # closed [T-59.999s, T] with offset 1ms
    assert window(60, left_open=True) == "60000ms"  # left-open (T-60s, T] with offset 1ms


def test_probe_detail_takes_the_worst_sample_of_all_series():
    q = step_queries(SLI(probe='probe_success{service="a"}'))
    assert q.detail(60, False) == 'min(min_over_time(probe_success{service="a"}[59999ms] offset 1ms))'
    q = step_queries(SLI(probe='probe_success{service="a"}', aggregate="max"))
    assert q.detail(60, False).startswith("max(min_over_time(")


def test_threshold_good_means_at_or_below_max():
    q = step_queries(SLI(threshold={"query": "probe_duration_seconds", "max": 0.5}))
    assert list(q.good(__import__("numpy").array([0.2, 0.5, 0.51]))) == [True, True, False]
    assert q.detail(60, True) == "max(max_over_time(probe_duration_seconds[60000ms] offset 1ms))"


def test_latency_sli_counts_requests_above_the_bucket_bound_as_errors():
    errors, total = event_queries(SLI(latency={"histogram": 'h_seconds{job="x"}', "threshold_seconds": 0.3}))
    assert total == 'sum(rate(h_seconds_count{job="x"}[{{window}}]))'
    assert errors == total + ' - sum(rate(h_seconds_bucket{job="x", le=~"0\\\\.3"}[{{window}}]))'
    _, _total_1 = event_queries(SLI(latency={"histogram": "h_seconds", "threshold_seconds": 1}))
    e1, _ = event_queries(SLI(latency={"histogram": "h_seconds", "threshold_seconds": 1}))
    assert 'le=~"1|1\\\\.0"' in e1


def test_window_template_is_rendered_in_seconds():
    assert render_window("rate(x[{{window}}]) / rate(y[{{ .window }}])", 3600) == "rate(x[3600s]) / rate(y[3600s])"


def test_selector_parsing_and_matching():
    sel = parse_selector('probe_success{service="web", probe=~"web-.*", env!="dev"}')
    assert sel.name == "probe_success" and sel.equality("service") == "web"
    assert sel.matches({"service": "web", "probe": "web-eu", "env": "prod"})
    assert not sel.matches({"service": "web", "probe": "api-eu", "env": "prod"})
    assert not sel.matches({"service": "web", "probe": "web-eu", "env": "dev"})
    assert parse_selector("sum(x)") is None
    assert union_label([sel, parse_selector('probe_success{service="api"}')]) == "service"


@pytest.mark.parametrize("n_points", [1, 11_000, 11_001, 50_400])
def test_range_queries_are_split_at_11000_points(n_points):
    chunks = chunk_ranges(0, (n_points - 1) * 60, 60)
    sizes = [int((b - a) / 60) + 1 for a, b in chunks]
    assert sum(sizes) == n_points and max(sizes) <= MAX_POINTS
    assert all(b + 60 == nxt for (_, b), (nxt, _) in itertools.pairwise(chunks))
