"""Importing Sloth and OpenSLO files: every variant keeps names, labels and alert settings; every
refusal names the field (and its line); --lenient turns refusals into warnings."""

from __future__ import annotations

from pathlib import Path

import pytest

from sms_metrics.catalogue.importers import import_documents, import_files
from sms_metrics.catalogue.loader import parse_catalogue
from sms_metrics.catalogue.writer import dump_catalogue
from sms_metrics.errors import CatalogueError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
SLOTH, OPENSLO, REFUSED = FIXTURES / "sloth", FIXTURES / "openslo", FIXTURES / "refused"


def _import(*names: str, folder: Path = SLOTH, **kw):
    return import_files([folder / n for n in names], **kw)


def _slo(cat, service: str, name: str):
    return next(s for s in cat.service(service).slos if s.name == name)


def test_sloth_service_and_slo_names_stay_sloths_so_sloth_id_does_not_change():
    cat = _import("payments.yaml").catalogue
    svc = cat.service("paymentsapi")  # the catalogue's own name for it
    assert svc.sloth_service == "PaymentsAPI"
    assert [s.name for s in svc.slos] == ["card_auth.v2", "refunds-latency"]
    assert svc.sloth_id(svc.slos[0]) == "PaymentsAPI-card_auth.v2"


def test_sloth_labels_of_the_spec_and_of_each_slo_are_kept_as_text():
    svc = _import("payments.yaml").catalogue.service("paymentsapi")
    assert svc.labels == {"team": "payments", "tier": "1", "pci": "true"}
    assert svc.slos[0].labels == {"journey": "checkout"} and svc.slos[1].labels == {}


def test_sloth_alert_name_labels_annotations_and_disable_are_kept():
    a = _slo(_import("payments.yaml").catalogue, "paymentsapi", "card_auth.v2").alerting
    assert a.name == "PaymentsCardAuthBudgetBurn" and a.labels == {"category": "availability"}
    assert a.page.labels == {"severity": "critical", "routing_key": "payments-oncall"}
    assert a.page.annotations["summary"] == "Card authorisations fail: the budget burns fast"
    assert a.page.annotations["runbook"] == "https://runbooks.example/payments/card-auth"
    # Sloth's own default title is kept too, so notification templates read the same
    assert a.page.annotations["title"].startswith("(page) {{$labels.sloth_service}} {{$labels.sloth_slo}}")
    assert a.ticket.disable and not a.no_data.disable


def test_sloth_default_annotations_fill_in_what_the_spec_leaves_out():
    a = _slo(_import("payments.yaml").catalogue, "paymentsapi", "refunds-latency").alerting
    assert a.ticket.labels == {"severity": "warning", "channel": "#payments"}
    assert a.ticket.annotations["summary"] == (
        "{{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn rate is over expected."
    )


def test_sloth_window_templates_become_the_catalogues_in_events_slis():
    slo = _slo(_import("payments.yaml").catalogue, "paymentsapi", "refunds-latency")
    assert "{{ .window }}" not in slo.sli.events.errors and slo.sli.events.errors.count("[{{window}}]") == 2


def test_an_slo_with_both_alerts_disabled_gets_no_no_data_alert_either():
    a = _import("no-alerts.yaml").catalogue.service("newsletter").slos[0].alerting
    assert a.page.disable and a.ticket.disable and a.no_data.disable


def test_kubernetes_objects_many_per_file_and_in_a_list():
    cat = _import("k8s-ledger.yaml").catalogue
    assert [s.name for s in cat.services] == ["ledger", "ledger-export"]
    ledger = cat.service("ledger")
    assert ledger.labels == {"team": "books"} and ledger.slos[0].labels == {"journey": "posting"}
    assert ledger.slos[0].alerting.ticket.labels == {"severity": "warning"}
    assert cat.service("ledger-export").slos[0].alerting.page.disable
    listed = _import("k8s-list.yaml").catalogue
    assert [(s.name, s.slos[0].alerting.name) for s in listed.services] == [
        ("stock", "StockReservationsFailing"),
        ("pricing", "PricingQuotesFailing"),
    ]


def test_kubernetes_metadata_is_noted_not_refused():
    notes = _import("k8s-ledger.yaml").messages.notes
    assert any(n.startswith("document[1].metadata: Kubernetes object identity") for n in notes)


def test_sloths_victoriametrics_validator_means_a_victoriametrics_store():
    cat = _import("victoria.yaml").catalogue
    assert cat.store == "victoriametrics"
    assert "histogram_share" in cat.service("media").slos[0].sli.events.errors


def test_an_alert_windows_file_sets_the_period_and_windows_of_the_sloth_slos():
    cat = _import("payments.yaml", "windows-7d.yaml").catalogue
    slo = cat.service("paymentsapi").slos[0]
    assert slo.window == "7d"
    assert slo.alert_windows.page.quick.errorBudgetPercent == 8
    assert slo.alert_windows.ticket.slow.longWindow == "3d"


def test_alert_windows_for_two_periods_are_refused():
    other = (SLOTH / "windows-7d.yaml").read_text().replace("sloPeriod: 7d", "sloPeriod: 28d")
    with pytest.raises(CatalogueError, match="AlertWindows for several periods"):
        import_documents((SLOTH / "windows-7d.yaml").read_text() + "---\n" + other, "w.yaml")


def test_openslo_v1alpha_objectives_become_slos_named_as_sloth_names_them():
    svc = _import("openslo-v1alpha.yaml").catalogue.service("search")
    assert [s.name for s in svc.slos] == ["search-quality-0", "search-quality-1"]
    assert svc.sloth_id(svc.slos[1]) == "search-search-quality-1"
    first, fast = svc.slos
    assert (first.objective, first.window, first.display_name) == (99.5, "28d", "Search answers")
    assert fast.display_name == "fast" and fast.objective == 90
    assert first.sli.events.errors == (
        '(sum(rate(search_requests_total[{{window}}]))) - (sum(rate(search_requests_total{code!~"5.."}[{{window}}])))'
    )
    # Sloth makes no alerts for OpenSLO specs: neither does the import
    assert first.alerting.page.disable and first.alerting.ticket.disable and first.alerting.no_data.disable


def test_openslo_ratio_on_counters_gets_each_window_applied_with_rate():
    slo = _import("single-ratio.yaml", folder=OPENSLO).catalogue.service("basket").slos[0]
    assert slo.name == "basket-availability" and slo.window == "28d" and slo.objective == 99.9
    assert slo.sli.events.total == "sum(rate(basket_requests_total[{{window}}]))"
    assert slo.sli.events.errors == (
        '(sum(rate(basket_requests_total[{{window}}]))) - (sum(rate(basket_requests_total{code!~"5.."}[{{window}}])))'
    )
    assert slo.labels == {"team": "shop,web", "tier": "2"}
    assert slo.display_name == "Basket answers: good answers"
    assert slo.alerting is None  # no alert policy: sms-metrics' own page and ticket alerts


def test_openslo_references_across_files_calendar_month_gauges_and_alert_policies():
    cat = _import("stream.yaml", "alerting.yaml", folder=OPENSLO).catalogue
    svc = cat.service("warehouse")
    assert (svc.display_name, svc.description, svc.labels) == (
        "Warehouse robots",
        "Robots that pick and pack orders.",
        {"site": "fra1"},
    )
    slo = svc.slos[0]
    # counter: false — gauges, averaged over each window; bad/total
    assert slo.sli.events.errors == 'sum(avg_over_time(warehouse_robots{state="stuck"}[{{window}}]))'
    assert slo.description == "Robots that are stuck, among those on shift."  # from the SLI
    # a calendar month is the SLA month in its time zone
    assert (svc.sla.availability_target, svc.sla.timezone, svc.sla.slo) == (98.0, "Europe/Berlin", "robots-working")
    assert svc.availability_slo() is slo
    a = slo.alerting
    assert a.page.disable and a.ticket.disable
    (b,) = a.burn_rate
    assert (b.name, b.severity, b.window, b.op, b.threshold, b.alert_after) == (
        "robots-fast-burn",
        "page",
        "1h",
        "gt",
        2,
        "5m",
    )
    assert b.no_data and b.notify_resolved and b.labels == {"team": "fleet"}
    assert [(t.name, t.target) for t in b.notify] == [("fleet-pager", "pagerduty"), ("fleet-chat", "slack")]
    assert b.annotations == {
        "summary": "The budget burns more than twice as fast as it may over an hour",
        "description": "Page the fleet on-call when robots get stuck fast.",
    }


def test_a_reference_to_a_file_not_given_names_the_field_and_line():
    with pytest.raises(CatalogueError) as e:
        _import("stream.yaml", folder=OPENSLO)
    assert e.value.errors == [
        "document[3].spec.alertPolicies[0].alertPolicyRef: names no AlertPolicy in the files given (line 59)"
    ]


def test_every_threshold_op_is_mapped_the_right_way_round():
    svc = _import("list-thresholds.yaml", folder=OPENSLO).catalogue.service("api")
    bounds = {s.name: (s.sli.threshold.op, s.sli.threshold.value) for s in svc.slos if s.sli.threshold}
    assert bounds == {
        "api-p99-below": ("lt", 0.8),
        "api-p99-at-most": ("lte", 0.8),
        "api-free-workers": ("gte", 2),
        "api-uptime": ("gt", 0),
    }
    p99 = svc.slos[0].sli.threshold
    assert p99.query.startswith("histogram_quantile(0.99,") and p99.below == 0.8 and not p99.is_selector
    workers = svc.slos[2]
    assert (workers.step, workers.window) == ("5m", "7d")  # Timeslices: the slice is the step


def test_every_objective_becomes_an_slo():
    svc = _import("list-thresholds.yaml", folder=OPENSLO).catalogue.service("api")
    errors = [s for s in svc.slos if s.name.startswith("api-errors")]
    assert [(s.name, s.objective, s.display_name) for s in errors] == [
        ("api-errors-0", 99.9, "internal objective"),
        ("api-errors-1", 99.5, "contract"),
    ]
    assert errors[0].sli.events.errors == 'sum(rate(api_requests_total{code=~"5.."}[{{window}}]))'


def test_timeslices_map_onto_steps():
    svc = _import("timeslices.yaml", folder=OPENSLO).catalogue.service("uploads")
    ratio, queue = svc.slos
    assert (ratio.step, ratio.window) == ("1m", "4w")
    assert ratio.sli.threshold.query == ('(sum(rate(uploads_total{result="ok"}[1m]))) / (sum(rate(uploads_total[1m])))')
    assert ratio.sli.threshold.min == 0.95  # a slice is good when 95% of its uploads are
    assert queue.step == "5m"  # timeSliceWindow: 5 (minutes)
    assert queue.sli.threshold.query == "avg_over_time(((max(uploads_queue_depth)) <= bool 100.0)[5m:])"
    assert queue.sli.threshold.min == 0.9


def test_every_good_fixture_imports_into_a_catalogue_the_loader_accepts():
    files = sorted(SLOTH.glob("*.yaml")) + sorted(OPENSLO.glob("*.yaml"))
    for f in files:
        if f.name in ("windows-7d.yaml", "alerting.yaml"):  # read with the files that use them
            continue
        with_refs = [f, OPENSLO / "alerting.yaml"] if f.name == "stream.yaml" else [f]
        text = dump_catalogue(import_files(with_refs).catalogue)
        assert parse_catalogue(text, str(f)).services, f


def _expectations(path: Path, key: str) -> list[str]:
    return [line.split(key, 1)[1].strip() for line in path.read_text().splitlines() if line.startswith(key)]


@pytest.mark.parametrize("path", sorted(REFUSED.glob("*.yaml")), ids=lambda p: p.name)
def test_every_refusal_names_the_field_and_its_line(path):
    expected = _expectations(path, "# expect:")
    assert expected
    with pytest.raises(CatalogueError) as e:
        import_files([path])
    assert len(e.value.errors) == len(expected), e.value.errors
    for want in expected:
        assert any(want in got for got in e.value.errors), (want, e.value.errors)
    assert all(got.endswith(")") and "(line " in got for got in e.value.errors)


@pytest.mark.parametrize("path", sorted(REFUSED.glob("*.yaml")), ids=lambda p: p.name)
def test_lenient_turns_each_refusal_into_a_warning_and_failures_stay_errors(path):
    lenient = _expectations(path, "# lenient:")
    if not lenient:
        with pytest.raises(CatalogueError):
            import_files([path], lenient=True)
        return
    warnings = import_files([path], lenient=True).messages.warnings
    for want in lenient:
        assert any(want in w and w.endswith(")") and "(left out)" in w for w in warnings), (want, warnings)


def test_metricsql_is_accepted_when_the_store_is_victoriametrics():
    cat = import_files([REFUSED / "sloth-metricsql.yaml"], store="victoriametrics").catalogue
    assert cat.store == "victoriametrics"


def test_files_are_named_in_errors_when_several_are_imported():
    with pytest.raises(CatalogueError) as e:
        import_files([SLOTH / "payments.yaml", REFUSED / "sloth-raw.yaml"])
    assert e.value.errors[0].startswith(f"{REFUSED / 'sloth-raw.yaml'}: slos[0].sli.raw:")


def test_the_same_service_from_two_files_merges_and_duplicate_slos_are_refused():
    cat = import_files([SLOTH / "openslo-v1alpha.yaml", OPENSLO / "single-ratio.yaml"]).catalogue
    assert [s.name for s in cat.services] == ["search", "basket"]
    with pytest.raises(CatalogueError, match="duplicate SLO 'postings' in service 'ledger'"):
        import_files([SLOTH / "k8s-ledger.yaml", SLOTH / "k8s-ledger.yaml"])
