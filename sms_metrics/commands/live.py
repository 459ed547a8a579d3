"""The live part of ``sms-metrics up``: Prometheus (the demo history, the generated rules, scraping
the service and the demo target), Alertmanager delivering to the service's webhook, the service
itself (register, probes, jobs) and the demo target that fails on a schedule. Every process and
thread is entered in one ExitStack, so Ctrl-C, SIGTERM or a failing part stop all of them."""

from __future__ import annotations

import contextlib
import logging
import secrets
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
import yaml

from sms_metrics.commands.forecast import save_forecasts
from sms_metrics.commands.probe import probe_paths
from sms_metrics.commands.up import Prepared, write_reports
from sms_metrics.config import Settings
from sms_metrics.demo.target import DemoTarget, demo_probes
from sms_metrics.errors import LocalStackError
from sms_metrics.localstack.alertmanager import LocalAlertmanager
from sms_metrics.localstack.prometheus import LocalPrometheus, free_port
from sms_metrics.localstack.service import ServiceThread

log = logging.getLogger(__name__)
SCRAPE = "5s"


def run_once(settings: Settings, prep: Prepared, out: Path) -> int:
    """``up --once``: Prometheus over the history, the reports, and stop."""
    with LocalPrometheus(prep.prometheus_dir, rule_files=prep.rule_files) as prom:
        write_reports(settings, prep, prom.url, out)
        print(f"Reports in {out}/; Prometheus was at {prom.url} with {len(prep.rule_files)} rule files", flush=True)
    return 0


def _service_settings(settings: Settings, prep: Prepared, prom_url: str) -> Settings:
    update: dict = {
        "prometheus_url": prom_url,
        "webhook_token": settings.webhook_token or secrets.token_urlsafe(18),
        "admin_token": settings.admin_token or secrets.token_urlsafe(18),
        "sla_check_seconds": min(settings.sla_check_seconds, 5),
        # a register of its own, so the demo never writes into the one SMS_DATABASE_URL names
        "database_url": f"sqlite:///{(prep.work / 'register.db').resolve()}",
    }
    return settings.model_copy(update=update)


def _scrape(job: str, target: str) -> dict:
    return {"job_name": job, "scrape_interval": SCRAPE, "static_configs": [{"targets": [target]}]}


def _urls(rows: list[tuple[str, str, str]]) -> str:
    return "\n".join(f"  {name:<13} {url:<28} {what}" for name, url, what in rows)


def seed_register(url: str, token: str) -> None:
    """Demo records, so the register's gauges and dashboard show changes and releases: a standard change
    (approved from the start) with an agreed maintenance window next Sunday, and a planned release."""
    now = datetime.now(UTC).replace(hour=1, minute=0, second=0, microsecond=0)
    sunday = now + timedelta(days=(6 - now.weekday()) or 7)
    records = {
        "changes": {
            "title": "Rotate the database certificates",
            "services": ["checkout"],
            "type": "standard",
            "risk": "low",
            "planned_start": sunday.isoformat(),
            "planned_end": (sunday + timedelta(hours=1)).isoformat(),
            "maintenance_window": True,
        },
        "releases": {"service": "search", "version": "2.4.1", "planned_at": (sunday + timedelta(days=1)).isoformat()},
    }
    for kind, body in records.items():
        got = requests.post(f"{url}/api/v1/{kind}", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        if got.status_code != 201:
            log.warning("demo %s not created: %s %s", kind, got.status_code, got.text[:300])


class IncidentWatch:
    """Prints incidents as they open and resolve (through the API, as any client would)."""

    def __init__(self, url: str, token: str):
        self.url, self.headers, self.seen = f"{url}/api/v1/incidents", {"Authorization": f"Bearer {token}"}, {}

    def poll(self) -> None:
        with contextlib.suppress(requests.RequestException, ValueError):
            got = requests.get(self.url, params={"limit": 200}, headers=self.headers, timeout=5)
            for inc in got.json() if got.ok else []:
                if self.seen.get(inc["id"]) != inc["status"]:
                    self.seen[inc["id"]] = inc["status"]
                    at = datetime.now(UTC).strftime("%H:%M:%S")
                    print(f"{at} incident {inc['id']} {inc['status']}: {inc['priority']} {inc['title']}", flush=True)


def run_live(settings: Settings, prep: Prepared, *, out: Path, port: int, probes: Path | None) -> int:
    with contextlib.ExitStack() as stack:
        target = DemoTarget() if prep.demo else None
        scrapes = [_scrape("sms-metrics", f"127.0.0.1:{port}")]
        if target:
            scrapes.append(_scrape("demo-target", f"127.0.0.1:{target.port}"))
        prom_port = free_port()
        svc_settings = _service_settings(settings, prep, f"http://127.0.0.1:{prom_port}")
        am = LocalAlertmanager(
            prep.work / "alertmanager",
            webhook_url=f"http://127.0.0.1:{port}/api/v1/webhooks/alertmanager",
            token=svc_settings.webhook_token,
            group_interval="5s",
        )
        prom = LocalPrometheus(
            prep.prometheus_dir,
            port=prom_port,
            rule_files=prep.rule_files,
            scrape_configs=scrapes,
            scrape_interval=SCRAPE,
            alertmanagers=[f"127.0.0.1:{am.port}"],
        )
        prom.die_with_parent = am.die_with_parent = True
        stack.enter_context(prom)
        forecasts = write_reports(settings, prep, prom.url, out)
        if forecasts:
            save_forecasts(svc_settings, forecasts)
        paths = probe_paths(probes) if probes else []
        if target:
            stack.enter_context(target)
            probe_file = prep.work / "probes" / "demo-target.yaml"
            probe_file.parent.mkdir(parents=True, exist_ok=True)
            probe_file.write_text(yaml.safe_dump(demo_probes("127.0.0.1", target.port, target.tls_port)))
            paths.append(probe_file)
        service = stack.enter_context(
            ServiceThread(svc_settings, catalogue=prep.catalogue, probe_paths=paths, port=port)
        )
        stack.enter_context(am)
        if target:
            seed_register(service.url, svc_settings.admin_token or "")
        rows = [
            ("service", service.url, "API docs /docs, metrics /metrics, webhook /api/v1/webhooks/alertmanager"),
            ("Prometheus", prom.url, "alerts /alerts, rules /rules, graphs /graph"),
            ("Alertmanager", am.url, "alerts it holds, silences"),
        ]
        if target:
            nxt = datetime.fromtimestamp(target.schedule.next_failure(time.time()), UTC).strftime("%H:%M:%S")
            rows.append(("demo target", target.url, f"fails for 90 s every 10 minutes, first at {nxt} UTC"))
        print(
            f"\nsms-metrics is up:\n{_urls(rows)}\n"
            f"  admin token   {svc_settings.admin_token}   (SMS_ADMIN_TOKEN chooses it)\n"
            f"  reports       {out}/\n  register      {svc_settings.database_url}\n"
            "Incidents are printed as they open and resolve. Press Ctrl-C to stop.",
            flush=True,
        )
        _watch(service, prom, am, IncidentWatch(service.url, svc_settings.admin_token or ""))
    return 0


def _watch(service: ServiceThread, prom: LocalPrometheus, am: LocalAlertmanager, incidents: IncidentWatch) -> None:
    """Run until interrupted; a part that stops by itself stops everything (with its log)."""
    while True:
        time.sleep(2)
        for what, proc, logfile in (
            ("Prometheus", prom.proc, prom.data_dir / "prometheus.log"),
            ("Alertmanager", am.proc, am.dir / "alertmanager.log"),
        ):
            if proc is not None and proc.poll() is not None:
                raise LocalStackError(f"{what} exited with code {proc.returncode}; see {logfile}")
        if not service.alive():
            raise LocalStackError("the service stopped; see the messages above")
        incidents.poll()
