"""Rendering helpers of the service reports."""

from sms_metrics.reports.render import _minutes, to_csv


def test_report_durations_read_at_a_glance():
    assert _minutes(840) == "14.0 min"
    assert _minutes(44506 * 60) == "30d 21h 46m"
    assert _minutes(7200) == "2h 0m"
    assert _minutes(None) == "n/a"


def test_csv_has_one_row_per_service_with_the_contract_fields():
    report = {
        "service": "web",
        "slo": "availability",
        "sli": "probe",
        "period": {"start": "2026-10-01T00:00:00Z", "end": "2026-11-01T00:00:00Z"},
        "target_percent": 99.9,
        "availability_percent": None,
        "met": None,
        "outages": [],
        "warnings": ["no data"],
    }
    lines = to_csv([report]).splitlines()
    assert lines[0].startswith("service,slo,sli,period_start,period_end,target_percent,availability_percent,met")
    assert lines[1].startswith("web,availability,probe,2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,99.9,,,")
    assert lines[1].endswith(",0,,,no data")


def test_every_markdown_table_header_has_as_many_cells_as_its_delimiter_row():
    """A GitHub Markdown table whose delimiter row has fewer cells than its header is no table at all."""
    from pathlib import Path

    import sms_metrics.reports

    templates = sorted((Path(sms_metrics.reports.__file__).parent / "templates").glob("*.md.j2"))
    assert templates
    for path in templates:
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if line.startswith("|---"):
                assert lines[i - 1].count("|") == line.count("|"), f"{path.name} line {i + 1}"
