"""Service detail (variables ``service`` and ``slo``): the SLI over time, the error budget over the
SLO window, the multiwindow burn rates with the page and ticket thresholds drawn, the service's
probes (phases, status codes, certificate expiry), and firing alerts and incidents as annotations."""

from __future__ import annotations

from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard
from grafana_foundation_sdk.models import common

from sms_metrics.catalogue.model import Catalogue
from sms_metrics.dashboards.common import (
    DATASOURCE,
    new_dashboard,
    query,
    stat_panel,
    thresholds,
    timeseries_panel,
)
from sms_metrics.dashboards.overview import firing_alerts, open_incidents
from sms_metrics.rules.generator import slo_burn_windows
from sms_metrics.rules.windows import BurnWindow

UID = "sms-service-detail"
SEL = 'service="$service", slo="$slo"'
SVC = 'service="$service"'
# Panels whose queries read the service's probes: they have data only for services with probes.
PROBE_PANELS = ("Probe success", "Probe duration by phase", "HTTP status code", "Certificate expiry")


def burn_thresholds(catalogue: Catalogue, windows: dict[str, tuple[BurnWindow, ...]]) -> list[tuple[float, str]]:
    """The distinct burn factors of the catalogue's alert windows: page ones red/orange, tickets yellow."""
    factors: dict[float, str] = {}
    for svc in catalogue.services:
        for slo in svc.slos:
            for w in slo_burn_windows(slo, windows):
                f = round(w.factor, 6)
                if w.severity == "page" or f not in factors:
                    factors[f] = w.severity
    page = sorted(f for f, sev in factors.items() if sev == "page")
    colors = {f: ("red" if f == page[-1] else "orange") for f in page} if page else {}
    return sorted((f, colors.get(f, "yellow")) for f in factors)


def slo_panels(catalogue: Catalogue, windows: dict[str, tuple[BurnWindow, ...]]) -> list:
    burn = (
        f'{{__name__=~"slo:sli_error:ratio_rate.+", {SEL}}}\n/ on (sloth_id) group_left\n'
        f"slo:error_budget:ratio{{{SEL}}}"
    )
    steps = burn_thresholds(catalogue, windows)
    return [
        timeseries_panel(
            "SLI against the objective",
            "The good ratio over 5 minutes (1 - slo:sli_error:ratio_rate5m) and the SLO's objective.",
            [
                query(f"1 - slo:sli_error:ratio_rate5m{{{SEL}}}", "SLI (5m)", ref="A"),
                query(f"slo:objective:ratio{{{SEL}}}", "objective", ref="B"),
            ],
            unit="percentunit",
        ),
        timeseries_panel(
            "Error budget remaining over the SLO window",
            "slo:period_error_budget_remaining:ratio: how much of the budget is left over the SLO window at each "
            "moment (the burn-down); below 0 the budget is overspent.",
            [query(f"slo:period_error_budget_remaining:ratio{{{SEL}}}", "budget left")],
            unit="percentunit",
        )
        .thresholds(thresholds([(None, "red"), (0, "green")]))
        .thresholds_style(common_builders.GraphThresholdsStyleConfig().mode(common.GraphThresholdsStyleMode.LINE)),
        timeseries_panel(
            "Burn rate by window (page and ticket thresholds drawn)",
            "The error ratio of every recorded window over the error budget: 1 spends exactly the budget over the "
            "SLO window. Lines: the burn factors of the alerts (page: "
            + ", ".join(f"{f:g}" for f, c in steps if c != "yellow")
            + "; ticket: "
            + ", ".join(f"{f:g}" for f, c in steps if c == "yellow")
            + "). An alert fires when a short and a long window are both above their factor.",
            [query(burn, "{{sloth_window}}")],
            w=24,
            h=9,
        )
        .thresholds(thresholds([(None, "transparent"), *steps]))
        .thresholds_style(common_builders.GraphThresholdsStyleConfig().mode(common.GraphThresholdsStyleMode.DASHED))
        .scale_distribution(common_builders.ScaleDistributionConfig().type(common.ScaleDistribution.LOG).log(10)),
    ]


def probe_panels() -> list:
    return [
        timeseries_panel(
            "Probe success",
            "probe_success of each of the service's probes (1 up, 0 down).",
            [query(f"probe_success{{{SVC}}}", "{{probe}}")],
        ),
        timeseries_panel(
            "Probe duration by phase",
            "probe_http_duration_seconds by phase (resolve, connect, tls, processing, transfer), stacked per probe.",
            [query(f"sum by (probe, phase) (probe_http_duration_seconds{{{SVC}}})", "{{probe}} {{phase}}")],
            unit="s",
        ).stacking(common_builders.StackingConfig().mode(common.StackingMode.NORMAL)),
        timeseries_panel(
            "HTTP status code",
            "probe_http_status_code of each HTTP probe (0: no answer).",
            [query(f"probe_http_status_code{{{SVC}}}", "{{probe}}")],
        ),
        stat_panel(
            "Certificate expiry",
            "Time until the earliest certificate a probe saw expires (probe_ssl_earliest_cert_expiry).",
            [query(f"min by (probe) (probe_ssl_earliest_cert_expiry{{{SVC}}}) - time()", "{{probe}}", instant=True)],
            unit="s",
            w=12,
            h=8,
        ).thresholds(thresholds([(None, "red"), (7 * 86400, "orange"), (14 * 86400, "green")])),
    ]


def alert_annotations() -> list:
    return [
        dashboard.AnnotationQuery()
        .name("Firing alerts")
        .datasource(DATASOURCE)
        .enable(True)
        .icon_color("red")
        .expr(f'ALERTS{{alertstate="firing", {SVC}}}'),
        dashboard.AnnotationQuery()
        .name("Open incidents")
        .datasource(DATASOURCE)
        .enable(True)
        .icon_color("orange")
        .expr(f"sum by (service, priority) (sms_incidents_open{{{SVC}}}) > 0"),
    ]


def build(catalogue: Catalogue, windows: dict[str, tuple[BurnWindow, ...]]):
    board = new_dashboard(
        "Service detail",
        UID,
        "One service and SLO: SLI, error budget, burn rates, probes, alerts and incidents",
        slo=True,
        multi=False,
        time_from="now-7d",
    ).annotations(alert_annotations())
    board = board.with_row(dashboard.Row("SLO"))
    for panel in slo_panels(catalogue, windows):
        board = board.with_panel(panel)
    board = board.with_row(dashboard.Row("Probes"))
    for panel in probe_panels():
        board = board.with_panel(panel)
    board = board.with_row(dashboard.Row("Alerts and incidents"))
    return board.with_panel(firing_alerts(SVC)).with_panel(open_incidents(SVC))
