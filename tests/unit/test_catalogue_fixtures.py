"""Catalogue fixtures: every good file loads and yields rules; every bad file fails as its header says."""

from pathlib import Path

import pytest

from sms_metrics.catalogue import load_catalogue
from sms_metrics.errors import CatalogueError
from sms_metrics.rules.generator import catalogue_rules

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "catalogues"


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("good-*.yaml")), ids=lambda p: p.name)
def test_good_catalogues_load_and_generate_rules(path):
    cat = load_catalogue(path)
    rules = catalogue_rules(cat)
    assert set(rules) == {s.name for s in cat.services}
    assert all(g["rules"] for groups in rules.values() for g in groups)


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("bad-*.yaml")), ids=lambda p: p.name)
def test_bad_catalogues_fail_with_the_expected_errors(path):
    expected = [
        line.split("expect:", 1)[1].strip() for line in path.read_text().splitlines() if line.startswith("# expect:")
    ]
    assert expected, "a bad fixture must say what it expects"
    with pytest.raises(CatalogueError) as e:
        load_catalogue(path)
    assert len(e.value.errors) == len(expected)
    for want in expected:
        assert any(want in got for got in e.value.errors), (want, e.value.errors)
