"""`sms-metrics <kind> ...` derived from the declarations: create with options or JSON, list, show,
update, history and lifecycle verbs, with one-line errors and exit codes."""

from __future__ import annotations

import json

import pytest

from tests.integration.conftest import run_cli
from tests.register.conftest import CATALOGUE

pytestmark = pytest.mark.integration


@pytest.fixture()
def env(tmp_path):
    (tmp_path / "sms.yaml").write_text(CATALOGUE)
    return {
        "SMS_DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}",
        "SMS_CATALOGUE": str(tmp_path / "sms.yaml"),
        "SMS_PROMETHEUS_URL": "http://127.0.0.1:9",
        "SMS_PROMETHEUS_RETRIES": "0",
    }


def test_a_change_from_the_shell(env):
    out = run_cli(
        "changes",
        "create",
        "--title",
        "Patch kernel",
        "--services",
        "checkout",
        "--type",
        "standard",
        "--planned-start",
        "2026-12-05T01:00:00Z",
        "--planned-end",
        "2026-12-05T02:00:00Z",
        "--maintenance-window",
        "--actor",
        "alice",
        env=env,
    )
    assert out.returncode == 0 and out.stdout == "CHG-000001 created (approved)\n", out.stderr
    out = run_cli("changes", "create", "--json", '{"title": "Resize", "services": ["desk", "checkout"]}', env=env)
    assert out.stdout == "CHG-000002 created (requested)\n"
    listed = json.loads(run_cli("changes", "list", "--service", "desk", "--format", "json", env=env).stdout)
    assert [(c["ref"], c["services"]) for c in listed] == [("CHG-000002", ["desk", "checkout"])]
    out = run_cli("changes", "approve", "2", env=env)  # the budget gate cannot reach Prometheus: fails closed
    assert out.returncode == 2 and "fails closed: cannot reach Prometheus at http://127.0.0.1:9" in out.stderr
    out = run_cli("changes", "approve", "2", "--override", "CAB approved by phone", "--reason", "urgent", env=env)
    assert out.returncode == 0 and out.stdout == "change 2: approved\n", out.stderr
    out = run_cli("changes", "update", "2", "--risk", "high", "--reason", "touches payments", env=env)
    assert out.stdout == "CHG-000002 updated\n"
    history = run_cli("changes", "history", "2", env=env).stdout
    assert "risk: medium -> high  (touches payments)" in history and "override:error_budget" in history
    shown = json.loads(run_cli("changes", "show", "2", "--format", "json", env=env).stdout)
    assert shown["status"] == "approved" and shown["risk"] == "high"
    out = run_cli("changes", "close", "2", env=env)
    assert out.returncode == 2 and "a change cannot go from approved to closed" in out.stderr
    out = run_cli("changes", "create", "--title", "x", "--services", "nope", env=env)
    assert out.returncode == 2 and "unknown service 'nope'" in out.stderr and "Traceback" not in out.stderr
    out = run_cli("changes", "show", "99", env=env)
    assert out.returncode == 2 and out.stderr.strip().endswith("change 99 does not exist")


def test_tokens_from_the_shell(env):
    out = run_cli("tokens", "create", "--name", "alice", "--role", "manager", env=env)
    assert out.returncode == 0 and out.stdout.splitlines()[1].startswith("sms_")
    assert "alice" in run_cli("tokens", "list", env=env).stdout
    assert run_cli("tokens", "revoke", "1", env=env).stdout == "token 1 (alice) revoked\n"
    out = run_cli("tokens", "create", "--name", "bob", "--role", "root", env=env)
    assert out.returncode == 2 and "role" in out.stderr
