"""The auditor's evidence pack against a real Prometheus and a register filled over September to
November 2026: its manifest verifies (every hash recomputed, and ``sha256sum -c``), it holds exactly the
records of the service and the period, field for field as the API shows them, its SLA report is the
availability report's, its gate files show the overrides and the automatic moves, and a restricted
record never reaches a pack made with a token that may not see it."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import subprocess
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sms_metrics.app import create_app
from sms_metrics.bootstrap import build
from sms_metrics.catalogue import parse_catalogue
from sms_metrics.config import Settings
from sms_metrics.core.evidence import verify
from tests.evidence.conftest import OUTAGE, Clock, at
from tests.integration.conftest import run_cli
from tests.notify.conftest import restrict
from tests.register.conftest import ADMIN, CATALOGUE, WEBHOOK, alert, payload

pytestmark = pytest.mark.integration
KINDS = ("incidents", "changes", "releases", "capacity-plans", "problems", "configuration-items")


@contextlib.contextmanager
def register(database, prometheus, restricted_kinds=()):
    settings = Settings(
        database_url=database.url,
        prometheus_url=prometheus.url,
        admin_token=ADMIN,
        webhook_token=WEBHOOK,
        prometheus_retries=0,
    )
    clock = Clock(at(1, month=9))
    system = build(settings, catalogue=parse_catalogue(CATALOGUE), now=clock)
    for name in restricted_kinds:
        restrict(system, name)
    with TestClient(create_app(settings, system=system)) as c:
        c.headers["Authorization"] = f"Bearer {ADMIN}"
        c.clock, c.system = clock, system
        yield c
    system.close()


def _do(c, when, method, path, body=None, status=None):
    c.clock.t = when
    r = c.request(method, f"/api/v1/{path}", json=body)
    assert r.status_code == (status or (201 if method == "POST" and "/" not in path else 200)), r.text
    return r.json()


def _move(c, when, path, rid, to, **extra):
    return _do(c, when, "POST", f"{path}/{rid}/transitions", {"to": to, **extra}, status=200)


def fill(c) -> dict[str, set[int]]:
    """Records around October 2026; returns the ids the checkout pack of 2026-10 must hold, per path."""
    want: dict[str, set[int]] = {k: set() for k in KINDS}
    inc = lambda when, **kw: _do(c, when, "POST", "incidents", {"title": "t", "service": "checkout", **kw})["id"]  # noqa: E731
    a = inc(at(20, month=9))  # resolved in September: out
    _move(c, at(21, month=9), "incidents", a, "resolved")
    want["incidents"].add(inc(at(25, month=9), title="still open"))  # open when October ended
    late = inc(at(5), title="acknowledged late", urgency=2)  # P1: 15 min to respond
    _move(c, at(5, 10, 30), "incidents", late, "acknowledged")
    _move(c, at(6), "incidents", late, "resolved")
    early = inc(at(7, 9), title="acknowledged in time", urgency=2)
    _move(c, at(7, 9, 5), "incidents", early, "acknowledged")
    _move(c, at(7, 9, 30), "incidents", early, "resolved")
    want["incidents"] |= {late, early}
    _do(c, at(15), "POST", "incidents", {"title": "other service", "service": "desk"})  # desk: out
    inc(at(3, month=11), title="November")  # after the period: out

    old = _do(c, at(1, month=9), "POST", "changes", {"title": "old", "services": ["checkout"]})["id"]
    _move(c, at(3), "changes", old, "cancelled", reason="superseded")  # changed in October: in
    spent = _do(c, at(20), "POST", "changes", {"title": "resize db", "services": ["checkout"]})["id"]
    c.clock.t = at(20, 11)
    refused = c.post(f"/api/v1/changes/{spent}/transitions", json={"to": "approved"})
    assert refused.status_code == 409 and refused.json()["gate"] == "error_budget"  # no budget recorded
    _move(c, at(20, 12), "changes", spent, "approved", override="CAB call 20 Oct, CVE fix")
    urgent = _do(c, at(22), "POST", "changes", {"title": "hotfix", "services": ["checkout"], "type": "emergency"})
    _move(c, at(22, 11), "changes", urgent["id"], "approved")
    want["changes"] |= {old, spent, urgent["id"]}
    for month, title in ((10, "planned for October"), (11, "planned for November")):  # a span: in if it overlaps
        window = {"planned_start": f"2026-{month}-05T02:00:00Z", "planned_end": f"2026-{month}-05T04:00:00Z"}
        planned = _do(c, at(2, month=9), "POST", "changes", {"title": title, "services": ["checkout"], **window})
        _move(c, at(3, month=9), "changes", planned["id"], "cancelled", reason="moved to the next release")
        want["changes"] |= {planned["id"]} if month == 10 else set()

    tests = [{"name": "e2e", "passed": True, "url": "https://ci/1"}]
    rel = _do(c, at(24), "POST", "releases", {"service": "checkout", "version": "2.0", "test_evidence": tests})["id"]
    _move(c, at(24, 12), "releases", rel, "tested")
    _move(c, at(25, 11), "releases", rel, "deployed")
    c.hook = c.post(  # a page-level burn 1 h after the deployment, from Alertmanager
        "/api/v1/webhooks/alertmanager",
        json=payload(alert("burn", starts="2026-10-25T12:00:00Z")),
        headers={"Authorization": f"Bearer {WEBHOOK}"},
    )
    c.clock.t = at(25, 12, 30)
    watched = c.post(f"/api/v1/releases/{rel}/watch").json()
    assert watched["outcome"] == "failed"
    want["releases"].add(rel)
    want["changes"].add(watched["release"]["rollback_change_id"])
    want["incidents"].add(c.get("/api/v1/incidents", params={"fingerprint": "burn"}).json()[0]["id"])

    plan = {"service": "checkout", "resource": "disk", "owner": "carol", "action": "add 1 TB"}
    want["capacity-plans"].add(_do(c, at(12), "POST", "capacity-plans", plan)["id"])
    ci = {"name": "db-1", "type": "database", "service": "checkout"}
    want["configuration-items"].add(_do(c, at(2, month=9), "POST", "configuration-items", ci)["id"])  # active: in
    shared = {"name": "dns", "type": "service"}  # no service: the whole SMS's, in every service's pack
    want["configuration-items"].add(_do(c, at(2, month=9), "POST", "configuration-items", shared)["id"])
    _do(c, at(2, month=9), "POST", "configuration-items", {"name": "desk-db", "type": "database", "service": "desk"})
    return want


def unpack(content: bytes, into: Path) -> tuple[Path, dict[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        z.extractall(into)
        files = {n.split("/", 1)[1]: z.read(n) for n in z.namelist()}
    [folder] = [p for p in into.iterdir() if p.is_dir()]
    return folder, files


def test_the_pack_verifies_and_holds_the_apis_records_of_the_period(db, prometheus, tmp_path):
    with register(db, prometheus) as c:
        want = fill(c)
        c.clock.t = at(2, 10, month=11)
        r = c.get("/api/v1/evidence", params={"service": "checkout", "period": "2026-10"})
        assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
        assert r.headers["content-disposition"] == 'attachment; filename="evidence-checkout-2026-10.zip"'
        folder, files = unpack(r.content, tmp_path)
        manifest = json.loads(files["manifest.json"])

        # the manifest and SHA256SUMS verify, with Python and with coreutils
        listed = {f["name"] for f in manifest["files"]}
        assert listed == set(files) - {"manifest.json", "SHA256SUMS"}
        for entry in manifest["files"]:
            assert hashlib.sha256(files[entry["name"]]).hexdigest() == entry["sha256"]
            assert len(files[entry["name"]]) == entry["bytes"]
        checked = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True, text=True)
        assert checked.returncode == 0 and checked.stdout.count(": OK") == len(files) - 1, checked.stdout
        (folder / "incidents.csv").write_bytes(files["incidents.csv"].replace(b"P1", b"P4"))
        tampered = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True, text=True)
        assert tampered.returncode == 1 and "incidents.csv: FAILED" in tampered.stdout
        assert verify(manifest, {**files, "incidents.csv": b"x"}) == [
            "incidents.csv: SHA-256 differs from the manifest"
        ]

        # exactly the records of checkout in October, field for field as the API shows them
        for path in KINDS:
            packed = json.loads(files[f"{path}.json"])
            assert {p["id"] for p in packed} == want[path], path
            for p in packed:
                api = c.get(f"/api/v1/{path}/{p['id']}").json()
                assert {k: v for k, v in p.items() if not k.endswith("_breached")} == api, path
            rows = list(csv.DictReader(io.StringIO(files[f"{path}.csv"].decode())))
            assert [int(row["id"]) for row in rows] == sorted(want[path])
            section = next(s for s in manifest["sections"] if s["path"] == path)
            assert section["records"] == len(want[path])
        clocks = {p["title"]: p["response_breached"] for p in json.loads(files["incidents.json"])}
        assert clocks["acknowledged late"] is True and clocks["acknowledged in time"] is False

        # gates: the override with its refusal and justification, the passed emergency, the watch's move
        gates = json.loads(files["changes-gates.json"])
        assert [(g["move"], g["gate"], g["decision"]) for g in gates] == [
            ("requested -> approved", "error_budget", "overridden"),
            ("requested -> approved", "error_budget", "passed"),
        ]
        assert gates[0]["justification"] == "CAB call 20 Oct, CVE fix"
        assert "no value of slo:period_error_budget_remaining:ratio" in gates[0]["refusal"]
        rel_gates = json.loads(files["releases-gates.json"])
        assert [(g["move"], g["decision"], g["actor"]) for g in rel_gates] == [
            ("tested -> deployed", "passed", "admin"),
            ("deployed -> failed", "automatic", "sms-metrics"),
        ]
        assert "ErrorBudgetBurn incident" in rel_gates[1]["reason"]
        history = json.loads(files["changes-history.json"])
        assert all("2026-10-01" <= h["at"] < "2026-11-01" for h in history)
        assert ("cancelled", "superseded") in {(h["new"], h["reason"]) for h in history if h["field"] == "status"}

        # the SLA report is the availability report's, measured from Prometheus
        sla = json.loads(files["sla-report.json"])
        assert (sla["downtime_seconds"], sla["outages"][0]["start"]) == (2700.0, "2026-10-10T12:00:00Z")
        assert sla["availability_percent"] == round(100 * (1 - 2700 / (31 * 86400)), 6)
        assert manifest["sla"]["met"] is False and manifest["sla"]["outages"] == 1
        assert OUTAGE[1].isoformat().replace("+00:00", "Z") == sla["outages"][0]["end"]

        index = files["index.html"].decode()
        assert "Evidence pack: checkout, 2026-10" in index and 'href="incidents.csv"' in index
        assert hashlib.sha256(files["incidents.csv"]).hexdigest() in index


def test_the_sla_report_of_the_pack_is_the_report_command_s(sqlite_db, prometheus, tmp_path):
    cat = tmp_path / "sms.yaml"
    cat.write_text(CATALOGUE)
    env = {"SMS_DATABASE_URL": sqlite_db.url, "SMS_ADMIN_TOKEN": ADMIN}
    with register(sqlite_db, prometheus) as c:
        fill(c)
    out = tmp_path / "pack"
    done = run_cli(
        "evidence",
        "-s",
        "checkout",
        "--period",
        "2026-10",
        "-o",
        str(out),
        "-c",
        str(cat),
        "-p",
        prometheus.url,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert "evidence-checkout-2026-10.zip" in done.stdout and (out / "evidence-checkout-2026-10.zip").exists()
    checked = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=out, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout
    report = run_cli(
        "report", "availability", "-c", str(cat), "-p", prometheus.url, "-s", "checkout", "--period", "2026-10", env=env
    )
    assert report.returncode == 0, report.stderr
    assert json.loads((out / "sla-report.json").read_text()) == json.loads(report.stdout)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["restricted"] is False and manifest["generated_for"].startswith("cli")


def test_a_restricted_record_never_reaches_a_pack_for_a_token_that_may_not_see_it(sqlite_db, prometheus, tmp_path):
    with register(sqlite_db, prometheus, restricted_kinds=["problem"]) as c:
        c.clock.t = at(14)
        r = c.post("/api/v1/problems", json={"title": "TOPSECRET breach path", "service": "checkout"})
        assert r.status_code == 201
        c.post("/api/v1/incidents", json={"title": "ordinary", "service": "checkout"})
        tokens = {}
        for restricted in (False, True):
            made = c.post(
                "/api/v1/tokens", json={"name": f"auditor-{restricted}", "role": "viewer", "restricted": restricted}
            )
            tokens[restricted] = {"Authorization": f"Bearer {made.json()['secret']}"}
        c.clock.t = at(2, month=11)
        packs = {}
        for restricted, headers in tokens.items():
            r = c.get("/api/v1/evidence", params={"service": "checkout", "period": "2026-10"}, headers=headers)
            assert r.status_code == 200
            packs[restricted] = unpack(r.content, tmp_path / str(restricted))[1]
    plain, cleared = packs[False], packs[True]
    assert not any(name.startswith("problems") for name in plain)
    assert not any(b"TOPSECRET" in data or b"PRB-" in data for data in plain.values())
    assert json.loads(plain["manifest.json"])["restricted"] is False
    assert [p["title"] for p in json.loads(cleared["problems.json"])] == ["TOPSECRET breach path"]
    assert len(json.loads(plain["incidents.json"])) == len(json.loads(cleared["incidents.json"])) == 1


def test_bad_requests_name_what_is_wrong_and_write_nothing(sqlite_db, prometheus):
    with register(sqlite_db, prometheus) as c:
        r = c.get("/api/v1/evidence", params={"service": "nope", "period": "2026-10"})
        assert r.status_code == 422 and r.json()["problems"] == [
            "query.service: unknown service 'nope'; the catalogue has: checkout, desk"
        ]
        r = c.get("/api/v1/evidence", params={"service": "checkout", "period": "2026-13"})
        assert r.status_code == 422 and "invalid month 2026-13" in r.json()["detail"]
        assert c.get("/api/v1/evidence", params={"service": "checkout"}).status_code == 422
        r = c.get(
            "/api/v1/evidence",
            params={"service": "checkout", "period": "2026-10"},
            headers={"Authorization": "Bearer x"},
        )
        assert r.status_code == 401
        r = c.get(
            "/api/v1/evidence",
            params={"service": "checkout", "period": "2026-10"},
            headers={"Authorization": f"Bearer {WEBHOOK}"},
        )
        assert r.status_code == 403
