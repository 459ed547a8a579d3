"""``sms-metrics up``: the whole system on this machine. The demo history is written and
backfilled, the demo's reports are written, and then (unless ``--once``) the live stack runs
until Ctrl-C or SIGTERM (``commands/live.py``)."""

from __future__ import annotations

import logging
import shutil
import signal
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table

from sms_metrics.adapters.prometheus import PrometheusHTTP
from sms_metrics.catalogue import load_catalogue
from sms_metrics.catalogue.model import Catalogue
from sms_metrics.commands.forecast import run_forecasts
from sms_metrics.commands.report import produce_reports
from sms_metrics.commands.rules import load_windows
from sms_metrics.config import Settings
from sms_metrics.core.periods import parse_period, previous_month
from sms_metrics.demo import DEMO_CATALOGUE
from sms_metrics.demo.history import write_demo_history
from sms_metrics.localstack.prometheus import backfill
from sms_metrics.localstack.recordings import backfill_recordings
from sms_metrics.reports.capacity import CAPACITY_FORMATS, by_urgency, render_capacity, summary_row
from sms_metrics.reports.render import FORMATS, render
from sms_metrics.rules.generator import catalogue_rules
from sms_metrics.rules.writer import write_rules

log = logging.getLogger(__name__)
WORK_PARTS = ("prometheus", "alertmanager", "rules", "probes", "register.db", "register.db-wal", "register.db-shm")


class StopRequested(Exception):
    """SIGTERM (or SIGHUP) arrived: unwind and stop every process ``up`` started."""


@dataclass
class Prepared:
    catalogue: Catalogue
    catalogue_path: Path
    demo: bool
    work: Path
    prometheus_dir: Path
    rule_files: list[str]
    period: str


def _summary(reports: list[dict]) -> Table:
    table = Table(title="Availability by service")
    for col in ("service", "period", "target", "availability", "met", "budget left", "coverage"):
        table.add_column(col)
    for r in reports:
        a, b, c = r["availability_percent"], r["error_budget_remaining_percent"], r["data_coverage_percent"]
        table.add_row(
            r["service"],
            r["period"]["label"] + (" (partial)" if r.get("partial") else ""),
            f"{r['target_percent']}%",
            "no data" if a is None else f"{a:.3f}%",
            "n/a" if r["met"] is None else ("yes" if r["met"] else "[red]no[/]"),
            "n/a" if b is None else f"{b:.1f}%",
            "n/a" if c is None else f"{c:.1f}%",
        )
    return table


def _capacity_reports(settings: Settings, cat, prom, out: Path) -> list[dict]:
    """Forecast every capacity resource, write capacity.{json,csv,html,md}; returns the forecasts."""
    outcomes = run_forecasts(settings, catalogue=cat, prom=prom)
    docs = [o.doc for o in outcomes if o.doc]
    problems = [f"{o.target.service}/{o.target.resource.name}: {o.error}" for o in outcomes if not o.doc]
    histories = {(o.target.service, o.target.resource.name): o.history for o in outcomes}
    for fmt in CAPACITY_FORMATS:
        path = out / f"capacity.{fmt}"
        path.write_text(render_capacity(docs, fmt, single=False, histories=histories, problems=problems))
        log.info("wrote %s", path)
    table = Table(title="Capacity forecasts (soonest order-by date first)")
    for col in ("service", "resource", "status", "order by", "exhausted", "now / limit", "lead time", "model"):
        table.add_column(col)
    for d in by_urgency(docs):
        h = summary_row(d)
        table.add_row(
            d["service"],
            d["resource"],
            d["status"],
            h["order_by"],
            h["exhaustion"],
            f"{h['last']} / {h['limit']}",
            h["lead_time"],
            d["model"],
        )
    Console().print(table)
    for p in problems:
        log.warning("not forecast: %s", p)
    return docs


def write_reports(settings: Settings, prep: Prepared, prom_url: str, out: Path) -> list[dict]:
    """The availability reports of the period in every format and the capacity reports; returns the
    capacity forecasts."""
    prom = PrometheusHTTP.from_settings(settings, prom_url)
    reports = produce_reports(settings, catalogue=prep.catalogue, prom=prom, service=None, period=prep.period)
    out.mkdir(parents=True, exist_ok=True)
    for fmt in FORMATS:
        path = out / f"availability-{prep.period.replace(' ', '-')}.{fmt}"
        path.write_text(render(reports, fmt, single=False))
        log.info("wrote %s", path)
    Console().print(_summary(reports))
    if any(s.capacity for s in prep.catalogue.services):
        return _capacity_reports(settings, prep.catalogue, prom, out)
    return []


def prepare(settings: Settings, catalogue: Path | None, period: str | None, *, recordings: bool) -> Prepared:
    """A fresh work directory with the rules and, for the demo catalogue, its history (and, with
    ``recordings``, the SLO recordings over it) in a TSDB."""
    now = datetime.now(UTC)
    cat_path = catalogue or DEMO_CATALOGUE
    cat = load_catalogue(cat_path)
    period = period or previous_month(now).label
    work = settings.work_dir
    prom_dir = work / "prometheus"
    for part in WORK_PARTS:  # only what up itself writes there: SMS_WORK_DIR may hold other files
        path = work / part
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    prom_dir.mkdir(parents=True)
    rule_files = write_rules(catalogue_rules(cat, load_windows(cat_path, cat)), work / "rules", source=str(cat_path))
    if catalogue is None:
        start = parse_period(period, now=now).start - timedelta(days=3)
        history = prom_dir / "history.om"
        log.info("generating demo history from %s to now", start.date())
        write_demo_history(cat, history, start=start, end=now)
        backfill(history, prom_dir / "tsdb")
        history.unlink()
        if recordings:
            backfill_recordings(rule_files, prom_dir, start=start, end=now)
    return Prepared(cat, cat_path, catalogue is None, work, prom_dir, [str(p) for p in rule_files], period)


def _stop(signum, frame):
    signal.signal(signum, signal.SIG_IGN)  # one stop at a time; the unwinding stops everything
    raise StopRequested(signal.Signals(signum).name)


def run_up(
    settings: Settings,
    *,
    catalogue: Path | None,
    period: str | None,
    out: Path,
    once: bool,
    port: int,
    probes: Path | None = None,
) -> int:
    from sms_metrics.commands.live import run_live, run_once

    previous = {s: signal.signal(s, _stop) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        prep = prepare(settings, catalogue, period, recordings=not once)
        if once:
            return run_once(settings, prep, out)
        return run_live(settings, prep, out=out, port=port, probes=probes)
    except (KeyboardInterrupt, StopRequested) as exc:
        log.info("stopped (%s)", exc.args[0] if exc.args else "Ctrl-C")
        return 0
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
