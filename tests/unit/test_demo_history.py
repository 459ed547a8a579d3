"""The demo history is deterministic: a closed month has the same samples whenever it is generated."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from sms_metrics.catalogue import load_catalogue
from sms_metrics.demo import DEMO_CATALOGUE
from sms_metrics.demo.history import write_demo_history

OCT = (datetime(2026, 10, 1, tzinfo=UTC).timestamp(), datetime(2026, 11, 1, tzinfo=UTC).timestamp())


def _samples(path, prefix):
    """{(series, t): value} of the sample lines starting with ``prefix`` within October 2026."""
    out = {}
    for line in path.read_text().splitlines():
        if line.startswith(prefix):
            series, value, t = line.rsplit(" ", 2)
            if OCT[0] <= float(t) < OCT[1]:
                out[(series, float(t))] = float(value)
    return out


def _increases(samples):
    by_series: dict[str, list] = {}
    for (series, _t), v in sorted(samples.items()):
        by_series.setdefault(series, []).append(v)
    return {s: np.diff(v).tolist() for s, v in by_series.items()}


def test_october_is_the_same_whatever_the_history_starts_and_ends(tmp_path):
    cat = load_catalogue(DEMO_CATALOGUE)
    a, b = tmp_path / "a.om", tmp_path / "b.om"
    write_demo_history(cat, a, start=datetime(2026, 9, 28, tzinfo=UTC), end=datetime(2026, 11, 3, 7, 13, tzinfo=UTC))
    write_demo_history(cat, b, start=datetime(2026, 9, 20, 5, tzinfo=UTC), end=datetime(2026, 12, 1, 17, tzinfo=UTC))
    for gauge in ("probe_success", "probe_duration_seconds"):
        got_a, got_b = _samples(a, gauge), _samples(b, gauge)
        assert len(got_a) > 31 * 1400 and got_a == got_b
    # Counters start from the history's start, so their values differ; every increase is the same.
    requests_a, requests_b = _samples(a, "http_requests_total"), _samples(b, "http_requests_total")
    assert requests_a != requests_b and _increases(requests_a) == _increases(requests_b)


def test_probes_fail_now_and_then_and_have_gaps(tmp_path):
    cat = load_catalogue(DEMO_CATALOGUE)
    path = tmp_path / "h.om"
    write_demo_history(cat, path, start=datetime(2026, 10, 1, tzinfo=UTC), end=datetime(2026, 11, 1, tzinfo=UTC))
    probes = _samples(path, "probe_success{")
    series = {s for s, _ in probes}
    down = sum(1 for v in probes.values() if v == 0)
    assert 0 < down < len(series) * 31 * 1440 * 0.01  # outages, well under 1% of the month
    assert len(probes) < len(series) * 31 * 1440  # gaps: unknown time
