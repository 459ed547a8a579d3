"""The CMDB: typed relations, the impact of a CI (one query per level, whatever the breadth), CIs
named by incidents and changes, and the CLI."""

from __future__ import annotations

import json

from sqlalchemy import event

from tests.integration.conftest import run_cli


def _ci(client, name, type_="server", service=None, **rels):
    r = client.post(
        "/api/v1/configuration-items",
        json={"name": name, "type": type_, "service": service, **rels},
        headers=client.admin,
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_impact_follows_depends_on_runs_on_and_part_of(client):
    host = _ci(client, "host-1")
    vm = _ci(client, "vm-1", "vm", runs_on=[host])
    db = _ci(client, "db-1", "database", "checkout", runs_on=[vm])
    cluster = _ci(client, "db-cluster", "cluster")
    client.patch(f"/api/v1/configuration-items/{db}", json={"part_of": [cluster]}, headers=client.admin)
    app = _ci(client, "shop-app", "app", "checkout", depends_on=[db])
    _ci(client, "desk-app", "app", "desk", depends_on=[app])
    _ci(client, "unrelated", "app", "desk")
    r = client.get(f"/api/v1/configuration-items/{host}/impact", headers=client.admin).json()
    assert [(i["name"], i["depth"], i["via"]) for i in r["impacted"]] == [
        ("vm-1", 1, "runs_on"),
        ("db-1", 2, "runs_on"),
        ("db-cluster", 3, "part_of"),
        ("shop-app", 3, "depends_on"),
        ("desk-app", 4, "depends_on"),
    ]
    assert r["services"] == ["checkout", "desk"] and r["configuration_item"]["ref"] == f"CI-{host:06d}"
    assert client.get(f"/api/v1/configuration-items/{app}/impact", headers=client.admin).json()["services"] == [
        "checkout",
        "desk",
    ]
    assert client.get("/api/v1/configuration-items/9999/impact", headers=client.admin).status_code == 404
    assert [
        c["name"]
        for c in client.get("/api/v1/configuration-items", params={"runs_on": host}, headers=client.admin).json()
    ] == ["vm-1"]


def test_impact_costs_one_query_per_level_however_wide(client):
    root = _ci(client, "core-switch", "network")
    level = [root]
    for depth in range(4):
        level = [_ci(client, f"n{depth}-{k}", depends_on=level[:3]) for k in range(20)]
    engine = client.app.state.sms.system.readers.kw["bind"]
    statements = []
    listener = lambda *a: statements.append(a[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        r = client.get(f"/api/v1/configuration-items/{root}/impact", headers=client.admin).json()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(r["impacted"]) == 80 and max(i["depth"] for i in r["impacted"]) == 4
    links = [s for s in statements if "FROM links" in s]
    assert len(links) == 5  # four levels and the empty fifth


def test_incidents_and_changes_name_cis_and_unknown_ones_are_refused(client):
    db = _ci(client, "db-1", "database", "checkout")
    r = client.post(
        "/api/v1/incidents",
        json={"title": "slow", "service": "checkout", "configuration_items": [db]},
        headers=client.admin,
    )
    assert r.status_code == 201 and r.json()["configuration_items"] == [db]
    assert [
        i["id"] for i in client.get("/api/v1/incidents", params={"configuration_item": db}, headers=client.admin).json()
    ] == [r.json()["id"]]
    r = client.post(
        "/api/v1/changes",
        json={"title": "patch", "services": ["checkout"], "configuration_items": [db, 77]},
        headers=client.admin,
    )
    assert r.status_code == 422 and r.json()["problems"] == [
        "body.configuration_items.1: configuration item 77 does not exist"
    ]
    r = client.post("/api/v1/changes", json={"title": "patch", "services": ["nope"]}, headers=client.admin)
    assert r.status_code == 422 and "unknown service 'nope'" in r.json()["detail"]


def test_cis_from_the_shell(tmp_path):
    env = {"SMS_DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}"}
    out = run_cli("configuration-items", "create", "--name", "host-1", "--type", "server", env=env)
    assert out.returncode == 0 and out.stdout == "CI-000001 created (active)\n", out.stderr
    out = run_cli(
        "configuration-items",
        "create",
        "--name",
        "db-1",
        "--type",
        "database",
        "--runs-on",
        "1",
        "--attributes",
        '{"engine": "postgresql"}',
        env=env,
    )
    assert out.returncode == 0, out.stderr
    out = run_cli("configuration-items", "impact", "1", "--format", "json", env=env)
    assert [i["name"] for i in json.loads(out.stdout)["impacted"]] == ["db-1"]
    out = run_cli("configuration-items", "show", "2", "--format", "json", env=env)
    assert json.loads(out.stdout)["attributes"] == {"engine": "postgresql"}
    out = run_cli("configuration-items", "retire", "1", "--reason", "decommissioned", env=env)
    assert out.stdout == "configuration item 1: retired\n"
    out = run_cli("configuration-items", "history", "1", env=env)
    assert "status: active -> retired  (decommissioned)" in out.stdout
    out = run_cli("configuration-items", "create", "--name", "x", "--type", "Bad Type", env=env)
    assert out.returncode == 2 and "body.type" in out.stderr and "Traceback" not in out.stderr
