"""Which PromQL server answers, from its own answers (pure logic; the real servers are in
tests/integration/test_victoria_parity.py)."""

from __future__ import annotations

import pytest

from sms_metrics.adapters import servers as sv
from sms_metrics.adapters.servers import ServerInfo


@pytest.mark.parametrize(
    ("buildinfo", "marker", "kind"),
    [
        ({"version": "2.42.0+ds"}, False, "prometheus"),
        ({"version": "3.1.0"}, False, "prometheus"),
        ({"version": "0.34.1"}, False, "thanos"),
        ({"application": "Grafana Mimir", "version": "2.14.0"}, False, "mimir"),
        ({}, True, "victoriametrics"),  # Debian's VictoriaMetrics answers buildinfo with no data
        (None, True, "victoriametrics"),
        ({}, False, "unknown"),
    ],
)
def test_server_kinds(buildinfo, marker, kind):
    assert sv.classify(buildinfo, marker)[0] == kind


def test_range_boundaries_come_from_the_probe_and_else_from_the_kind():
    assert sv.left_open_from_probe(2, "unknown", None) == (True, True)
    assert sv.left_open_from_probe(3, "victoriametrics", None) == (False, True)  # measured wins
    assert sv.left_open_from_probe(None, "prometheus", "3.0.1") == (True, False)
    assert sv.left_open_from_probe(None, "prometheus", "2.53.0") == (False, False)
    assert sv.left_open_from_probe(None, "victoriametrics", None) == (True, False)


@pytest.mark.parametrize(
    ("flags", "days"),
    [('-retentionPeriod="100y"\n', 36500), ("-retentionPeriod=30d\n", 30), ('-retentionPeriod="12"\n', 372), ("", 31)],
)
def test_victoria_retention_in_months_or_with_a_unit(flags, days):
    assert sv.victoria_retention_seconds(flags) == days * 86400


def test_what_each_server_is_asked_and_warned_about():
    vm, thanos = ServerInfo("victoriametrics", None, True), ServerInfo("thanos", "0.34.1", False)
    assert vm.query_params == {"nocache": "1"} and vm.warnings_for("events") == [sv.RATE_NOTE]
    assert vm.warnings_for("probe") == [] and vm.major == 3
    assert thanos.query_params == {"max_source_resolution": "0s", "partial_response": "false"}
    assert thanos.warnings_for("events") == [] and "partial_response=false" in thanos.describe()
    assert ServerInfo("prometheus", "2.42.0", False).query_params == {}
