"""The pack's ``index.html``: what is in the pack, for whom, over which period, with the SLA figures,
each kind's record counts by state and every file with its rows and SHA-256 — one self-contained page
an auditor opens in any browser (no script, no external asset)."""

from __future__ import annotations

from sms_metrics.core.evidence import GENERATED
from sms_metrics.reports.render import _env


def render_index(head: dict, files: list[dict]) -> bytes:
    by_name = {f["name"]: f for f in files}
    sections = [{**s, "files": [by_name[f["name"]] for f in s["files"]]} for s in head["sections"]]
    sla_files = [by_name[n] for n in ("sla-report.html", "sla-report.json", "sla-report.csv") if n in by_name]
    html = (
        _env()
        .get_template("evidence.html.j2")
        .render(head=head, sections=sections, sla_files=sla_files, generated=GENERATED)
    )
    return html.encode()
