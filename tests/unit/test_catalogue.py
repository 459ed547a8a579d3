"""Catalogue loading: valid files load, invalid ones list every error by path and reason."""

from pathlib import Path

import pytest

from sms_metrics.catalogue import load_catalogue, parse_catalogue
from sms_metrics.demo import DEMO_CATALOGUE
from sms_metrics.errors import CatalogueError

GOOD = """
apiVersion: sms-metrics/v1
services:
  - name: checkout
    criticality: high
    sla:
      availability_target: 99.9
      timezone: UTC
      service_hours: "24x7"
      response_minutes:   {P1: 15,  P2: 60,  P3: 240,  P4: 1440}
      resolution_minutes: {P1: 240, P2: 480, P3: 2880, P4: 10080}
      maintenance:
        - {start: "2026-10-04T01:00:00Z", end: "2026-10-04T03:00:00Z"}
    slos:
      - name: availability
        objective: 99.9
        window: 30d
        sli:
          probe: 'probe_success{service="checkout"}'
    capacity:
      - name: disk
        query: 'node_filesystem_avail_bytes{mountpoint="/"}'
        limit: 0
        direction: down
        lead_time: 14d
"""


def test_the_design_example_loads():
    cat = parse_catalogue(GOOD)
    svc = cat.service("checkout")
    assert svc.sla.availability_target == 99.9
    assert svc.availability_slo().sli.kind == "probe"
    assert svc.availability_slo().window_seconds == 30 * 86400
    assert svc.capacity[0].direction == "down"


def test_the_demo_catalogue_is_valid():
    cat = load_catalogue(DEMO_CATALOGUE)
    assert {s.sli.kind for svc in cat.services for s in svc.slos} == {"probe", "events", "latency", "threshold"}


def test_every_error_is_listed_with_its_path():
    bad = (
        GOOD.replace("availability_target: 99.9", "availability_target: 0")
        .replace("criticality: high", "criticality: extreme")
        .replace("window: 30d", "window: 30 days")
    )
    with pytest.raises(CatalogueError) as e:
        parse_catalogue(bad, "sms.yaml")
    msgs = "\n".join(e.value.errors)
    assert "services[0].sla.availability_target: must be > 0 and <= 100" in msgs
    assert "services[0].criticality:" in msgs and "'extreme'" in msgs
    assert "services[0].slos[0].window: invalid duration '30 days'" in msgs
    assert len(e.value.errors) == 3
    assert str(e.value).startswith("sms.yaml: 3 error(s)")


def test_errors_carry_line_numbers():
    bad = GOOD.replace("objective: 99.9", "objective: 120")
    with pytest.raises(CatalogueError) as e:
        parse_catalogue(bad)
    assert e.value.errors == ["services[0].slos[0].objective: must be > 0 and <= 100 (line 16)"]


@pytest.mark.parametrize(
    "mutation, expected",
    [
        (("probe: 'probe_success{service=\"checkout\"}'", "probe: 'sum(rate(x[5m]))'"), "must be a series selector"),
        (
            ("probe: 'probe_success{service=\"checkout\"}'", "events: {errors: 'a', total: 'b'}"),
            "must contain {{window}}",
        ),
        (
            ("          probe: 'probe_success{service=\"checkout\"}'", "          aggregate: min"),
            "needs exactly one of",
        ),
        (('end: "2026-10-04T03:00:00Z"', 'end: "2026-10-04T00:00:00Z"'), "end must be after start"),
        (('start: "2026-10-04T01:00:00Z"', 'start: "2026-10-04T01:00:00"'), "must carry a time zone"),
        (("P1: 15,", "P0: 15,"), "unknown priority P0"),
        (("timezone: UTC", "timezone: Moon/Base"), "unknown time zone 'Moon/Base'"),
        (("name: checkout", "name: Check_Out"), "lowercase letters, digits and '-'"),
        (("    slos:", "    colour: blue\n    slos:"), "services[0].colour: unknown field"),
    ],
)
def test_each_kind_of_bad_value_gets_a_message(mutation, expected):
    with pytest.raises(CatalogueError) as e:
        parse_catalogue(GOOD.replace(*mutation))
    assert expected in str(e.value)


def test_duplicate_service_names_are_refused():
    doubled = GOOD + GOOD.split("services:\n", 1)[1]
    with pytest.raises(CatalogueError, match=r"services\[1\].name: duplicate service name 'checkout'"):
        parse_catalogue(doubled)


def test_wrong_api_version_and_broken_yaml():
    with pytest.raises(CatalogueError, match="apiVersion: must be 'sms-metrics/v1'"):
        parse_catalogue(GOOD.replace("sms-metrics/v1", "v2"))
    with pytest.raises(CatalogueError, match=r"(?s)x.yaml:3:\d+.*invalid YAML: mapping values"):
        parse_catalogue("apiVersion: sms-metrics/v1\nservices:\n  - name: a: b\n", "x.yaml")


def test_missing_file_is_a_clear_error(tmp_path: Path):
    with pytest.raises(CatalogueError, match="file not found"):
        load_catalogue(tmp_path / "nope.yaml")


def test_an_empty_catalogue_is_refused():
    for text in ("apiVersion: sms-metrics/v1\nservices: []\n", "apiVersion: sms-metrics/v1\n"):
        with pytest.raises(CatalogueError, match="services: the catalogue has no services"):
            parse_catalogue(text, "sms.yaml")


def test_an_sla_target_that_differs_from_its_slo_objective_is_a_warning():
    from sms_metrics.catalogue.checks import catalogue_warnings

    assert catalogue_warnings(parse_catalogue(GOOD)) == []
    (warning,) = catalogue_warnings(parse_catalogue(GOOD.replace("objective: 99.9", "objective: 99.5")))
    assert warning.startswith("services[0].sla.availability_target: 99.9% differs from the objective 99.5%")
    assert "'availability' of 'checkout'" in warning


def test_capacity_units_bound_the_limit():
    cat = parse_catalogue(GOOD.replace("lead_time: 14d", "lead_time: 14d\n        unit: bytes"))
    assert cat.services[0].capacity[0].bounds == (0.0, None)
    pct = GOOD.replace("limit: 0", "limit: 120").replace("lead_time: 14d", "lead_time: 14d\n        unit: percent")
    with pytest.raises(CatalogueError, match=r"limit 120 is outside the bounds of unit 'percent' \[0, 100\]"):
        parse_catalogue(pct)
    custom = GOOD.replace(
        "lead_time: 14d", "lead_time: 14d\n        unit: count\n        max: 500\n        aggregate: p95"
    )
    res = parse_catalogue(custom).services[0].capacity[0]
    assert res.bounds == (0.0, 500.0) and res.aggregate == "p95"
