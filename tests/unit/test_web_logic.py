"""Pure logic of the pages: form widgets from schemas and the values a form stands for, SLA clocks of an
incident, service states, the live-figure cache, and the small text helpers."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from sms_metrics.catalogue import parse_catalogue
from sms_metrics.core.calendar import parse_service_hours
from sms_metrics.core.clocks import ClockTerms
from sms_metrics.errors import RecordInvalid
from sms_metrics.register.kinds import KINDS
from sms_metrics.web.cache import Cache
from sms_metrics.web.forms import attach, fields_of, submitted
from sms_metrics.web.incident_panel import resolution_clock, response_clock
from sms_metrics.web.live import ServiceState, probe_query, state_of
from sms_metrics.web.render import label, minutes, safe_url, when

T = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)  # a Monday


def test_widgets_follow_the_schema():
    change = KINDS["change"]
    widgets = {
        f.name: (f.widget, f.required, f.choices)
        for f in fields_of(change, change.create, ["checkout", "desk"], editing=False)
    }
    assert widgets["title"] == ("text", True, [])
    assert widgets["services"] == ("choices", True, ["checkout", "desk"])
    assert widgets["type"] == ("select", False, ["standard", "normal", "emergency"])
    assert widgets["planned_start"][0] == "datetime" and widgets["maintenance_window"][0] == "checkbox"
    assert widgets["description"][0] == "textarea" and widgets["configuration_items"][0] == "ids"
    ci = KINDS["configuration_item"]
    assert {f.name: f.widget for f in fields_of(ci, ci.create, [], editing=False)}["attributes"] == "json"


def test_a_create_form_leaves_blanks_to_defaults_and_sends_required_text_empty():
    change = KINDS["change"]
    fields = fields_of(change, change.create, ["checkout"], editing=False)
    form = {
        "title": [""],
        "services": ["checkout"],
        "type": [""],
        "configuration_items": ["CI-000003, 7"],
        "description": ["  "],
    }
    assert submitted(fields, form, editing=False) == {
        "title": "",
        "services": ["checkout"],
        "maintenance_window": False,
        "configuration_items": ["3", "7"],
    }


def test_an_edit_form_clears_blank_fields():
    change = KINDS["change"]
    fields = fields_of(change, change.create, ["checkout"], editing=True)
    body = submitted(
        fields, {"title": ["x"], "description": [""], "planned_start": [""], "configuration_items": [""]}, editing=True
    )
    assert body["description"] is None and body["planned_start"] is None and body["configuration_items"] == []
    assert body["title"] == "x" and body["services"] == [] and body["maintenance_window"] is False


def test_text_that_is_not_json_is_refused_with_the_field_named():
    ci = KINDS["configuration_item"]
    fields = fields_of(ci, ci.create, [], editing=False)
    with pytest.raises(RecordInvalid) as err:
        submitted(fields, {"name": ["db"], "type": ["database"], "attributes": ["{engine: pg"]}, editing=False)
    assert err.value.problems[0].startswith("body.attributes: not valid JSON: ")


def test_problems_go_to_their_fields():
    change = KINDS["change"]
    fields = fields_of(change, change.create, [], editing=False)
    rest = attach(
        fields,
        [
            "body.title: too short",
            "body.services.0: unknown service 'x'",
            "body: a maintenance window needs planned_start",
        ],
    )
    by = {f.name: f.errors for f in fields}
    assert by["title"] == ["too short"] and by["services"] == ["0: unknown service 'x'"]
    assert rest == ["body: a maintenance window needs planned_start"]


def _incident(**kw):
    base = {
        "response_due_at": T + timedelta(hours=1),
        "resolution_due_at": T + timedelta(hours=8),
        "acknowledged_at": None,
        "resolved_at": None,
        "status": "new",
        "pending_since": None,
    }
    return SimpleNamespace(**{**base, **kw})


OFFICE = ClockTerms(parse_service_hours("Mon-Fri 08:00-18:00"), "UTC", {}, {})


def test_clocks_count_what_is_left_in_service_hours():
    rec = _incident(resolution_due_at=datetime(2026, 11, 3, 11, 0, tzinfo=UTC))
    now = T.replace(hour=17)  # an hour before closing: 1 h today + 3 h tomorrow
    clock = resolution_clock(OFFICE, rec, now)
    assert (clock.state, clock.left_minutes) == ("running", 240)
    late = response_clock(OFFICE, rec, T + timedelta(hours=1, minutes=30))
    assert (late.state, late.left_minutes) == ("breached", -30)


def test_a_pending_incident_has_its_resolution_clock_paused():
    rec = _incident(status="pending", pending_since=T + timedelta(hours=2))
    clock = resolution_clock(None, rec, T + timedelta(days=3))
    assert clock.state == "paused" and clock.left_minutes == 6 * 60 and "paused while pending" in clock.note


def test_stopped_clocks_say_whether_they_were_met():
    rec = _incident(acknowledged_at=T + timedelta(minutes=70), status="resolved", resolved_at=T + timedelta(hours=2))
    assert response_clock(None, rec, T + timedelta(days=1)).state == "late"
    assert resolution_clock(None, rec, T + timedelta(days=1)).state == "met"
    assert response_clock(None, _incident(response_due_at=None), T).state == "none"


@pytest.mark.parametrize(
    ("probes", "down", "severity", "maintenance", "expected"),
    [
        (2, 2, None, False, "down"),
        (2, 1, None, False, "degraded"),
        (1, 0, "page", False, "degraded"),
        (1, 0, "ticket", False, "up"),
        (0, 0, None, False, "unknown"),
        (1, 1, None, True, "maintenance"),
    ],
)
def test_a_state_from_probes_alerts_and_maintenance(probes, down, severity, maintenance, expected):
    alerts = [SimpleNamespace(labels={"severity": severity})] if severity else []
    st = ServiceState("s", "unknown", probes, down, alerts, maintenance)
    assert state_of(st, has_probes=True, measured=True) == expected


def test_one_query_counts_every_services_probes():
    cat = parse_catalogue(
        """
apiVersion: sms-metrics/v1
services:
  - {name: a, slos: [{name: availability, objective: 99, sli: {probe: 'probe_success{service="a"}'}}]}
  - {name: b, slos: [{name: e, objective: 99, sli: {events: {errors: 'x[{{window}}]', total: 'y[{{window}}]'}}}]}
"""
    )
    q = probe_query(list(cat.services))
    assert q.count("label_replace(count(") == 2 and 'count((probe_success{service="a"}) == 0)' in q
    assert probe_query(list(cat.services)[1:]) is None


def test_the_cache_serves_stale_figures_while_one_refresh_runs():
    calls, gate = [], threading.Event()

    def compute():
        calls.append(1)
        if len(calls) > 1:
            gate.wait(5)
        return len(calls)

    cache = Cache(ttl=0.05)
    assert cache.get("k", compute) == 1
    time.sleep(0.1)
    assert cache.get("k", compute) == 1 and cache.get("k", compute) == 1  # stale, one refresh started
    gate.set()
    deadline = time.monotonic() + 5
    while cache.get("k", compute) != 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert cache.get("k", compute) == 2 and len(calls) == 2
    assert Cache(ttl=0).get("k", lambda: "fresh") == "fresh"


def test_a_failure_is_kept_until_the_next_refresh():
    cache = Cache(ttl=60)

    def fail():
        raise RecordInvalid(["x"])

    for _ in range(2):
        with pytest.raises(RecordInvalid):
            cache.get("bad", fail)


def test_text_helpers():
    assert safe_url("https://runbooks/x") == "https://runbooks/x" and safe_url(" JavaScript:alert(1)") is None
    assert safe_url("data:text/html,x") is None and safe_url(None) is None
    assert label("runbook_url") == "Runbook URL" and label("slo") == "SLO" and label("planned_start") == "Planned start"
    assert minutes(185) == "3 h 05 min" and minutes(-45) == "-45 min" and minutes(1441) == "1 d 0 h 01 min"
    assert when(T) == "2026-11-02 10:00 UTC" and when(None) == "—"


def test_fields_of_other_types_get_a_widget_that_carries_them():
    import enum
    from datetime import date

    from pydantic import BaseModel, Field, HttpUrl

    from sms_metrics.register.records.kind import Lifecycle, RecordKind

    class Level(enum.Enum):
        LOW = "low"
        HIGH = "high"

    class Item(BaseModel):
        name: str

    class Create(BaseModel):
        level: Level
        site: HttpUrl | None = None
        scores: list[float] = Field(default_factory=list)
        due: date | None = None
        items: list[Item] = Field(default_factory=list)

    kind = RecordKind("thing", "things", "THG", "thing", object, Create, Lifecycle("a", {"a": ()}, frozenset()))
    got = {f.name: (f.widget, f.choices) for f in fields_of(kind, Create, [], editing=False)}
    assert got == {
        "level": ("select", ["low", "high"]),
        "site": ("text", []),
        "scores": ("list", []),
        "due": ("date", []),
        "items": ("json", []),
    }
