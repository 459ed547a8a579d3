"""``catalogue export``: import → export → import gives the same catalogue, for Sloth and OpenSLO;
what Sloth cannot say is an error naming the field (a warning with --lenient)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sms_metrics.catalogue import load_catalogue
from sms_metrics.catalogue.importers import import_documents, import_files
from sms_metrics.catalogue.importers.export_openslo import export_openslo
from sms_metrics.catalogue.importers.export_sloth import export_sloth
from sms_metrics.catalogue.writer import catalogue_data
from sms_metrics.errors import CatalogueError

ROOT = Path(__file__).resolve().parents[2]
IMPORTS = ROOT / "tests" / "fixtures" / "imports"
SLOTH_SETS = [
    ["sloth/payments.yaml"],
    ["sloth/payments.yaml", "sloth/windows-7d.yaml"],
    ["sloth/k8s-ledger.yaml"],
    ["sloth/k8s-list.yaml"],
    ["sloth/no-alerts.yaml"],
    ["sloth/victoria.yaml"],
]
OPENSLO_SETS = [
    ["openslo/single-ratio.yaml"],
    ["openslo/stream.yaml", "openslo/alerting.yaml"],
    ["openslo/list-thresholds.yaml"],
    ["openslo/timeslices.yaml"],
    ["sloth/openslo-v1alpha.yaml"],
]


def _imported(files: list[str]):
    return import_files([IMPORTS / f for f in files]).catalogue


@pytest.mark.parametrize("files", SLOTH_SETS, ids=lambda f: "+".join(f))
def test_sloth_import_export_import_gives_the_same_catalogue(files):
    cat = _imported(files)
    exported = export_sloth(cat)
    assert exported.messages.warnings == []
    again = import_documents(exported.text, "exported.yaml").catalogue
    assert catalogue_data(again) == catalogue_data(cat)


@pytest.mark.parametrize("files", SLOTH_SETS + OPENSLO_SETS, ids=lambda f: "+".join(f))
def test_openslo_import_export_import_gives_the_same_catalogue(files):
    cat = _imported(files)
    again = import_documents(export_openslo(cat).text, "exported.yaml").catalogue
    assert catalogue_data(again) == catalogue_data(cat)


def test_openslo_export_of_openslo_files_needs_no_sms_metrics_annotation():
    for files in OPENSLO_SETS[:4]:
        exported = export_openslo(_imported(files))
        assert "sms-metrics/" not in exported.text, files


def test_openslo_export_writes_what_other_tools_read():
    text = export_openslo(_imported(["openslo/stream.yaml", "openslo/alerting.yaml"])).text
    assert "counter: false" in text and 'query: sum(warehouse_robots{state="stuck"})' in text
    assert "duration: 1M" in text and "timeZone: Europe/Berlin" in text
    assert "lookbackWindow: 1h" in text and "target: pagerduty" in text


@pytest.mark.parametrize("path", ["sms_metrics/demo/sms.yaml", "tests/fixtures/catalogues/good-all-sli-kinds.yaml"])
def test_a_native_catalogue_survives_an_openslo_round_trip_through_annotations(path):
    cat = load_catalogue(ROOT / path)
    exported = export_openslo(cat)
    assert any("sla: kept as an sms-metrics/ annotation" in n for n in exported.messages.notes)
    again = import_documents(exported.text, "exported.yaml").catalogue
    assert catalogue_data(again) == catalogue_data(cat)


def test_sloth_export_names_every_field_sloth_cannot_say():
    with pytest.raises(CatalogueError) as e:
        export_sloth(load_catalogue(ROOT / "sms_metrics/demo/sms.yaml"))
    errors = e.value.errors
    assert (
        "services[0].slos[0].sli.probe: Sloth has no probe SLI: it can only be written as a raw error ratio" in errors
    )
    assert (
        "services[0].sla: Sloth has no SLA" in errors
        and "services[0].capacity: Sloth has no capacity resources" in errors
    )
    assert "services[2].slos[0].window: Sloth uses one period for a run; the first SLO's is 30d" in errors
    assert "services[2].slos[0].sli: Sloth has no such SLI: it becomes an events SLI" in errors


def test_sloth_export_lenient_writes_the_rest_and_warns():
    out = export_sloth(load_catalogue(ROOT / "sms_metrics/demo/sms.yaml"), lenient=True)
    assert "services[0].sla: Sloth has no SLA (left out)" in out.messages.warnings
    assert 'error_ratio_query: 1 - min(avg_over_time(probe_success{service="checkout"}[{{.window}}]))' in out.text
    assert 'error_query: sum(rate(http_requests_total{service="search",code=~"5.."}[{{.window}}]))' in out.text


def test_sloth_export_keeps_sloths_names_and_writes_the_victoriametrics_validator():
    text = export_sloth(_imported(["sloth/payments.yaml", "sloth/victoria.yaml"])).text
    assert "service: PaymentsAPI" in text and "- name: card_auth.v2" in text
    assert "id: sloth.dev/contrib/validate_victoria_metrics/v1" in text


def test_sloth_export_of_v1alpha_slos_names_their_display_names():
    with pytest.raises(CatalogueError, match=r"services\[0\].slos\[0\].display_name: Sloth has no display names"):
        export_sloth(_imported(["sloth/openslo-v1alpha.yaml"]))
