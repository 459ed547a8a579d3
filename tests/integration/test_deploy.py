"""docker-compose.yml and the Dockerfile, checked without a Docker engine: Debian's docker-compose
validates the file, promtool and amtool the configs it mounts, and the Dockerfile's build context
holds what it copies (a wheel is built from exactly that context)."""

from __future__ import annotations

import fnmatch
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict:
    done = subprocess.run(
        ["docker-compose", "-f", "docker-compose.yml", "config"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


def test_compose_runs_every_part_of_the_system(compose):
    assert set(compose["services"]) == {
        "sms-metrics",
        "demo-target",
        "prometheus",
        "alertmanager",
        "grafana",
        "node-exporter",
    }
    for name, svc in compose["services"].items():
        image = svc.get("image", "")
        assert ":" in image and not image.endswith(":latest"), f"{name}: pin the image ({image})"
    sms = compose["services"]["sms-metrics"]
    assert sms["build"]["context"] == str(ROOT)
    assert (
        sms["environment"]["SMS_WEBHOOK_TOKEN"]
        == compose["services"]["alertmanager"]["environment"]["SMS_WEBHOOK_TOKEN"]
    )
    assert any(v["type"] == "volume" and v["target"] == "/data" for v in _volumes(sms))


def _volumes(svc: dict) -> list[dict]:
    out = []
    for v in svc.get("volumes", []):
        if isinstance(v, str):
            source, target, *_ = [*v.split(":"), ""]
            v = {"type": "bind" if source.startswith(("/", ".")) else "volume", "source": source, "target": target}
        out.append(v)
    return out


def test_every_file_compose_mounts_is_in_the_repository(compose):
    for name, svc in compose["services"].items():
        for v in _volumes(svc):
            if v["type"] == "bind" and v["source"] != "/":
                assert Path(v["source"]).exists(), f"{name} mounts {v['source']}, which is missing"
    grafana = {v["target"]: v["source"] for v in _volumes(compose["services"]["grafana"])}
    assert Path(grafana["/etc/grafana/provisioning"]) == ROOT / "dashboards" / "grafana" / "provisioning"
    assert Path(grafana["/var/lib/grafana/dashboards/sms-metrics"]) == ROOT / "dashboards" / "grafana"


def test_prometheus_config_is_valid_and_scrapes_the_service_node_exporter_and_demo_target():
    done = subprocess.run(
        ["promtool", "check", "config", "deploy/prometheus.yml"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    cfg = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())
    targets = {t for job in cfg["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]}
    assert {"sms-metrics:8080", "node-exporter:9100", "demo-target:8081"} <= targets
    assert cfg["rule_files"] == ["/etc/prometheus/rules/*.yml"]
    assert cfg["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == ["alertmanager:9093"]


def test_alertmanager_config_is_valid_and_sends_the_token_to_the_webhook(compose):
    done = subprocess.run(
        ["amtool", "check-config", "deploy/alertmanager.yml"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    [hook] = yaml.safe_load((ROOT / "deploy" / "alertmanager.yml").read_text())["receivers"][0]["webhook_configs"]
    assert hook["url"] == "http://sms-metrics:8080/api/v1/webhooks/alertmanager" and hook["send_resolved"]
    token_file = hook["http_config"]["authorization"]["credentials_file"]
    assert token_file in " ".join(compose["services"]["alertmanager"]["command"])


def _dockerfile() -> list[tuple[str, str]]:
    lines, joined = [], ""
    for raw in (ROOT / "Dockerfile").read_text().splitlines():
        if raw.strip().startswith("#") or not raw.strip():
            continue
        joined += raw.rstrip("\\").strip() + " "
        if not raw.rstrip().endswith("\\"):
            word, _, rest = joined.strip().partition(" ")
            lines.append((word.upper(), rest))
            joined = ""
    return lines


def _ignored(rel: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(rel.split("/")[0], p) for p in patterns)


def test_the_dockerfile_runs_as_a_non_root_user_with_a_healthcheck_and_a_data_volume():
    instr = _dockerfile()
    users = [rest for word, rest in instr if word == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert any(word == "HEALTHCHECK" and "/healthz" in rest for word, rest in instr)
    assert ("VOLUME", '["/data"]') in instr


def test_the_build_context_holds_what_the_dockerfile_copies_and_a_wheel_builds_from_it(tmp_path):
    patterns = [
        p.strip() for p in (ROOT / ".dockerignore").read_text().splitlines() if p.strip() and not p.startswith("#")
    ]
    context = tmp_path / "context"
    for word, rest in _dockerfile():
        if word != "COPY":
            continue
        *sources, _dest = rest.split()
        for src in sources:
            path = ROOT / src
            assert path.exists() and not _ignored(src, patterns), f"COPY {src}: not in the build context"
            target = context / src
            if path.is_dir():
                shutil.copytree(path, target, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), "."],
        cwd=context,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    [wheel] = tmp_path.glob("sms_metrics-*.whl")
    with zipfile.ZipFile(wheel) as z:
        catalogue = z.read("sms_metrics/demo/sms.yaml").decode()
        assert "apiVersion: sms-metrics/v1" in catalogue and "demo-target" in catalogue
        assert "kind: AlertWindows" in z.read("sms_metrics/demo/fast-windows.yaml").decode()
