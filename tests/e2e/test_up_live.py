"""`sms-metrics up` end to end, as a user runs it, on free ports: the demo target fails on its
schedule, the probe in the service sees it, Prometheus' generated rules fire the demo's fast alert,
Alertmanager delivers it to the webhook, an incident opens and then resolves. While it runs, every
PromQL expression of every generated dashboard panel runs on that Prometheus (demo history, the
generated rules, scrapes of the service) and must return data. SIGTERM then stops every process."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from sms_metrics.catalogue import load_catalogue
from sms_metrics.demo import DEMO_CATALOGUE
from sms_metrics.localstack.prometheus import free_port

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = ROOT / "dashboards" / "grafana"
ADMIN = "e2e-up-admin"
EVENT_PANELS = (
    "Certificate expiry",
    "Firing alerts",
    "Open incidents by priority",
    "annotation Firing alerts",
    "annotation Open incidents",
)
URL_LINE = re.compile(r"^  (service|Prometheus|Alertmanager|demo target)\s+(http://\S+)", re.M)


def _children() -> dict[int, int]:
    """{pid: parent pid} of every process."""
    out = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[int(stat.parent.name)] = int(fields[1])
    return out


def descendants(pid: int) -> set[int]:
    parents, found, frontier = _children(), set(), {pid}
    while frontier:
        frontier = {p for p, pp in parents.items() if pp in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("up")
    port = free_port()
    log = open(tmp / "stdout.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "sms_metrics.cli", "up", "--port", str(port)],
        cwd=tmp,
        env={**os.environ, "SMS_WORK_DIR": str(tmp / "work"), "SMS_ADMIN_TOKEN": ADMIN},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 600
    text = ""
    while "Press Ctrl-C to stop" not in text:
        assert proc.poll() is None, f"up exited with {proc.returncode}:\n{(tmp / 'stdout.log').read_text()[-3000:]}"
        assert time.monotonic() < deadline, "up did not come up within 10 minutes"
        time.sleep(1)
        text = (tmp / "stdout.log").read_text()
    urls = dict(URL_LINE.findall(text))
    yield {"proc": proc, "urls": urls, "dir": tmp, "up_at": datetime.now(UTC)}
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    log.close()


def _incidents(stack, **params) -> list[dict]:
    got = requests.get(
        f"{stack['urls']['service']}/api/v1/incidents",
        params=params,
        headers={"Authorization": f"Bearer {ADMIN}"},
        timeout=10,
    )
    assert got.status_code == 200, got.text
    return got.json()


def _wait(fn, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(2)
    raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")


def _demo_page(stack, status: str):
    found = [
        i
        for i in _incidents(stack, status=status, service="demo-target")
        if i["priority"] == "P1" and "page" in i["title"]
    ]
    return found[0] if found else None


# --- the dashboards' queries ---------------------------------------------------------------------


def _substitute(expr: str, values: dict[str, str], range_seconds: int) -> str:
    for name, value in values.items():
        expr = expr.replace(f"${{{name}}}", value).replace(f"${name}", value)
    return expr.replace("$__rate_interval", "1m").replace("$__interval", "1m").replace("$__range", f"{range_seconds}s")


def _range_seconds(board: dict, now: datetime) -> int:
    start = board["time"]["from"]
    if start == "now/M":
        return max(60, int((now - now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)).total_seconds()))
    m = re.fullmatch(r"now-(\d+)([hd])", start)
    assert m, f"unexpected time range {start}"
    return int(m[1]) * (3600 if m[2] == "h" else 86400)


def _run(prom: str, expr: str, *, instant: bool, range_seconds: int) -> list:
    end = time.time()
    if instant:
        got = requests.get(f"{prom}/api/v1/query", params={"query": expr, "time": end}, timeout=120)
    else:
        params = {"query": expr, "start": end - range_seconds, "end": end, "step": max(15, range_seconds // 200)}
        got = requests.get(f"{prom}/api/v1/query_range", params=params, timeout=120)
    body = got.json()
    assert body["status"] == "success", f"{expr}: {body.get('error')}"
    return body["data"]["result"]


def _queries(board: dict):
    """(title, expr, instant) of every panel target and every annotation."""
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            yield panel["title"], target["expr"], bool(target.get("instant"))
    for ann in board.get("annotations", {}).get("list", []):
        if ann.get("expr"):
            yield f"annotation {ann['name']}", ann["expr"], False


def _empty_panels(prom: str, board: dict, values: dict[str, str], skip=()) -> list[str]:
    now = datetime.now(UTC)
    seconds = _range_seconds(board, now)
    empty = []
    for title, expr, instant in _queries(board):
        if title in skip:
            continue
        if not _run(prom, _substitute(expr, values, seconds), instant=instant, range_seconds=seconds):
            empty.append(f"{board['title']}: {title} ({values})")
    return empty


def test_every_dashboard_panel_has_data_on_the_live_stack(stack):
    _wait(lambda: _demo_page(stack, "open"), 420, "the demo target's page incident to open")
    time.sleep(15)  # a scrape of the service with the incident in its gauges
    prom = stack["urls"]["Prometheus"]
    boards = {p.stem: json.loads(p.read_text()) for p in DASHBOARDS.glob("*.json")}
    assert sorted(boards) == ["capacity", "service-detail", "sla-overview", "sms-register"]
    everything = {"datasource": "prometheus", "service": ".*", "slo": ".*"}
    empty = []
    for name in ("sla-overview", "capacity", "sms-register"):
        empty += _empty_panels(prom, boards[name], everything)
    for svc in load_catalogue(DEMO_CATALOGUE).services:
        for slo in svc.slos:
            values = {"datasource": "prometheus", "service": svc.name, "slo": slo.name}
            # Only the demo target is probed over TLS and has an alert firing and an incident open now:
            # for the others these panels are rightly empty.
            skip = () if svc.name == "demo-target" else EVENT_PANELS
            empty += _empty_panels(prom, boards["service-detail"], values, skip)
    assert empty == [], "panels whose query returned nothing:\n" + "\n".join(empty)


def test_the_variables_list_every_catalogue_service_and_slo(stack):
    prom = stack["urls"]["Prometheus"]
    got = _run(prom, "count by (service, slo) (sloth_slo_info)", instant=True, range_seconds=0)
    cat = load_catalogue(DEMO_CATALOGUE)
    assert {(r["metric"]["service"], r["metric"]["slo"]) for r in got} == {
        (s.name, o.name) for s in cat.services for o in s.slos
    }


def test_sloths_dashboard_finds_its_series_and_labels(stack):
    """Sloth's Grafana dashboards select SLOs by sloth_service and sloth_slo and read these series."""
    prom = stack["urls"]["Prometheus"]
    sel = 'sloth_service="checkout", sloth_slo="availability"'
    for series in (
        "sloth_slo_info",
        "slo:sli_error:ratio_rate5m",
        "slo:sli_error:ratio_rate30d",
        "slo:objective:ratio",
        "slo:error_budget:ratio",
        "slo:time_period:days",
        "slo:current_burn_rate:ratio",
        "slo:period_burn_rate:ratio",
        "slo:period_error_budget_remaining:ratio",
    ):
        assert _run(prom, f"{series}{{{sel}}}", instant=True, range_seconds=0), series
        # backfilled over the history, not only since Prometheus started
        assert _run(prom, f"{series}{{{sel}}} offset 7d", instant=True, range_seconds=0), f"{series} a week ago"


def test_the_first_incident_opens_and_resolves_through_the_real_chain(stack):
    opened = _wait(lambda: _demo_page(stack, "open"), 420, "the demo target's page incident to open")
    assert opened["service"] == "demo-target" and opened["slo"] == "availability"
    resolved = _wait(lambda: _demo_page(stack, "resolved"), 300, "the page incident to resolve")
    assert resolved["id"] == opened["id"] and resolved["resolution_reason"] == "alert resolved"
    resolved_at = datetime.fromisoformat(resolved["resolved_at"].replace("Z", "+00:00"))
    assert (resolved_at - stack["up_at"]).total_seconds() < 300  # within five minutes of up being up
    metrics = requests.get(f"{stack['urls']['service']}/metrics", timeout=10).text
    delivered = re.search(r'^sms_webhook_deliveries_total\{result="ok"\} (\S+)', metrics, re.M)
    assert delivered and float(delivered[1]) >= 2  # the firing and the resolved notification
    assert re.search(r'^sms_sla_clock_events_total\{clock="response",event="breach"\} [1-9]', metrics, re.M)


def test_sigterm_stops_every_process_up_started(stack):
    proc = stack["proc"]
    started = descendants(proc.pid)
    names = {Path(f"/proc/{p}/exe").resolve().name for p in started if alive(p)}
    assert {"prometheus", "prometheus-alertmanager"} <= names
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 0
    deadline = time.monotonic() + 20
    while [p for p in started if alive(p)] and time.monotonic() < deadline:
        time.sleep(0.5)
    assert [p for p in started if alive(p)] == []
