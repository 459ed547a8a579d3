"""Assemble imported SLOs into one catalogue: service names, labels, SLAs, store, query checks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pydantic import ValidationError

from sms_metrics.catalogue.importers.source import At, Report
from sms_metrics.catalogue.model import API_VERSION, NAME_PATTERN, SLOTH_NAME_PATTERN, Catalogue
from sms_metrics.catalogue.promql import problems
from sms_metrics.catalogue.yamlsource import error_lines


def service_name(written: str) -> tuple[str, str | None, str | None]:
    """(catalogue name, Sloth name to keep, display name to keep) for a service name as written.

    A name the catalogue accepts stays; another is lower-cased and dashed, and the original is kept
    as ``sloth_service`` (so ``sloth_id`` and the series stay Sloth's) or, when even Sloth would not
    accept it, as ``display_name``."""
    if re.fullmatch(NAME_PATTERN, written):
        return written, None, None
    slug = re.sub(r"[^a-z0-9]+", "-", written.lower()).strip("-") or "service"
    if re.fullmatch(SLOTH_NAME_PATTERN, written):
        return slug, written, None
    return slug, None, written


@dataclass
class Found:
    """One imported SLO and what its document says about the service."""

    service: str  # as written
    slo: dict  # a catalogue SLO
    at: At
    service_labels: dict[str, str] | None = None  # labels the document gives the whole service
    sla: dict | None = None  # from a calendar-month window
    service_fields: dict = field(default_factory=dict)  # display_name, description


@dataclass
class Builder:
    report: Report
    store: str | None = None
    services: dict[str, dict] = field(default_factory=dict)
    written: dict[str, str] = field(default_factory=dict)
    own_labels: dict[int, dict[str, str]] = field(default_factory=dict)  # id(slo dict) -> service labels
    sla_from: dict[str, str] = field(default_factory=dict)
    queries: list[tuple[At, str]] = field(default_factory=list)
    overrides: dict[str, dict] = field(default_factory=dict)

    def query(self, at: At, text: str) -> str:
        """Remember a query to check once the store is known; return it."""
        self.queries.append((at, text))
        return text

    def service(self, written: str, at: At) -> dict | None:
        name, sloth, display = service_name(written)
        if name in self.written and self.written[name] != written:
            self.report.fail(
                at, f"service {written!r} and {self.written[name]!r} would both be {name!r} in the catalogue"
            )
            return None
        self.written[name] = written
        entry = self.services.setdefault(name, {"name": name, "slos": []})
        if sloth:
            entry["sloth_service"] = sloth
        if display:
            entry.setdefault("display_name", display)
        return entry

    def add(self, found: Found) -> None:
        entry = self.service(found.service, found.at)
        if entry is None:
            return
        if any(s["name"] == found.slo["name"] for s in entry["slos"]):
            self.report.fail(found.at, f"duplicate SLO {found.slo['name']!r} in service {entry['name']!r}")
            return
        entry["slos"].append(found.slo)
        for k, v in found.service_fields.items():
            entry.setdefault(k, v)
        if found.service_labels:
            self.own_labels[id(found.slo)] = found.service_labels
        if found.sla is not None:
            self._sla(entry, found)

    def _sla(self, entry: dict, found: Found) -> None:
        if entry["name"] in self.sla_from:
            self.report.refuse(
                found.at,
                f"a second calendar-month SLO for service {entry['name']!r}: its SLA already measures "
                f"{self.sla_from[entry['name']]!r} (one SLA month per service)",
            )
            return
        self.sla_from[entry["name"]] = found.slo["name"]
        entry["sla"] = found.sla

    def _labels(self, entry: dict) -> None:
        """Service labels when every document of the service agrees, else on each SLO."""
        pairs = [(slo, self.own_labels.get(id(slo), {})) for slo in entry["slos"]]
        if pairs and all(labels == pairs[0][1] for _, labels in pairs):
            if pairs[0][1]:
                entry["labels"] = {**entry.get("labels", {}), **pairs[0][1]}
            return
        for slo, labels in pairs:
            if labels:
                slo["labels"] = {**labels, **slo.get("labels", {})}

    def catalogue(self, source: str) -> Catalogue | None:
        for entry in self.services.values():
            self._labels(entry)
            entry.update(self.overrides.get(entry["name"], {}))
        store = self.store or "prometheus"
        for at, q in self.queries:
            for why in problems(q, store):
                self.report.fail(at, why)
        if self.report.errors:
            return None
        data = {"apiVersion": API_VERSION, "store": store, "services": list(self.services.values())}
        try:
            return Catalogue.model_validate(data)
        except ValidationError as exc:
            for line in error_lines(exc, None):
                self.report.fail(At(source, loc=()), f"the imported catalogue is invalid at {line}")
            return None
