"""The auditor's evidence pack of one service and one period: the SLA report (measured from Prometheus
by the availability report's code, approved change windows excluded), the records of every kind that
belong to the period (``collect``), an HTML index, ``manifest.json`` (every file's SHA-256 and size) and
``SHA256SUMS`` (for ``sha256sum -c``), all in one zip. Restricted kinds only for restricted principals."""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sms_metrics import __version__
from sms_metrics.core.evidence import GENERATED, file_entries, json_bytes, rfc3339, sha256sums
from sms_metrics.core.periods import Period, parse_period
from sms_metrics.errors import Forbidden, InputError, PrometheusError, RecordInvalid
from sms_metrics.evidence.collect import collect
from sms_metrics.evidence.files import kind_files
from sms_metrics.evidence.spec import spec_of
from sms_metrics.register.records.access import WEBHOOK_ROLE, Principal


@dataclass
class Pack:
    service: str
    period: Period
    files: dict[str, bytes]  # every file, index.html, manifest.json and SHA256SUMS last
    manifest: dict
    warnings: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"evidence-{self.service}-{self.period.label.replace('..', '_')}"

    def zip_bytes(self) -> bytes:
        buf = io.BytesIO()
        stamp = datetime.fromisoformat(self.manifest["generated_at"].replace("Z", "+00:00"))
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in self.files.items():
                info = zipfile.ZipInfo(f"{self.name}/{name}", stamp.timetuple()[:6])
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, data)
        return buf.getvalue()

    def write(self, out: Path) -> Path:
        """The files into ``out`` (so ``sha256sum -c SHA256SUMS`` runs there) and the zip beside them."""
        out.mkdir(parents=True, exist_ok=True)
        for name, data in self.files.items():
            (out / name).write_bytes(data)
        target = out / f"{self.name}.zip"
        target.write_bytes(self.zip_bytes())
        return target


def sla_files(system, service: str, period_text: str, period: Period, now: datetime) -> tuple[dict, dict | None, str]:
    """The SLA report's files, the report (None when it could not be measured) and why not."""
    from sms_metrics.register.measures import change_windows, overlapping_incidents
    from sms_metrics.reports.availability import measure_catalogue
    from sms_metrics.reports.render import render
    from sms_metrics.reports.sla_document import report_dict

    try:
        [rep] = measure_catalogue(
            system.prometheus,
            system.catalogue,
            period_text,
            service=service,
            now=now,
            concurrency=system.settings.prometheus_concurrency,
            extra_windows=change_windows(system),
            incidents=overlapping_incidents(system),
        )
    except PrometheusError as exc:
        why = f"the SLA report could not be measured: {exc}"
        return {"sla-report.json": json_bytes({"service": service, "error": why})}, None, why
    report = report_dict(rep)
    files = {
        "sla-report.json": render([report], "json", single=True).encode(),
        "sla-report.csv": render([report], "csv", single=True).encode(),
        "sla-report.html": render([report], "html", single=True).encode(),
    }
    return files, report, "" if report["availability_percent"] is not None else "the SLA report has no data"


def _check(system, who: Principal, service: str) -> None:
    if who.role == WEBHOOK_ROLE:
        raise Forbidden("the webhook token may only deliver alerts")
    if system.catalogue is None:
        raise InputError("the evidence pack needs the catalogue: give --catalogue or set SMS_CATALOGUE")
    if system.catalogue.find(service) is None:
        names = ", ".join(sorted(s.name for s in system.catalogue.services))
        raise RecordInvalid([f"query.service: unknown service {service!r}; the catalogue has: {names}"])


def build_pack(system, who: Principal, service: str, period_text: str, *, now: datetime | None = None) -> Pack:
    """Everything an auditor asks for about ``service`` over ``period_text`` (2026-10, a date range...)."""
    _check(system, who, service)
    now = now or system.now()
    svc = system.catalogue.find(service)
    tz = svc.sla.timezone if svc.sla else "UTC"
    period = parse_period(period_text, tz, now=now)
    files, sla, problem = sla_files(system, service, period_text, period, now)
    counts: dict[str, int] = {}
    sections = []
    records = system.records
    kinds = [k for k in records.kinds.values() if spec_of(k).include and (who.restricted or not k.restricted)]
    with records.reading() as session:
        for kind in sorted(kinds, key=lambda k: (spec_of(k).order, k.path)):
            spec = spec_of(kind)
            found = collect(session, records, kind, spec, service, period, tz)
            made, rows = kind_files(found, spec, now, records.read_model(kind))
            files |= made
            counts |= rows
            sections.append(_section(found, spec, made, rows))
    head = {
        "generated_by": f"sms-metrics {__version__} ({GENERATED})",
        "generated_at": rfc3339(now.replace(microsecond=0)),
        "generated_for": who.name,
        "restricted": who.restricted,
        "service": service,
        "period": {"label": period.label, "start": rfc3339(period.start), "end": rfc3339(period.end), "timezone": tz},
        "sla": _sla_summary(sla, problem),
        "sections": sections,
        "warnings": [problem] if problem else [],
    }
    from sms_metrics.evidence.index import render_index

    files["index.html"] = render_index(head, file_entries(files, counts))
    manifest = {**head, "files": file_entries(files, counts)}
    files["manifest.json"] = json_bytes(manifest)
    files["SHA256SUMS"] = sha256sums(files)
    return Pack(service, period, files, manifest, head["warnings"])


def _section(found, spec, made: dict, rows: dict) -> dict:
    kind = found.kind
    return {
        "kind": kind.name,
        "path": kind.path,
        "title": spec.section or kind.description or kind.path,
        "scope": found.scope,
        "records": len(found.records),
        "by_status": dict(sorted(Counter(r.status for r in found.records).items())),
        "files": [{"name": n, "rows": rows.get(n)} for n in made],
    }


def _sla_summary(report: dict | None, problem: str) -> dict:
    if report is None:
        return {"error": problem}
    keys = ("slo", "target_percent", "availability_percent", "met", "downtime_seconds", "data_coverage_percent")
    return {k: report[k] for k in (*keys, "error_budget_remaining_percent")} | {"outages": len(report["outages"])}
