"""The leadership and delivery kinds from a shell: a document's next version, an audit finding raising a
nonconformity, and the budget variance report, through the installed command."""

from __future__ import annotations

import csv
import io
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


def _ok(*args, env) -> str:
    done = run_cli(*args, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_document_is_published_and_revised_from_the_shell(env):
    assert _ok("documents", "create", "--title", "SMS policy", "--owner", "carol", "--version", "1.0", env=env) == (
        "DOC-000001 created (draft)\n"
    )
    for verb in ("submit", "approve", "publish"):
        _ok("documents", verb, "1", env=env)
    done = run_cli("documents", "update", "1", "--title", "changed", env=env)
    assert done.returncode == 2 and "published: its fields can no longer change" in done.stderr
    assert _ok("documents", "new-version", "1", env=env) == "DOC-000002 created (version 1.1, supersedes DOC-000001)\n"
    for verb in ("submit", "approve", "publish"):
        _ok("documents", verb, "2", env=env)
    chain = json.loads(_ok("documents", "versions", "2", env=env))
    assert [(d["ref"], d["status"]) for d in chain] == [("DOC-000001", "superseded"), ("DOC-000002", "published")]
    done = run_cli("documents", "reviewed", "2", "--next-review", "June", env=env)
    assert done.returncode == 2 and "--next-review 'June': use YYYY-MM-DD" in done.stderr


def test_an_audit_finding_raises_a_nonconformity_from_the_shell(env):
    body = {"title": "Q4 audit", "lead_auditor": "erin", "findings": [{"title": "no CAB minutes", "severity": "minor"}]}
    _ok("audits", "create", "--json", json.dumps(body), env=env)
    assert _ok("audits", "raise-nc", "1", "1", env=env) == "NC-000001 raised by finding 1 of AUD-000001\n"
    nc = json.loads(_ok("nonconformities", "show", "1", "--format", "json", env=env))
    assert (nc["title"], nc["audit_id"], nc["finding"]) == ("no CAB minutes", 1, 1)


def test_the_budget_variance_from_the_shell(env):
    for period, planned, actual in (("2026", "100", "120"), ("2026-Q2", "50", None)):
        args = ["--service", "checkout", "--period", period, "--category", "hosting", "--planned-amount", planned]
        _ok("budget-items", "create", *args, *(["--actual-amount", actual] if actual else []), env=env)
    for rid in ("1", "2"):
        _ok("budget-items", "approve", rid, env=env)
    rows = list(csv.DictReader(io.StringIO(_ok("budget-items", "variance", "--period", "2026", "-f", "csv", env=env))))
    assert [(r["service"], r["planned"], r["actual"], r["variance"], r["planned_without_actual"]) for r in rows] == [
        ("checkout", "150.00", "120.00", "20.00", "50.00"),
        ("checkout", "150.00", "120.00", "20.00", "50.00"),
        ("*", "150.00", "120.00", "20.00", "50.00"),
    ]
    done = run_cli("budget-items", "variance", "--period", "2026", "-f", "xml", env=env)
    assert done.returncode == 2 and "use json, csv, md" in done.stderr
