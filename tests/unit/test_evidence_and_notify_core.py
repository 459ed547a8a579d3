"""The pure parts of the evidence pack and of notifications: JSON and CSV that read back to the same
values, the SHA-256 lists ``sha256sum -c`` accepts, SLA clock flags, event patterns and aliases, the
HMAC signature (RFC 4231 vector), the backoff, the message texts and the dispatcher's watermark."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sms_metrics.core.evidence import cell, clock_flags, csv_bytes, json_bytes, sha256sums, verify
from sms_metrics.core.notify import (
    Watermark,
    backoff_seconds,
    check_patterns,
    matches,
    names_of,
    normalise,
    signature,
    slack,
    subject,
    text,
)

T = datetime(2026, 10, 5, 10, tzinfo=UTC)
scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=30)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.dictionaries(st.sampled_from(["ref", "id", "old", "new", '}, {"ref": ']), values, min_size=1), max_size=6
    )
)
def test_json_files_read_back_to_the_same_records(rows):
    assert json.loads(json_bytes(rows)) == rows


def test_a_json_list_has_one_record_per_line_even_with_braces_in_its_values():
    rows = [{"ref": "CHG-1", "old": '[{"name": "a"}, {"ref": "b"}]'}, {"ref": "CHG-2", "old": None}]
    data = json_bytes(rows)
    assert data.decode().splitlines() == ["[", json.dumps(rows[0]) + ",", json.dumps(rows[1]), "]"]


def test_csv_cells_are_what_a_spreadsheet_shows():
    rows = [{"a": None, "b": True, "c": T, "d": ["x", "y"], "e": {"k": 1}, "f": 'say "hi", then\nleave'}]
    back = list(csv.reader(io.StringIO(csv_bytes(rows, list("abcdef")).decode())))
    assert back == [list("abcdef"), ["", "true", "2026-10-05T10:00:00Z", "x; y", '{"k": 1}', 'say "hi", then\nleave']]
    assert cell(1.5) == "1.5" and cell(0) == "0"


def test_sha256sums_is_what_coreutils_writes_and_checks(tmp_path):
    files = {"a.csv": b"x,y\r\n1,2\r\n", "b.json": '[\n"é"\n]\n'.encode()}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    ours = sha256sums(files).decode()
    theirs = subprocess.run(["sha256sum", *files], cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert ours == theirs
    (tmp_path / "SHA256SUMS").write_text(ours)
    assert subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path, capture_output=True).returncode == 0
    with pytest.raises(ValueError, match="cannot be listed"):
        sha256sums({"a\nb": b""})


def test_verify_names_missing_and_changed_files():
    files = {"a": b"1", "b": b"2"}
    from sms_metrics.core.evidence import file_entries

    manifest = {"files": file_entries(files)}
    assert verify(manifest, files) == []
    assert verify(manifest, {"a": b"1!"}) == ["a: SHA-256 differs from the manifest", "b: missing"]


def test_clock_flags_from_the_recorded_breach_or_the_declared_stop():
    stops = {"response": "acknowledged_at", "resolution": "resolved_at"}
    rec = {
        "response_due_at": T,
        "acknowledged_at": T + timedelta(minutes=5),  # late
        "resolution_due_at": T + timedelta(hours=4),
        "resolved_at": None,  # still running, now before due
        "fulfilment_due_at": None,
    }
    assert clock_flags(rec, stops, now=T + timedelta(hours=1)) == {
        "response_breached": True,
        "resolution_breached": False,
        "fulfilment_breached": None,
    }
    assert clock_flags(rec, stops, now=T + timedelta(hours=5))["resolution_breached"] is True
    assert clock_flags({"x_due_at": T, "x_breached_at": None}, {}, now=T + timedelta(days=9)) == {"x_breached": False}
    assert clock_flags({"x_due_at": T, "x_breached_at": T}, {}, now=T) == {"x_breached": True}


KINDS = {"incident": ["new", "resolved"], "capacity_plan": ["draft", "approved"]}
PATHS = {"incidents": "incident", "capacity-plans": "capacity_plan"}


def test_event_patterns_are_checked_against_the_kinds_and_their_states():
    good = ["incident.opened", "sla.breach", "document.review_due", "incidents.moved:resolved", "incident.*", "*"]
    assert check_patterns(good, KINDS, PATHS) == []
    assert check_patterns(["nope.created", "incident.moved:lost", "incident.Bad!"], KINDS, PATHS) == [
        "body.events.0: unknown kind 'nope' in 'nope.created'; kinds: capacity_plan, incident",
        "body.events.1: incident has no state 'lost'; states: new, resolved",
        "body.events.2: 'incident.Bad!' is not <kind>.created|updated|moved:<state>|<event>|*; or one of "
        "incident.opened, incident.escalated, incident.resolved, sla.warning, sla.breach, change.approved, "
        "release.failed, document.review_due",
    ]
    assert normalise("capacity-plans.moved:approved", PATHS) == "capacity_plan.moved:approved"


@pytest.mark.parametrize(
    ("patterns", "event", "taken"),
    [
        (["incident.opened"], "incident.created", True),
        (["incident.opened"], "incident.moved:resolved", False),
        (["incident.resolved"], "incident.moved:resolved", True),
        (["incident.*"], "incident.moved:pending", True),
        (["incident.moved:*"], "incident.updated", False),
        (["sla.breach"], "incident.sla_breach", True),
        (["change.approved"], "change.created", False),
        (["*"], "release.moved:failed", True),
        (["document.review_due"], "document.review_due", True),
        (["document.review_due"], "document.review_overdue", True),  # the documents' review job
        (["document.review_due"], "document.updated", False),
    ],
)
def test_patterns_take_their_events_and_aliases(patterns, event, taken):
    assert matches(patterns, event) is taken


def test_an_event_is_named_with_the_aliases_that_take_it():
    assert names_of("incident.created") == ["incident.created", "incident.opened"]
    assert names_of("document.review_overdue") == ["document.review_overdue", "document.review_due"]
    assert names_of("incident.updated") == ["incident.updated"]


def test_the_signature_is_hmac_sha256_of_the_body():
    # RFC 4231, test case 2
    assert signature("Jefe", b"what do ya want for nothing?") == (
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )


def test_backoff_doubles_up_to_its_cap():
    assert [backoff_seconds(n, 30) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff_seconds(20, 30) == 3600


def test_messages_say_what_happened_to_which_record():
    payload = {
        "event": "incident.moved:resolved",
        "names": ["incident.moved:resolved", "incident.resolved"],
        "ref": "INC-000007",
        "at": "2026-10-05T10:00:00Z",
        "actor": "alice",
        "reason": "restarted",
        "services": ["checkout"],
        "changes": [{"field": "status", "old": "new", "new": "resolved"}],
        "record": {"title": "Checkout down", "status": "resolved", "labels": {"a": 1}},
    }
    assert subject(payload) == "[sms-metrics] incident.resolved: INC-000007 Checkout down"
    body = text(payload)
    assert body.startswith("incident.resolved (incident.moved:resolved): INC-000007 Checkout down\n")
    for line in ("Services: checkout", "Status: resolved", "At: 2026-10-05T10:00:00Z by alice", "Reason: restarted"):
        assert line in body.splitlines()
    assert "Changed status: new -> resolved" in body and '  labels: {"a": 1}' in body
    assert slack(payload) == {
        "text": "*incident.resolved* INC-000007 Checkout down\nservices: checkout · status: resolved · reason: restarted"
    }


def test_the_watermark_waits_for_a_gap_then_passes_it():
    mark = Watermark(10, grace=30)
    mark.mark([11, 13], now=0)  # 12 not committed yet
    assert mark.low == 11 and mark.handled(13) and not mark.handled(12)
    mark.mark([14], now=10)
    assert mark.low == 11
    mark.mark([12], now=20)  # it arrives: all handled
    assert mark.low == 14 and mark.seen == set()
    mark.mark([16], now=21)  # 15 never comes (rolled back)
    mark.mark([], now=50)
    assert mark.low == 14
    mark.mark([], now=52)
    assert mark.low == 16
