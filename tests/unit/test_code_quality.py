"""The tree stays lint-clean and formatted (ruff), and the pure packages type-check (mypy)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PURE = [
    "sms_metrics/core",
    "sms_metrics/forecasting",
    "sms_metrics/rules",
    "sms_metrics/catalogue",
    "sms_metrics/dashboards",
]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_ruff_finds_no_lint_problem():
    r = _run("ruff", "check", "--no-cache", ".")
    assert r.returncode == 0, r.stdout + r.stderr


def test_ruff_format_leaves_every_file_as_it_is():
    r = _run("ruff", "format", "--check", "--no-cache", ".")
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_accepts_the_pure_packages():
    r = _run("mypy", "--no-incremental", *PURE)
    assert r.returncode == 0, r.stdout + r.stderr
