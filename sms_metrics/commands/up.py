"""``sms-metrics up``: the local stack on embedded defaults, and the demo's monthly reports."""

from __future__ import annotations

import logging
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table

from sms_metrics.adapters.prometheus import PrometheusHTTP
from sms_metrics.catalogue import load_catalogue
from sms_metrics.commands.forecast import run_forecasts
from sms_metrics.commands.report import produce_reports
from sms_metrics.commands.rules import load_windows
from sms_metrics.config import Settings
from sms_metrics.core.periods import parse_period, previous_month
from sms_metrics.demo import DEMO_CATALOGUE
from sms_metrics.demo.history import write_demo_history
from sms_metrics.localstack.prometheus import LocalPrometheus, backfill
from sms_metrics.reports.capacity import CAPACITY_FORMATS, by_urgency, render_capacity, summary_row
from sms_metrics.reports.render import FORMATS, render
from sms_metrics.rules.generator import catalogue_rules
from sms_metrics.rules.writer import write_rules

log = logging.getLogger(__name__)


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


def _capacity_reports(settings: Settings, cat, prom, out: Path) -> None:
    """Forecast every capacity resource and write capacity.{json,csv,html}."""
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


def run_up(settings: Settings, *, catalogue: Path | None, period: str | None, out: Path, keep_running: bool) -> int:
    now = datetime.now(UTC)
    cat_path = catalogue or DEMO_CATALOGUE
    cat = load_catalogue(cat_path)
    period = period or previous_month(now).label
    work = settings.work_dir / "prometheus"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    if catalogue is None:
        start = parse_period(period, now=now).start - timedelta(days=3)
        history = work / "history.om"
        log.info("generating demo history from %s to now", start.date())
        write_demo_history(cat, history, start=start, end=now)
        backfill(history, work / "tsdb")
        history.unlink()
    rule_files = [
        str(p)
        for p in write_rules(catalogue_rules(cat, load_windows(cat_path, cat)), work / "rules", source=str(cat_path))
    ]
    with LocalPrometheus(work, rule_files=rule_files) as prom_proc:
        prom = PrometheusHTTP.from_settings(settings, prom_proc.url)
        reports = produce_reports(settings, catalogue=cat, prom=prom, service=None, period=period)
        out.mkdir(parents=True, exist_ok=True)
        ext = {"md": "md", "json": "json", "csv": "csv", "html": "html"}
        for fmt in FORMATS:
            path = out / f"availability-{period.replace(' ', '-')}.{ext[fmt]}"
            path.write_text(render(reports, fmt, single=False))
            log.info("wrote %s", path)
        Console().print(_summary(reports))
        if any(s.capacity for s in cat.services):
            _capacity_reports(settings, cat, prom, out)
        Console().print(
            f"Reports in [bold]{out}/[/]; Prometheus at {prom_proc.url} with "
            f"{len(rule_files)} rule files (SLO recordings and alerts)"
        )
        if keep_running:
            Console().print("Prometheus keeps running; press Ctrl-C to stop.")
            try:
                while prom_proc.proc.poll() is None:
                    time.sleep(1)
            except KeyboardInterrupt:
                pass
    return 0
