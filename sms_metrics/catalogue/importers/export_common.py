"""What both exporters share: the result, the header, strict failure."""

from __future__ import annotations

from dataclasses import dataclass, field

from sms_metrics.catalogue.importers.source import At, Messages, Report
from sms_metrics.errors import CatalogueError

HEADER = "# exported by sms-metrics as {fmt}; `sms-metrics catalogue import` reads it back\n"


@dataclass
class ExportResult:
    """The exported text, and what the export says about it."""

    text: str
    messages: Messages


@dataclass
class Refusals:
    """Refusals of an export, remembering where so that the re-import check does not repeat them."""

    report: Report
    places: set[tuple] = field(default_factory=set)

    def refuse(self, loc: tuple, reason: str) -> None:
        self.places.add(loc)
        self.report.refuse(At("catalogue", loc=loc), reason)

    def known(self, loc: tuple) -> bool:
        return any(loc[: len(p)] == p for p in self.places)


def raise_errors(r: Report, what: str) -> None:
    if r.errors:
        raise CatalogueError(f"{what} (--lenient exports the rest, with these as warnings)", r.errors)
