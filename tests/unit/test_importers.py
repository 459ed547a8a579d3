"""Importing Sloth and OpenSLO definitions into the catalogue model."""

import pytest

from sms_metrics.catalogue.importers import import_documents
from sms_metrics.catalogue.loader import parse_catalogue
from sms_metrics.catalogue.writer import dump_catalogue
from sms_metrics.errors import CatalogueError

SLOTH = """
version: "prometheus/v1"
service: "myservice"
labels: {owner: "myteam"}
slos:
  - name: "requests-availability"
    objective: 99.9
    description: "Common SLO based on availability for HTTP request responses."
    sli:
      events:
        error_query: sum(rate(http_request_duration_seconds_count{job="myservice",code=~"(5..|429)"}[{{.window}}]))
        total_query: sum(rate(http_request_duration_seconds_count{job="myservice"}[{{.window}}]))
    alerting:
      name: MyServiceHighErrorRate
      annotations: {runbook: "https://runbooks.example/myservice"}
"""

OPENSLO = """
apiVersion: openslo/v1
kind: SLI
metadata: {name: good-ratio}
spec:
  ratioMetric:
    counter: true
    good:
      metricSource: {type: Prometheus, spec: {query: 'sum(rate(http_requests_total{code!~"5.."}[{{window}}]))'}}
    total:
      metricSource: {type: Prometheus, spec: {query: 'sum(rate(http_requests_total[{{window}}]))'}}
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: web-availability}
spec:
  service: web-shop
  indicatorRef: good-ratio
  timeWindow: [{duration: 28d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{displayName: good, target: 0.995}]
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: latency}
spec:
  service: web-shop
  indicator:
    metadata: {name: latency}
    spec:
      thresholdMetric:
        metricSource: {type: Prometheus, spec: {query: 'probe_duration_seconds{service="web-shop"}'}}
  timeWindow: [{duration: 7d, isRolling: true}]
  objectives: [{target: 0.99, op: lte, value: 0.5}]
"""


def test_sloth_events_slo_becomes_an_events_sli_with_window_template():
    cat = import_documents(SLOTH, "sloth.yaml").catalogue
    slo = cat.service("myservice").slos[0]
    assert slo.name == "requests-availability" and slo.objective == 99.9
    assert slo.sli.events.errors.endswith("[{{window}}]))")
    assert slo.runbook == "https://runbooks.example/myservice"


def test_openslo_ratio_and_threshold_metrics():
    cat = import_documents(OPENSLO, "openslo.yaml").catalogue
    web = cat.service("web-shop")
    ratio, latency = web.slos
    assert ratio.objective == pytest.approx(99.5) and ratio.window == "28d"
    assert ratio.sli.events.errors.startswith("(sum(rate(http_requests_total[{{window}}]))) - (")
    assert latency.sli.threshold.max == 0.5 and latency.window == "7d"


def test_imported_catalogue_round_trips_through_the_loader():
    text = dump_catalogue(import_documents(SLOTH + "---\n" + OPENSLO, "mixed.yaml").catalogue)
    again = parse_catalogue(text)
    assert [s.name for s in again.services] == ["myservice", "web-shop"]


def test_unsupported_sloth_plugins_are_refused_by_name():
    plugin = SLOTH.replace("      events:", "      plugin: {id: x}\n      unused:")
    with pytest.raises(CatalogueError, match=r"document\[0\].slos\[0\].sli.plugin: Sloth plugin SLIs cannot"):
        import_documents(plugin, "sloth.yaml")


def test_unknown_documents_are_refused():
    with pytest.raises(CatalogueError, match="neither Sloth"):
        import_documents("kind: Deployment\n", "k8s.yaml")
