"""The ``sms-metrics`` command line (typer). Every SmsError becomes one message and an exit code."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import typer
from rich.console import Console

from sms_metrics.config import Settings
from sms_metrics.errors import SmsError
from sms_metrics.logs import setup_logging

app = typer.Typer(
    help="sms-metrics: an ISO/IEC 20000-1 service management system that runs on measurements.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
report_app = typer.Typer(help="Service reports (availability and SLA).", no_args_is_help=True)
catalogue_app = typer.Typer(help="Validate, import and export service catalogues.", no_args_is_help=True)
app.add_typer(report_app, name="report")
app.add_typer(catalogue_app, name="catalogue")
rules_app = typer.Typer(
    help="Generate and check Prometheus rules (SLO recordings, burn-rate alerts).", no_args_is_help=True
)
app.add_typer(rules_app, name="rules")
dashboards_app = typer.Typer(help="Grafana dashboards generated from the catalogue.", no_args_is_help=True)
app.add_typer(dashboards_app, name="dashboards")

_SHARD_HELP = "i/n: probe only shard i (0-based) of n replicas' targets (default SMS_PROBE_SHARD, 0/1: all)."
err = Console(stderr=True)
log = logging.getLogger("sms_metrics")


@app.callback()
def _root(
    ctx: typer.Context,
    log_level: str = typer.Option(
        None, "--log-level", help="DEBUG, INFO, WARNING or ERROR (default: SMS_LOG_LEVEL or INFO)."
    ),
):
    settings = Settings()
    setup_logging(log_level or settings.log_level)
    ctx.obj = settings


@report_app.command("availability")
def report_availability(
    ctx: typer.Context,
    catalogue: Path = typer.Option(..., "--catalogue", "-c", help="The catalogue file (sms.yaml)."),
    prometheus: str | None = typer.Option(
        None, "--prometheus", "-p", help="Prometheus URL (default: SMS_PROMETHEUS_URL)."
    ),
    service: str | None = typer.Option(None, "--service", "-s", help="One service; default: every service."),
    period: str | None = typer.Option(
        None, "--period", help="2026-10 (month), 2026-10-01..2026-10-15, or 30d (rolling). Default: last month."
    ),
    fmt: str = typer.Option("json", "--format", "-f", help="json, md, csv or html."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write to this file instead of stdout."),
    trend: int = typer.Option(0, "--trend", help="Also the SLA figure of the last N calendar months (e.g. 12)."),
    save: bool = typer.Option(False, "--save", help="Keep each report as a service-report record in the register."),
):
    """Measure availability against each SLA and print the service report (exit 3 when a service has no data)."""
    from sms_metrics.commands.report import run_availability_report

    code = run_availability_report(
        ctx.obj,
        catalogue=catalogue,
        prometheus=prometheus,
        service=service,
        period=period,
        fmt=fmt,
        out=out,
        trend=trend,
        save=save,
    )
    raise typer.Exit(code)


@catalogue_app.command("validate")
def catalogue_validate(path: Path = typer.Argument(..., help="The catalogue file (sms.yaml).")):
    """Check a catalogue; list every error by path and reason."""
    from sms_metrics.catalogue import load_catalogue
    from sms_metrics.catalogue.checks import catalogue_warnings

    cat = load_catalogue(path)
    n_slo = sum(len(s.slos) for s in cat.services)
    for warning in catalogue_warnings(cat):
        err.print(f"[yellow]warning:[/] {warning}", highlight=False, markup=True, soft_wrap=True)
    typer.echo(f"{path}: valid ({len(cat.services)} services, {n_slo} SLOs)")


@catalogue_app.command("import")
def catalogue_import(
    files: list[Path] = typer.Argument(..., help="Sloth, Kubernetes PrometheusServiceLevel, OpenSLO v1/v1alpha files."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write the catalogue here instead of stdout."),
    lenient: bool = typer.Option(False, "--lenient", help="Leave out what cannot be carried, with a warning each."),
    store: str | None = typer.Option(None, "--store", help="prometheus or victoriametrics (MetricsQL queries)."),
):
    """Convert Sloth and OpenSLO SLO definitions into an sms-metrics catalogue."""
    from sms_metrics.commands.catalogue import run_import

    text = run_import(files, out, lenient=lenient, store=store)
    if text is not None:
        typer.echo(text, nl=False)


@catalogue_app.command("export")
def catalogue_export(
    catalogue: Path = typer.Argument(..., help="The catalogue file (sms.yaml)."),
    fmt: str = typer.Option(..., "--format", "-f", help="sloth or openslo."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write here instead of stdout."),
    lenient: bool = typer.Option(False, "--lenient", help="Export what Sloth can say, with a warning for the rest."),
):
    """Write the catalogue's SLOs as Sloth specs or OpenSLO documents (they import back unchanged)."""
    from sms_metrics.commands.catalogue import run_export

    text = run_export(catalogue, fmt, out, lenient=lenient)
    if text is not None:
        typer.echo(text, nl=False)


@rules_app.command("generate")
def rules_generate(
    catalogue: Path = typer.Option(..., "--catalogue", "-c", help="The catalogue file (sms.yaml)."),
    out: Path = typer.Option(Path("rules"), "--out", "-o", help="Directory for the rule files (one per service)."),
):
    """Write recording rules and burn-rate alerts for every SLO, one file per service."""
    from sms_metrics.commands.rules import generate

    for path in generate(catalogue, out):
        typer.echo(str(path))


@rules_app.command("check")
def rules_check(rule_dir: Path = typer.Argument(Path("rules"), help="Directory of rule files.")):
    """Validate rule files with promtool and explain what is wrong."""
    from sms_metrics.commands.rules import check

    problems = check(rule_dir)
    for p in problems:
        err.print(p, highlight=False, markup=False, soft_wrap=True)
    if problems:
        raise typer.Exit(2)
    typer.echo(f"{rule_dir}: all rule files are valid")


@dashboards_app.command("generate")
def dashboards_generate(
    catalogue: Path = typer.Option(..., "--catalogue", "-c", help="The catalogue file (sms.yaml)."),
    out: Path = typer.Option(Path("dashboards/grafana"), "--out", "-o", help="Directory for the dashboards."),
    prometheus: str = typer.Option(
        "http://prometheus:9090", "--prometheus", "-p", help="URL of Prometheus in the datasource provisioning file."
    ),
):
    """Write the SLA overview, service detail, capacity and SMS register dashboards and Grafana's provisioning."""
    from sms_metrics.commands.dashboards import generate

    for path in generate(catalogue, out, prometheus):
        typer.echo(str(path))


@app.command("forecast")
def forecast(
    ctx: typer.Context,
    catalogue: Path = typer.Option(..., "--catalogue", "-c", help="The catalogue file (sms.yaml)."),
    prometheus: str | None = typer.Option(
        None, "--prometheus", "-p", help="Prometheus URL (default: SMS_PROMETHEUS_URL)."
    ),
    service: str | None = typer.Option(None, "--service", "-s", help="One service; default: every service."),
    resource: str | None = typer.Option(None, "--resource", "-r", help="One capacity resource of --service."),
    horizon: str | None = typer.Option(
        None, "--horizon", help="How far ahead, e.g. 7d (default: the larger of 7d and twice the lead time)."
    ),
    history: str | None = typer.Option(
        None, "--history", help="History to fit (default: what Prometheus has, up to 13 weeks or four horizons)."
    ),
    fmt: str = typer.Option("json", "--format", "-f", help="json, csv, md or html."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write to this file instead of stdout."),
    jobs: int | None = typer.Option(
        None, "--jobs", "-j", help="Worker processes (default: SMS_FORECAST_WORKERS, or one per core)."
    ),
    save: bool = typer.Option(False, "--save", help="Keep the forecasts as capacity plans in the register."),
):
    """Forecast capacity resources, find when each runs out, and rate it ok, plan or urgent
    (exit 3 when no resource had enough data)."""
    from sms_metrics.commands.forecast import run_forecast_command

    raise typer.Exit(
        run_forecast_command(
            ctx.obj,
            catalogue=catalogue,
            prometheus=prometheus,
            service=service,
            resource=resource,
            horizon=horizon,
            history=history,
            fmt=fmt,
            out=out,
            workers=jobs,
            save=save,
        )
    )


@app.command("probe")
def probe(
    ctx: typer.Context,
    config: Path = typer.Option(Path("probes"), "--config", help="A probe file or a directory of them."),
    once: bool = typer.Option(False, "--once", help="Probe every target once, print the results and exit."),
    fmt: str = typer.Option("json", "--format", "-f", help="json or text (with --once)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address of /metrics (without --once)."),
    port: int = typer.Option(9116, "--port", help="Port of /metrics (without --once)."),
    concurrency: int = typer.Option(256, "--concurrency", help="Probes in flight at once."),
    fail_on_down: bool = typer.Option(False, "--fail-on-down", help="With --once: exit 1 when any probe failed."),
    shard: str | None = typer.Option(None, "--shard", help=_SHARD_HELP),
):
    """Run synthetic probes (http, tcp, dns, TLS expiry): once, or continuously with /metrics."""
    from sms_metrics.commands.probe import run_probe_forever, run_probe_once
    from sms_metrics.probing.shard import Shard

    mine = Shard.parse(shard) if shard is not None else Shard.parse(ctx.obj.probe_shard, where="SMS_PROBE_SHARD")
    if once:
        text, failed = run_probe_once(config, fmt, concurrency, mine)
        typer.echo(text, nl=False)
        if fail_on_down and failed:
            err.print(f"{failed} probe(s) failed", highlight=False)
            raise typer.Exit(1)
    else:
        run_probe_forever(config, host, port, concurrency, mine)


@app.command("serve")
def serve(
    ctx: typer.Context,
    catalogue: Path | None = typer.Option(
        None, "--catalogue", "-c", help="The catalogue file (default: SMS_CATALOGUE)."
    ),
    probes: Path | None = typer.Option(None, "--probes", help="A directory (or file) of probe files."),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8080, "--port"),
    shard: str | None = typer.Option(None, "--shard", help=_SHARD_HELP),
):
    """Run the service: the register API and webhook, /metrics, /healthz, /probe, probes and jobs (API docs on /docs)."""
    import uvicorn

    from sms_metrics.app import create_app
    from sms_metrics.bootstrap import load_catalogue_of
    from sms_metrics.commands.probe import probe_paths

    cat = load_catalogue_of(ctx.obj, catalogue)
    settings = ctx.obj.model_copy(update={"probe_shard": shard}) if shard is not None else ctx.obj
    app_ = create_app(settings, probe_paths=probe_paths(probes) if probes else [], catalogue=cat)
    uvicorn.run(app_, host=host, port=port, log_level="warning")


@app.command("backup")
def backup_cmd(ctx: typer.Context, out: Path = typer.Option(..., "--out", "-o", help="The backup file to write.")):
    """Back up the register (SMS_DATABASE_URL) while it runs: SQLite's online backup, or pg_dump."""
    from sms_metrics.register.backup import backup

    done = backup(ctx.obj.database_url, out)
    typer.echo(f"{done.engine} register backed up to {done.path} ({done.bytes:,} bytes)")


@app.command("restore")
def restore_cmd(
    ctx: typer.Context,
    source: Path = typer.Argument(..., help="A file written by `sms-metrics backup`."),
    yes: bool = typer.Option(False, "--yes", help="Replace the register without asking."),
):
    """Replace the register (SMS_DATABASE_URL) by a backup, then migrate it to this version."""
    from sms_metrics.register.backup import restore

    if not yes and not typer.confirm(f"Replace the register at {ctx.obj.database_url} by {source}?"):
        raise typer.Exit(1)
    done = restore(ctx.obj.database_url, source)
    typer.echo(f"{done.engine} register restored from {done.path}")


@app.command("up")
def up(
    ctx: typer.Context,
    catalogue: Path | None = typer.Option(None, "--catalogue", "-c", help="Catalogue (default: the demo catalogue)."),
    period: str | None = typer.Option(None, "--period", help="Report period (default: last month)."),
    out: Path = typer.Option(Path("reports"), "--out", "-o", help="Directory for the reports."),
    port: int = typer.Option(8080, "--port", help="Port of the service (the others are free ports)."),
    probes: Path | None = typer.Option(None, "--probes", help="Probe files to run besides the demo's."),
    once: bool = typer.Option(False, "--once", help="Write the reports and exit (for scripts)."),
):
    """The whole system on this machine: Prometheus over the demo history, Alertmanager, the service and a
    demo target that fails on a schedule; writes the demo reports and runs until Ctrl-C or SIGTERM."""
    from sms_metrics.commands.up import run_up

    raise typer.Exit(run_up(ctx.obj, catalogue=catalogue, period=period, out=out, once=once, port=port, probes=probes))


@app.command("demo-target", hidden=True)
def demo_target(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8081, "--port"),
    tls_port: int = typer.Option(8443, "--tls-port"),
):
    """The demo target alone (docker-compose runs it): / fails for 90 s every 10 minutes."""
    from sms_metrics.demo.target import serve_forever

    serve_forever(host, port, tls_port)


@app.command("evidence")
def evidence(
    ctx: typer.Context,
    service: str = typer.Option(..., "--service", "-s", help="A catalogue service."),
    period: str = typer.Option(..., "--period", help="2026-10 (month), 2026-10-01..2026-10-15, or 30d."),
    out: Path = typer.Option(..., "--out", "-o", help="Directory for the pack's files and its zip."),
    catalogue: Path | None = typer.Option(None, "--catalogue", "-c", help="Default: SMS_CATALOGUE."),
    prometheus: str | None = typer.Option(None, "--prometheus", "-p", help="Default: SMS_PROMETHEUS_URL."),
    restricted: bool = typer.Option(False, "--restricted/--no-restricted", help="Include restricted records."),
):
    """The auditor's evidence pack: SLA report, records of the period, index.html, manifest, SHA256SUMS, zip."""
    from sms_metrics.commands.evidence import run_evidence

    code, summary = run_evidence(
        ctx.obj,
        service=service,
        period=period,
        out=out,
        catalogue=catalogue,
        prometheus=prometheus,
        restricted=restricted,
    )
    typer.echo(summary, nl=False)
    raise typer.Exit(code)


def _system_of(settings: Settings | None, catalogue: Path | None = None):
    """The system of a register command, built from the root's settings."""
    from sms_metrics.bootstrap import build, load_catalogue_of

    settings = settings or Settings()
    return build(settings, catalogue=load_catalogue_of(settings, catalogue))


def _register_commands() -> None:
    """For every record kind of the register, a group derived from its declaration
    (``sms-metrics changes list``...), and the token commands."""
    from sms_metrics.register.kinds import KINDS
    from sms_metrics.register.records.cli import kind_app
    from sms_metrics.register.tokens_cli import tokens_app

    for kind in KINDS.values():
        app.add_typer(kind_app(kind, _system_of), name=kind.path)
    app.add_typer(
        kind_app(KINDS["capacity_plan"], _system_of), name="plans", help="Capacity plans (as capacity-plans)."
    )
    app.add_typer(tokens_app(_system_of), name="tokens")


_register_commands()


def main() -> None:
    """Console entry point: typer in standalone mode, domain errors as one-line messages."""
    try:
        app(prog_name="sms-metrics")
    except SmsError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyError as exc:
        err.print(f"[bold red]error:[/] {exc.args[0]}", highlight=False, soft_wrap=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
