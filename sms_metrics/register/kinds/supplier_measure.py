"""Measure suppliers' monthly availability from their probes and keep it as supplier performance records.

Each supplier becomes a service of a catalogue made for the measurement: its SLI is
``probe_success{supplier="<name>"}`` (a step is up while all its probes pass, or any of them with the
contract's ``probe_aggregate: max``), its SLA the governing contract's target, service hours and time zone.
The availability engine (``reports.availability.measure_catalogue``: batched reads, the step semantics,
outages) measures them all at once, so supplier figures mean exactly what service figures mean. A re-run
replaces a month's figures field by field, each change in the history; a reviewed month whose figures
change goes back to ``measured``."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from sms_metrics.catalogue.model import Catalogue
from sms_metrics.core.relations import (
    MONTH,
    ContractTerms,
    changed_fields,
    governing_contract,
    performance_result,
    period_dates,
)
from sms_metrics.errors import InputError
from sms_metrics.register.db import transaction
from sms_metrics.register.kinds.contracts import BINDING, Contract
from sms_metrics.register.kinds.supplier_performance import KIND, SupplierPerformance, month_of
from sms_metrics.register.kinds.suppliers import MEASURED, Supplier
from sms_metrics.register.records import store
from sms_metrics.register.records.access import SYSTEM, Principal
from sms_metrics.register.records.context import WriteContext
from sms_metrics.reports.availability import ServiceReport, measure_catalogue
from sms_metrics.reports.sla_document import report_dict

log = logging.getLogger(__name__)
REASON = "measured from the probes labelled supplier={name}"
FIGURES = (
    "contract_id",
    "target_percent",
    "availability_percent",
    "result",
    "up_seconds",
    "downtime_seconds",
    "unknown_seconds",
    "excluded_seconds",
    "data_coverage_percent",
    "outage_count",
    "outages",
    "warnings",
    "source",
    "period_start",
    "period_end",
)


@dataclass
class Outcome:
    supplier: str
    action: str  # created | updated | unchanged | no_data
    ref: str | None = None
    result: str | None = None
    availability_percent: float | None = None
    target_percent: float | None = None
    outages: int = 0

    def as_json(self) -> dict:
        return dict(self.__dict__)


def _month(period: str) -> tuple[date, date]:
    if not re.match(MONTH, period or ""):
        raise InputError(f"period {period!r}: supplier performance is monthly, give a month such as 2026-10")
    return period_dates(period)


def _terms(row: Contract) -> ContractTerms:
    return ContractTerms(
        row.id,
        row.availability_target,
        row.term_start,
        row.term_end,
        row.service_hours,
        row.timezone,
        row.probe_aggregate,
    )


def contract_for(session, supplier: str, period: str) -> ContractTerms | None:
    """The contract a supplier's month is measured against (``core.relations.governing_contract``)."""
    first, after = _month(period)
    rows = session.scalars(select(Contract).where(Contract.supplier == supplier, Contract.status.in_(BINDING)))
    return governing_contract([_terms(r) for r in rows], first, after)


def _service(name: str, terms: ContractTerms | None) -> dict:
    target = terms.availability_target if terms is not None and terms.availability_target else 100.0
    hours = terms.service_hours if terms is not None else "24x7"
    tz = terms.timezone if terms is not None else "UTC"
    aggregate = terms.probe_aggregate if terms is not None else "min"
    return {
        "name": name,
        "sla": {"availability_target": target, "timezone": tz, "service_hours": hours},
        "slos": [
            {
                "name": "availability",
                "objective": target,
                "sli": {"probe": f'probe_success{{supplier="{name}"}}', "aggregate": aggregate},
            }
        ],
    }


def figures_of(report: ServiceReport, terms: ContractTerms | None) -> dict:
    """A month's record fields from the engine's report."""
    doc = report_dict(report)
    target = terms.availability_target if terms is not None else None
    outages = [{k: o[k] for k in ("start", "end", "duration_seconds")} for o in doc["outages"]]  # in UTC
    return {
        "contract_id": terms.id if terms is not None else None,
        "target_percent": target,
        "availability_percent": doc["availability_percent"],
        "result": performance_result(doc["availability_percent"], target),
        "up_seconds": doc["up_seconds"],
        "downtime_seconds": doc["downtime_seconds"],
        "unknown_seconds": doc["unknown_seconds"],
        "excluded_seconds": doc["excluded_seconds"],
        "data_coverage_percent": doc["data_coverage_percent"],
        "outage_count": len(outages),
        "outages": outages,
        "warnings": [w for w in doc["warnings"] if not w.startswith("no data")],
        "source": "probes",
        "period_start": report.period.start,
        "period_end": report.period.end,
    }


def _read(system, names: list[str] | None, period: str) -> tuple[list[str], dict[str, ContractTerms | None]]:
    with system.records.reading() as s:
        query = select(Supplier.name).where(Supplier.status.in_(MEASURED)).order_by(Supplier.name)
        if names:
            query = query.where(Supplier.name.in_(names))
        found = list(s.scalars(query))
        missing = sorted(set(names or ()) - set(found))
        if missing:
            raise InputError(f"no active or suspended supplier named {', '.join(missing)}")
        return found, {n: contract_for(s, n, period) for n in found}


def _insert(ctx: WriteContext, supplier: str, period: str, figures: dict) -> SupplierPerformance:
    row = SupplierPerformance(
        supplier=supplier, period=period, status="measured", created_at=ctx.now, updated_at=ctx.now, **figures
    )
    row.measured_at = ctx.now
    ctx.session.add(row)
    ctx.session.flush()
    changes = {f: (None, getattr(row, f)) for f in store.watched(KIND)}
    ctx.log(KIND, row.id, changes, REASON.format(name=supplier))
    return row


def _replace(ctx: WriteContext, row: SupplierPerformance, figures: dict) -> bool:
    """Put the new figures on an existing month; True when anything changed."""
    new = {f: figures[f] for f in FIGURES}
    changed = changed_fields({f: getattr(row, f) for f in FIGURES}, new)
    if not changed:
        return False
    before = store.snapshot(KIND, row)
    for f in changed:
        setattr(row, f, new[f])
    row.measured_at = row.updated_at = ctx.now
    if row.status == "reviewed":
        row.status = "measured"  # the review was of other figures
    ctx.session.flush()
    ctx.log(KIND, row.id, {f: (before[f], getattr(row, f)) for f in before}, "re-measured: figures changed")
    return True


def _write(system, who: Principal, period: str, measured: dict[str, dict]) -> list[Outcome]:
    records, out, events = system.records, [], []
    with transaction(system.sessions) as session:
        ctx = WriteContext(session, who, system.now(), system, records)
        for name, figures in measured.items():
            row = month_of(session, name, period)
            if row is None:
                row, action = _insert(ctx, name, period, figures), "created"
            else:
                action = "updated" if _replace(ctx, row, figures) else "unchanged"
            if action != "unchanged":
                events.append(("created" if action == "created" else "updated", records.to_read(KIND, row)))
            out.append(
                Outcome(
                    name,
                    action,
                    KIND.ref(row.id),
                    row.result,
                    row.availability_percent,
                    row.target_percent,
                    row.outage_count,
                )
            )
    for event, read in events:
        system.events.emit(KIND.name, event, read)
    return out


def measure(system, period: str, *, suppliers: list[str] | None = None, who: Principal = SYSTEM) -> list[Outcome]:
    """Measure every active or suspended supplier (or ``suppliers``) over the month ``period`` and write
    one record per supplier with data; suppliers whose probes gave no data are reported, not written."""
    _month(period)
    names, contracts = _read(system, suppliers, period)
    if not names:
        return []
    cat = Catalogue.model_validate(
        {"apiVersion": "sms-metrics/v1", "services": [_service(n, contracts[n]) for n in names]}
    )
    reports = measure_catalogue(
        system.prometheus, cat, period, now=system.now(), concurrency=system.settings.prometheus_concurrency
    )
    measured, empty = {}, []
    for rep in reports:
        if rep.has_data:
            measured[rep.service] = figures_of(rep, contracts[rep.service])
        else:
            empty.append(Outcome(rep.service, "no_data"))
    outcomes = _write(system, who, period, measured) if measured else []
    for o in outcomes:
        log.info("supplier %s %s: %s (%s)", o.supplier, period, o.result, o.action)
    return sorted([*outcomes, *empty], key=lambda o: o.supplier)
