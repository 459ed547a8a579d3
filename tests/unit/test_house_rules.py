"""House rule 1: the pure packages import no web, database, scheduler or HTTP library."""

import ast
from pathlib import Path

import pytest

PURE = ["core", "catalogue", "rules", "forecasting"]
FORBIDDEN = {
    "fastapi",
    "sqlalchemy",
    "apscheduler",
    "requests",
    "httpx",
    "prometheus_api_client",
    "uvicorn",
    "sms_metrics.adapters",
    "sms_metrics.register",
}
ROOT = Path(__file__).resolve().parents[2] / "sms_metrics"


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


@pytest.mark.parametrize("package", [p for p in PURE if (ROOT / p).exists()])
def test_pure_packages_stay_pure(package):
    bad = [
        (f.name, m)
        for f in (ROOT / package).rglob("*.py")
        for m in _imports(f)
        if any(m == x or m.startswith(x + ".") for x in FORBIDDEN)
    ]
    assert bad == []


def test_only_config_reads_the_environment():
    # localstack passes the environment on to the processes it starts (apt-get, serve), backup to pg_dump
    # (with PGPASSWORD added); none of them reads a setting from it
    allowed = {"config.py", "localstack/prometheus.py", "localstack/soak.py", "register/backup.py"}
    offenders = [
        str(f.relative_to(ROOT))
        for f in ROOT.rglob("*.py")
        if "os.environ" in f.read_text() and str(f.relative_to(ROOT)) not in allowed
    ]
    assert offenders == []
