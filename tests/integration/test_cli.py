"""The command line as a user runs it: help, the main command `up`, catalogue import."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.integration.conftest import run_cli

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["report"],
        ["report", "availability"],
        ["catalogue"],
        ["catalogue", "validate"],
        ["catalogue", "import"],
        ["catalogue", "export"],
        ["up"],
    ],
)
def test_every_command_has_help(args):
    done = run_cli(*args, "--help")
    assert done.returncode == 0, done.stderr
    assert "Usage" in done.stdout


def test_up_runs_the_demo_and_writes_every_format(tmp_path):
    done = run_cli(
        "up",
        "--out",
        str(tmp_path / "reports"),
        "--period",
        "2026-10",
        env={"SMS_WORK_DIR": str(tmp_path / "work")},
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    files = sorted(p.name for p in (tmp_path / "reports").iterdir())
    assert files == [
        "availability-2026-10.csv",
        "availability-2026-10.html",
        "availability-2026-10.json",
        "availability-2026-10.md",
        "capacity.csv",
        "capacity.html",
        "capacity.json",
        "capacity.md",
    ]
    reports = json.loads((tmp_path / "reports" / "availability-2026-10.json").read_text())
    assert [r["service"] for r in reports] == ["checkout", "search", "catalogue-api", "payments-gateway"]
    assert all(r["availability_percent"] is not None and r["data_coverage_percent"] > 99 for r in reports)
    checkout = reports[0]
    assert checkout["excluded_seconds"] == 7200  # the catalogue's maintenance window
    assert 0 < checkout["downtime_seconds"] < 31 * 86400
    assert "Availability by service" in done.stdout
    capacity = {d["resource"]: d for d in json.loads((tmp_path / "reports" / "capacity.json").read_text())}
    disk, conns = capacity["db-disk"], capacity["connections"]
    left = datetime.fromisoformat(disk["exhaustion"]["at"]) - datetime.now(UTC)
    assert disk["status"] == "plan" and timedelta(days=23) < left < timedelta(days=27)  # 25 days of space left
    assert conns["status"] == "ok" and conns["exhaustion"]["at"] is None
    assert all(p["lower_95"] >= 0 for p in disk["forecast"]) and disk["unit"] == "bytes"
    assert "GiB" in (tmp_path / "reports" / "capacity.md").read_text()
    assert "Capacity forecasts" in done.stdout


def test_catalogue_import_writes_a_valid_catalogue(tmp_path):
    sloth = tmp_path / "sloth.yaml"
    sloth.write_text("""
version: "prometheus/v1"
service: "billing"
slos:
  - name: requests-availability
    objective: 99.5
    sli:
      events:
        error_query: sum(rate(http_requests_total{job="billing",code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total{job="billing"}[{{.window}}]))
""")
    out = tmp_path / "sms.yaml"
    done = run_cli("catalogue", "import", str(sloth), "--out", str(out))
    assert done.returncode == 0, done.stderr
    done = run_cli("catalogue", "validate", str(out))
    assert done.returncode == 0 and "valid (1 services, 1 SLOs)" in done.stdout


IMPORTS = Path(__file__).resolve().parents[1] / "fixtures" / "imports"


def test_catalogue_import_refuses_by_field_and_lenient_warns(tmp_path):
    refused = IMPORTS / "refused" / "sloth-sli-plugin.yaml"
    out = tmp_path / "sms.yaml"
    done = run_cli("catalogue", "import", str(refused), "--out", str(out))
    assert done.returncode == 2 and "slos[0].sli.plugin: an SLI plugin is Go code" in done.stderr
    assert not out.exists()  # nothing partial written
    payments = str(IMPORTS / "sloth" / "payments.yaml")
    done = run_cli("catalogue", "import", str(refused), payments, "--lenient", "-o", str(out), env={"COLUMNS": "400"})
    assert done.returncode == 0, done.stderr
    assert "WARNING" in done.stderr and "sloth-sli-plugin.yaml: slos[0].sli.plugin" in done.stderr
    assert run_cli("catalogue", "validate", str(out)).returncode == 0


@pytest.mark.parametrize("fmt", ["sloth", "openslo"])
def test_catalogue_export_imports_back_into_the_same_catalogue(tmp_path, fmt):
    first, exported, again = tmp_path / "first.yaml", tmp_path / f"{fmt}.yaml", tmp_path / "again.yaml"
    files = [str(IMPORTS / "sloth" / "payments.yaml"), str(IMPORTS / "sloth" / "k8s-ledger.yaml")]
    assert run_cli("catalogue", "import", *files, "-o", str(first)).returncode == 0
    done = run_cli("catalogue", "export", str(first), "--format", fmt, "-o", str(exported))
    assert done.returncode == 0, done.stderr
    assert run_cli("catalogue", "import", str(exported), "-o", str(again)).returncode == 0
    assert again.read_text() == first.read_text()


def test_catalogue_export_to_sloth_names_what_sloth_cannot_say(tmp_path):
    done = run_cli("catalogue", "export", "sms_metrics/demo/sms.yaml", "--format", "sloth", cwd=Path.cwd())
    assert done.returncode == 2 and "services[0].sla: Sloth has no SLA" in done.stderr and done.stdout == ""


def test_unknown_service_and_bad_period_are_clear_errors(catalogue_file, history_prometheus):
    done = run_cli(
        "report",
        "availability",
        "-c",
        str(catalogue_file),
        "-p",
        history_prometheus.url,
        "--service",
        "nope",
        "--period",
        "2026-10",
    )
    assert done.returncode == 2 and "service 'nope' is not in the catalogue" in done.stderr
    done = run_cli(
        "report", "availability", "-c", str(catalogue_file), "-p", history_prometheus.url, "--period", "October"
    )
    assert done.returncode == 2 and "invalid period 'October'" in done.stderr
    done = run_cli(
        "report",
        "availability",
        "-c",
        str(catalogue_file),
        "-p",
        history_prometheus.url,
        "--period",
        "2026-10",
        "--format",
        "pdf",
    )
    assert done.returncode == 2 and "--format 'pdf' is not supported" in done.stderr


@pytest.mark.parametrize("command", [["report", "availability"], ["forecast"]])
def test_an_unreachable_prometheus_is_one_line_after_the_retries(command):
    from sms_metrics.demo import DEMO_CATALOGUE

    done = run_cli(*command, "-c", str(DEMO_CATALOGUE), "-p", "http://127.0.0.1:9", env={"SMS_LOG_LEVEL": "WARNING"})
    assert done.returncode == 4
    assert done.stderr.strip().splitlines() == [
        "error: cannot reach Prometheus at http://127.0.0.1:9: [Errno 111] Connection refused"
    ]
