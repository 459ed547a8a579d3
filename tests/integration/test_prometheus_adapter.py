"""The Prometheus adapter against real servers: splitting, retries and one-line errors."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sms_metrics.adapters.prometheus import PrometheusHTTP
from sms_metrics.errors import PrometheusQueryError, PrometheusUnreachable
from sms_metrics.localstack.prometheus import LocalPrometheus, free_port
from tests.integration import scenario as sc
from tests.integration.conftest import run_cli

pytestmark = pytest.mark.integration


def test_long_range_queries_are_split_under_11000_points(history_prometheus):
    prom = PrometheusHTTP(history_prometheus.url)
    start = sc.DATA_START + timedelta(minutes=1)
    series = prom.query_range("vector(1)", start, sc.DATA_END - timedelta(minutes=1), 60)
    assert len(series) == 1
    assert len(series[0].timestamps) == sc.MINUTES - 1  # 50,399 points: five requests
    assert (series[0].timestamps[1:] - series[0].timestamps[:-1] == 60).all()
    assert series[0].timestamps[0] == start.timestamp()


def test_prometheus_itself_refuses_more_than_11000_points(history_prometheus):
    import requests

    r = requests.get(
        f"{history_prometheus.url}/api/v1/query_range",
        params={
            "query": "probe_success",
            "start": sc.DATA_START.timestamp(),
            "end": sc.DATA_END.timestamp(),
            "step": 60,
        },
    )
    assert r.status_code == 400 and "11,000" in r.text


def test_bad_promql_names_the_expression(history_prometheus):
    prom = PrometheusHTTP(history_prometheus.url)
    with pytest.raises(PrometheusQueryError) as e:
        prom.query("sum(rate(x[5m])", sc.DATA_END)
    assert "sum(rate(x[5m])" in str(e.value) and history_prometheus.url in str(e.value)
    assert "parse error" in str(e.value)


def test_unreachable_server_is_one_line_naming_the_url():
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(PrometheusUnreachable, match=f"cannot reach Prometheus at {url}"):
        PrometheusHTTP(url, retries=1, backoff=0).query("up", sc.DATA_END)


class _Answers(BaseHTTPRequestHandler):
    def answer(self, data: dict | None) -> None:
        """200 with Prometheus' success envelope around ``data``; None: 404."""
        if data is None:
            self.send_response(404)
            self.end_headers()
            return
        body = json.dumps({"status": "success", "data": data}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


class _Flaky(_Answers):
    failures = 2
    calls = 0

    def do_GET(self):
        type(self).calls += 1
        if type(self).calls <= type(self).failures:
            self.send_response(503)
            self.end_headers()
            return
        self.answer({"resultType": "vector", "result": [{"metric": {"job": "x"}, "value": [1, "42"]}]})


def test_transient_failures_are_retried_with_backoff():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        prom = PrometheusHTTP(f"http://127.0.0.1:{server.server_port}", retries=3, backoff=0.01)
        assert prom.query("up", sc.DATA_END) == [({"job": "x"}, 42.0)]
        assert _Flaky.calls == 3
    finally:
        server.shutdown()


def test_cli_errors_are_one_line_without_traceback(catalogue_file, tmp_path, history_prometheus):
    url = f"http://127.0.0.1:{free_port()}"
    done = run_cli(
        "report",
        "availability",
        "--catalogue",
        str(catalogue_file),
        "--prometheus",
        url,
        "--period",
        "2026-10",
        env={"SMS_PROMETHEUS_RETRIES": "0"},
    )
    assert done.returncode == 4
    assert f"cannot reach Prometheus at {url}" in done.stderr and "Traceback" not in done.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text(sc.CATALOGUE.replace('probe_success{service="web"}', 'probe_success{service=~"(web"}'))
    done = run_cli(
        "report",
        "availability",
        "--catalogue",
        str(bad),
        "--prometheus",
        history_prometheus.url,
        "--service",
        "web",
        "--period",
        "2026-10",
    )
    assert done.returncode == 4
    assert 'probe_success{service=~"(web"}' in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""


def test_invalid_catalogue_from_the_cli_lists_errors(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(sc.CATALOGUE.replace("availability_target: 99.5", "availability_target: 150"))
    done = run_cli("catalogue", "validate", str(bad))
    assert done.returncode == 2
    assert "services[1].sla.availability_target: must be > 0 and <= 100" in done.stderr
    assert "Traceback" not in done.stderr


def test_short_retention_is_warned_about(tmp_path, catalogue_file):
    with LocalPrometheus(tmp_path, retention="7d") as prom:
        done = run_cli(
            "report",
            "availability",
            "--catalogue",
            str(catalogue_file),
            "--prometheus",
            prom.url,
            "--service",
            "web",
            "--period",
            "2026-10",
        )
    assert done.returncode == 3
    report = json.loads(done.stdout)
    assert any("retention is 7 days" in w for w in report["warnings"])
    assert report["availability_percent"] is None


class _Thanos(_Answers):
    """Answers like a Thanos querier (buildinfo 0.x) and remembers what it was asked."""

    seen: list[tuple[str, dict]] = []

    def do_GET(self):
        from urllib.parse import parse_qs, urlsplit

        parts = urlsplit(self.path)
        type(self).seen.append((parts.path, {**parse_qs(parts.query), "org": self.headers.get("X-Scope-OrgID")}))
        self.answer(
            {
                "/api/v1/status/buildinfo": {"version": "0.34.1"},
                "/api/v1/query": {"resultType": "vector", "result": [{"metric": {}, "value": [1, "3"]}]},
                "/api/v1/query_range": {"resultType": "matrix", "result": []},
            }.get(parts.path)
        )


def test_a_thanos_querier_is_asked_for_raw_complete_data_with_the_configured_headers():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Thanos)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        prom = PrometheusHTTP(f"http://127.0.0.1:{server.server_port}", headers={"X-Scope-OrgID": "team-a"})
        info = prom.server()
        assert (info.kind, info.version, info.left_open, info.measured) == ("thanos", "0.34.1", False, True)
        prom.query_range("up", sc.DATA_START, sc.DATA_START + timedelta(hours=1), 60)
        path, params = _Thanos.seen[-1]
        assert path == "/api/v1/query_range"
        assert params["max_source_resolution"] == ["0s"] and params["partial_response"] == ["false"]
        assert {org for _, p in _Thanos.seen for org in [p["org"]]} == {"team-a"}
        assert prom.retention_seconds() is None  # Thanos has no flags endpoint: no retention warning
    finally:
        server.shutdown()
