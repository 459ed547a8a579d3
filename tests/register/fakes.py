"""A fake of the Prometheus port for the framework's generated tests (pure register logic): every error
budget is left and every probe passes. Gates' measurements are tested against a real Prometheus in
tests/e2e."""

from __future__ import annotations

from sms_metrics.adapters.prometheus import PrometheusPort


class HealthyPrometheus(PrometheusPort):
    url = "http://fake"

    def query_range(self, expr, start, end, step_seconds):
        return []

    def query(self, expr, at):
        if "period_error_budget_remaining" in expr:
            return [({"service": s, "slo": "availability"}, 0.5) for s in ("checkout", "desk")]
        if "probe_success" in expr:
            return [({"service": "checkout", "probe": "home"}, 1.0)]
        return []

    def major_version(self):
        return 2

    def retention_seconds(self):
        return None
