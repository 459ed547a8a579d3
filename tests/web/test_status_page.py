"""The public status page, JSON and Atom feed against a real Prometheus over 91 days of probe history:
states now, daily availability equal to the minutes the history was down, open incidents with their
published updates only, planned maintenance from the catalogue and approved changes, and nothing
internal (labels, hosts, people, incident and change titles, services not marked public)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from sms_metrics.app import create_app
from sms_metrics.bootstrap import build
from sms_metrics.catalogue import parse_catalogue
from sms_metrics.config import Settings
from sms_metrics.register.records.access import Principal
from tests.web import scenario

pytestmark = pytest.mark.integration
AGENT, MANAGER = Principal("alice", "agent"), Principal("mia", "manager")


@pytest.fixture()
def world(scenario_prometheus, tmp_path):
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'r.db'}", prometheus_url=scenario_prometheus.url, pages_cache_seconds=0
    )
    system = build(settings, catalogue=parse_catalogue(scenario.CATALOGUE), now=lambda: scenario.NOW)
    with TestClient(create_app(settings, system=system)) as client:
        client.system = system
        yield client
    system.close()


def _incident(system, service: str, title: str) -> object:
    return system.records.create("incidents", AGENT, {"title": title, "service": service, "urgency": 1})


def test_states_and_ninety_days_come_from_the_probes(world):
    view = world.get("/status.json").json()
    assert [s["name"] for s in view["services"]] == ["checkout", "search"]  # payments is not public
    checkout, search = view["services"]
    assert (checkout["state"], checkout["state_label"], search["state"]) == ("down", "Outage", "up")
    assert view["status"] == "down"
    days = {d["date"]: d["availability_percent"] for d in checkout["days"]}
    assert len(checkout["days"]) == 90
    outage_day = scenario.OUTAGE_PAST[0].date().isoformat()
    assert days[outage_day] == pytest.approx(100 * (1 - 60 / 1440), abs=1e-6)
    now_outage = {scenario.OUTAGE_NOW[0].date().isoformat(), scenario.NOW.date().isoformat()}  # may cross midnight
    others = [v for d, v in days.items() if d != outage_day and d not in now_outage]
    assert others and all(v == 100.0 for v in others if v is not None)
    assert all(d["availability_percent"] == 100.0 for d in search["days"][:-1])
    html = world.get("/status").text
    assert "Some services are down" in html and "Checkout" in html and "payments" not in html


def test_open_incidents_show_only_published_updates_and_no_internal_detail(world):
    system = world.system
    inc = _incident(system, "checkout", "db-7.internal pool exhausted, paged bob")
    hidden = _incident(system, "payments", "payments down")  # not a public service
    published = system.records.create(
        "status-updates",
        AGENT,
        {
            "title": "Checkout is failing",
            "phase": "identified",
            "message": "A database is full.",
            "services": ["checkout"],
            "incidents": [inc.id],
        },
    )
    withdrawn = system.records.create(
        "status-updates",
        AGENT,
        {"title": "Wrong guess", "message": "Network trouble.", "services": ["checkout"], "incidents": [inc.id]},
    )
    system.records.move("status-updates", AGENT, withdrawn.id, "withdrawn")
    view = world.get("/status.json").json()
    [shown] = view["incidents"]
    assert shown["id"] == inc.ref and shown["title"] == "Checkout is failing" and shown["phase"] == "identified"
    assert shown["impact"] == "major" and shown["services"] == ["Checkout"]
    assert [u["id"] for u in shown["updates"]] == [published.ref]
    html, raw = world.get("/status").text, world.get("/status.json").text + world.get("/status/feed.atom").text
    for secret in ("db-7", "bob", "alice", "Wrong guess", "Network trouble", hidden.ref, "payments down"):
        assert secret not in html and secret not in raw, secret
    assert "A database is full." in html


def test_an_incident_without_updates_gets_a_generic_title(world):
    _incident(world.system, "search", "search-3 OOM on host x")
    [shown] = world.get("/status.json").json()["incidents"]
    assert (shown["title"], shown["updates"], shown["phase"]) == ("Search: service disruption", [], "investigating")


def test_planned_maintenance_from_the_catalogue_and_approved_changes(world, monkeypatch):
    system = world.system
    window = {
        "planned_start": (scenario.NOW + timedelta(days=5)).isoformat(),
        "planned_end": (scenario.NOW + timedelta(days=5, hours=2)).isoformat(),
        "maintenance_window": True,
    }
    approved = system.records.create(
        "changes",
        MANAGER,
        {"title": "Swap db-9 disks", "services": ["search", "payments"], "type": "emergency", **window},
    )
    system.records.move("changes", MANAGER, approved.id, "approved")
    system.records.create("changes", MANAGER, {"title": "Not yet approved", "services": ["search"], **window})
    view = world.get("/status.json").json()
    assert view["maintenance"] == [
        {
            "services": ["Checkout"],
            "start": f"{scenario.MAINTENANCE[0]:%Y-%m-%dT%H:%M:%SZ}",
            "end": f"{scenario.MAINTENANCE[1]:%Y-%m-%dT%H:%M:%SZ}",
            "description": "Database upgrade",
        },
        {
            "services": ["Search"],
            "start": window["planned_start"].replace("+00:00", "Z"),
            "end": window["planned_end"].replace("+00:00", "Z"),
            "description": "Scheduled maintenance",
        },
    ]
    assert "db-9" not in world.get("/status").text


def test_the_atom_feed_is_valid_and_lists_incidents_updates_and_maintenance(world):
    inc = _incident(world.system, "checkout", "internal title")
    world.system.records.create(
        "status-updates",
        AGENT,
        {"title": "Checkout <slow>", "message": "We & they", "services": ["checkout"], "incidents": [inc.id]},
    )
    r = world.get("/status/feed.atom")
    assert r.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(r.content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.findtext("a:title", namespaces=ns) for e in root.findall("a:entry", ns)]
    assert titles == ["Checkout <slow> (major impact)", "Checkout <slow>: investigating", "Database upgrade: Checkout"]
    assert root.find("a:entry/a:content", ns).text.startswith("Checkout: investigating since")
    assert len({e.findtext("a:id", namespaces=ns) for e in root.findall("a:entry", ns)}) == 3


def test_the_page_answers_when_prometheus_is_unreachable(tmp_path):
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'r.db'}", prometheus_url="http://127.0.0.1:9", pages_cache_seconds=0
    )
    system = build(settings, catalogue=parse_catalogue(scenario.CATALOGUE), now=lambda: scenario.NOW)
    with TestClient(create_app(settings, system=system)) as client:
        view = client.get("/status.json").json()
        assert [s["state"] for s in view["services"]] == ["unknown", "unknown"]
        assert view["problems"] == ["availability history is unavailable right now"]
        assert client.get("/status").status_code == 200
    system.close()
