"""Rules generated for imported catalogues carry the names, labels, alert names and annotations the
Sloth and OpenSLO files gave; ``disable`` leaves the alert out; thresholds compare the right way."""

from __future__ import annotations

from pathlib import Path

from sms_metrics.catalogue.importers import import_files
from sms_metrics.rules.generator import catalogue_rules

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"


def _rules(*paths: str) -> list[dict]:
    cat = import_files([FIXTURES / p for p in paths]).catalogue
    return [r for groups in catalogue_rules(cat).values() for g in groups for r in g["rules"]]


def _of(rules: list[dict], sloth_slo: str) -> list[dict]:
    return [r for r in rules if r.get("labels", {}).get("sloth_slo") == sloth_slo or sloth_slo in r.get("expr", "")]


def test_every_recording_and_the_info_series_carry_sloths_names_and_every_label_level():
    card = _of(_rules("sloth/payments.yaml"), "card_auth.v2")
    records = [r for r in card if "record" in r]
    assert len(records) == 15
    for r in records:
        assert {k: r["labels"][k] for k in ("team", "tier", "pci", "journey")} == {
            "team": "payments",
            "tier": "1",
            "pci": "true",
            "journey": "checkout",
        }
        assert r["labels"]["sloth_id"] == "PaymentsAPI-card_auth.v2"
        assert (r["labels"]["sloth_service"], r["labels"]["sloth_slo"]) == ("PaymentsAPI", "card_auth.v2")
        assert (r["labels"]["service"], r["labels"]["slo"]) == ("paymentsapi", "card_auth.v2")
    info = next(r for r in records if r["record"] == "sloth_slo_info")
    assert info["labels"]["sloth_objective"] == "99.95" and info["labels"]["journey"] == "checkout"


def test_alert_names_per_severity_labels_and_annotations_come_from_the_spec():
    card = _of(_rules("sloth/payments.yaml"), "card_auth.v2")
    alerts = [r for r in card if "alert" in r]
    assert [a["alert"] for a in alerts] == ["PaymentsCardAuthBudgetBurn", "SLONoData"]  # ticket disabled
    page = alerts[0]
    assert {k: page["labels"][k] for k in ("severity", "routing_key", "category", "sloth_severity")} == {
        "severity": "critical",
        "routing_key": "payments-oncall",
        "category": "availability",
        "sloth_severity": "page",
    }
    assert page["annotations"]["summary"] == "Card authorisations fail: the budget burns fast"
    assert page["annotations"]["runbook"] == "https://runbooks.example/payments/card-auth"
    assert page["annotations"]["title"] == (
        "(page) {{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn rate is too fast."
    )
    assert 'sloth_id="PaymentsAPI-card_auth.v2"' in page["expr"] and "(14.4 * 0.0005)" in page["expr"]
    no_data = alerts[1]
    assert no_data["labels"]["category"] == "availability" and no_data["labels"]["journey"] == "checkout"


def test_ticket_labels_and_default_sloth_annotations():
    refunds = [r for r in _of(_rules("sloth/payments.yaml"), "refunds-latency") if "alert" in r]
    page, ticket, _ = refunds
    assert (page["alert"], ticket["alert"]) == ("PaymentsRefundsSlow", "PaymentsRefundsSlow")
    assert ticket["labels"]["severity"] == "warning" and ticket["labels"]["channel"] == "#payments"
    assert ticket["annotations"]["title"].startswith("(ticket) ")


def test_disabling_both_alerts_leaves_no_alert_at_all():
    assert [r for r in _rules("sloth/no-alerts.yaml") if "alert" in r] == []


def test_an_alert_windows_file_gives_the_windows_and_factors():
    rules = _of(_rules("sloth/payments.yaml", "sloth/windows-7d.yaml"), "card_auth.v2")
    windows = {r["labels"]["sloth_window"] for r in rules if r.get("record", "").startswith("slo:sli_error")}
    assert windows == {"5m", "30m", "1h", "2h", "6h", "1d", "3d", "7d"}
    page = next(r for r in rules if r.get("alert") == "PaymentsCardAuthBudgetBurn")
    # 8% of a 7-day budget within 1h: 0.08 * 168 = 13.44
    assert "(13.44 * 0.0005)" in page["expr"] and "(3.5 * 0.0005)" in page["expr"]


def test_openslo_alert_policies_become_burn_rate_alerts_one_per_notification_target():
    rules = _rules("openslo/stream.yaml", "openslo/alerting.yaml")
    alerts = [r for r in rules if "alert" in r]
    assert [a["alert"] for a in alerts] == ["SLONoData", "robots-fast-burn", "robots-fast-burn"]
    pager, chat = alerts[1:]
    assert [pager["labels"]["notification_target"], chat["labels"]["notification_target"]] == [
        "fleet-pager",
        "fleet-chat",
    ]
    assert pager["labels"]["severity"] == "page" and pager["labels"]["team"] == "fleet"
    assert pager["labels"]["notify_resolved"] == "true" and pager["for"] == "5m"
    assert pager["expr"] == (
        'max(slo:sli_error:ratio_rate1h{sloth_id="warehouse-robots-working", sloth_service="warehouse", '
        'sloth_slo="robots-working"} > (2.0 * 0.02)) without (sloth_window)\nor\n'
        'absent(slo:sli_error:ratio_rate1h{sloth_id="warehouse-robots-working", sloth_service="warehouse", '
        'sloth_slo="robots-working"})'
    )
    assert pager["annotations"]["description"] == "Page the fleet on-call when robots get stuck fast."


def test_threshold_slis_compare_the_way_their_op_says():
    rules = _rules("openslo/list-thresholds.yaml")
    ratio = {r["labels"]["sloth_slo"]: r["expr"] for r in rules if r.get("record") == "slo:sli_error:ratio_rate5m"}
    assert "< bool 0.8)[5m:1m]" in ratio["api-p99-below"]
    assert "<= bool 0.8)[5m:1m]" in ratio["api-p99-at-most"]
    assert ">= bool 2.0)[5m:5m]" in ratio["api-free-workers"]
    assert "> bool 0.0)[5m:1m]" in ratio["api-uptime"]
