"""Rule groups for each service: SLI recordings, SLO metadata, burn-rate and other alerts.

Names and labels follow Sloth so its Grafana dashboard works unchanged (DESIGN.md).
"""

from __future__ import annotations

from sms_metrics.catalogue.alerting import AlertWindowsSpec
from sms_metrics.catalogue.model import SLO, Catalogue, Service
from sms_metrics.core.calendar import parse_service_hours
from sms_metrics.core.durations import format_duration, parse_duration
from sms_metrics.errors import InputError
from sms_metrics.rules.alerting import extra_windows, slo_alerts
from sms_metrics.rules.sli import error_ratio, source_selector
from sms_metrics.rules.windows import BurnWindow, default_windows, spec_windows

SLI_WINDOWS = (300.0, 1800.0, 3600.0, 7200.0, 21600.0, 86400.0, 259200.0)
FROM_1H_AT_LEAST = 7 * 86400.0  # windows this long are averaged from the 1h recording
SLOTH_VERSION = "sms-metrics"
CERT_TICKET_DAYS = 14


def slo_id(service: Service, slo: SLO) -> str:
    return service.sloth_id(slo)


def slo_labels(service: Service, slo: SLO) -> dict[str, str]:
    """The catalogue's labels (service, then SLO) and the SLO's identity labels."""
    return {
        **service.labels,
        **slo.labels,
        "service": service.name,
        "slo": slo.name,
        "sloth_id": slo_id(service, slo),
        "sloth_service": service.sloth_name,
        "sloth_slo": slo.name,
    }


def _match(service: Service, slo: SLO) -> str:
    lab = slo_labels(service, slo)
    return f'{{sloth_id="{lab["sloth_id"]}", sloth_service="{lab["sloth_service"]}", sloth_slo="{lab["sloth_slo"]}"}}'


def _pct(x: float) -> str:
    return f"{x:g}%"


def _num(x: float) -> str:
    """A number as Sloth writes it in labels: ``99.9``, ``90``, ``99.99999``."""
    text = repr(float(x))
    return text[:-2] if text.endswith(".0") else text


def sli_recordings(
    service: Service, slo: SLO, burn: tuple[BurnWindow, ...], extra: tuple[float, ...] = ()
) -> list[dict]:
    """``slo:sli_error:ratio_rate<w>`` for the fixed windows, the alert windows and the SLO window.

    Windows of 7 days or more (the SLO period) average the 1h recording hour by hour (a
    subquery): a 30-day ratio reads 720 recorded values instead of 43,200 raw samples and lags by
    at most an hour. Shorter windows, which alerts use, are computed from the raw series.
    """
    windows = sorted({*SLI_WINDOWS, *(w.short for w in burn), *(w.long for w in burn), *extra, slo.window_seconds})
    rules = []
    for w in windows:
        name = format_duration(w)
        if w >= FROM_1H_AT_LEAST:
            expr = f"avg_over_time(slo:sli_error:ratio_rate1h{_match(service, slo)}[{name}:1h])"
        else:
            expr = error_ratio(slo, w)
        rules.append(
            {
                "record": f"slo:sli_error:ratio_rate{name}",
                "expr": expr,
                "labels": {**slo_labels(service, slo), "sloth_window": name},
            }
        )
    return rules


def meta_recordings(service: Service, slo: SLO) -> list[dict]:
    """Objective, budget, period and burn-rate series of Sloth's dashboard."""
    lab, m = slo_labels(service, slo), _match(service, slo)
    objective = round(slo.objective / 100, 10)
    period = format_duration(slo.window_seconds)
    on = "on (sloth_id, sloth_slo, sloth_service) group_left"
    return [
        {"record": "slo:objective:ratio", "expr": f"vector({objective!r})", "labels": lab},
        {"record": "slo:error_budget:ratio", "expr": f"vector(1 - {objective!r})", "labels": lab},
        {"record": "slo:time_period:days", "expr": f"vector({slo.window_seconds / 86400:g})", "labels": lab},
        {
            "record": "slo:current_burn_rate:ratio",
            "expr": f"sum without (sloth_window) (slo:sli_error:ratio_rate5m{m})\n/ {on}\nslo:error_budget:ratio{m}",
            "labels": lab,
        },
        {
            "record": "slo:period_burn_rate:ratio",
            "expr": f"sum without (sloth_window) (slo:sli_error:ratio_rate{period}{m})\n/ {on}\n"
            f"slo:error_budget:ratio{m}",
            "labels": lab,
        },
        {
            "record": "slo:period_error_budget_remaining:ratio",
            "expr": f"1 - slo:period_burn_rate:ratio{m}",
            "labels": lab,
        },
        {
            "record": "sloth_slo_info",
            "expr": "vector(1)",
            "labels": {
                **lab,
                "sloth_mode": "cli-gen-prom",
                "sloth_spec": "sms-metrics/v1",
                "sloth_version": SLOTH_VERSION,
                "sloth_objective": _num(slo.objective),
            },
        },
    ]


def _condition(service: Service, slo: SLO, w: BurnWindow) -> str:
    m, budget = _match(service, slo), round(1 - slo.objective / 100, 10)
    parts = [
        f"max(slo:sli_error:ratio_rate{format_duration(x)}{m} > ({w.factor:g} * {budget!r})) without (sloth_window)"
        for x in (w.short, w.long)
    ]
    return "(\n  " + "\n  and\n  ".join(parts) + "\n)"


CALENDAR_GUARD = "unless on(service) (sms_service_in_hours == 0 or sms_maintenance_active == 1)"


def follows_calendar(service: Service) -> bool:
    """Whether the service's alerts wait for its service hours and maintenance (gauges on /metrics)."""
    sla = service.sla
    return sla is not None and (not parse_service_hours(sla.service_hours).always or bool(sla.maintenance))


def burn_alerts(service: Service, slo: SLO, burn: tuple[BurnWindow, ...]) -> list[dict]:
    """``ErrorBudgetBurn`` with ``severity=page`` and ``severity=ticket``; outside the service hours and
    during maintenance of a service that has them, neither fires (``CALENDAR_GUARD``)."""
    out = []
    period = format_duration(slo.window_seconds)
    for severity in ("page", "ticket"):
        ws = [w for w in burn if w.severity == severity]
        explain = "; ".join(
            f"{w.factor:g}x over {format_duration(w.long)} and {format_duration(w.short)} "
            f"({_pct(w.budget_percent)} of the {period} budget in {format_duration(w.long)})"
            for w in ws
        )
        annotations = {
            "summary": f"{service.name} {slo.name}: the error budget burns too fast ({severity})",
            "description": f"SLO {slo.objective:g}% over {period}. Firing on: {explain}.",
            "budget_consumed": ", ".join(f"{_pct(w.budget_percent)} in {format_duration(w.long)}" for w in ws),
        }
        if slo.runbook:
            annotations["runbook_url"] = slo.runbook
        expr = "\nor\n".join(_condition(service, slo, w) for w in ws)
        if follows_calendar(service):
            expr = f"(\n{expr}\n)\n{CALENDAR_GUARD}"
        out.append(
            {
                "alert": "ErrorBudgetBurn",
                "expr": expr,
                "labels": {"service": service.name, "slo": slo.name, "severity": severity, "sloth_severity": severity},
                "annotations": annotations,
            }
        )
    return out


def no_data_alert(service: Service, slo: SLO) -> dict:
    """Fires when the SLI has had no value for 10 minutes: the SLO is not being measured."""
    return {
        "alert": "SLONoData",
        "expr": f"absent(slo:sli_error:ratio_rate5m{_match(service, slo)})",
        "for": "10m",
        "labels": {**slo_labels(service, slo), "severity": "ticket"},
        "annotations": {
            "summary": f"{service.name} {slo.name}: no SLI data for 10 minutes",
            "description": "The SLI's error ratio over 5m has no value: its source series are "
            "missing (scrape, probe or exporter down), so the SLO is not measured.",
        },
    }


def certificate_alerts(service: Service) -> list[dict]:
    """One certificate-expiry alert per distinct probe selector of the service."""
    out, seen = [], set()
    for slo in service.slos:
        sel = source_selector(slo) if slo.sli.kind == "probe" else None
        if not sel or sel in seen:
            continue
        seen.add(sel)
        cert = "probe_ssl_earliest_cert_expiry" + (sel[sel.index("{") :] if "{" in sel else "")
        out.append(
            {
                "alert": "ProbeCertificateExpiry",
                "expr": f"min by (service, probe, instance) ({cert}) - time() < {CERT_TICKET_DAYS} * 86400",
                "for": "10m",
                "labels": {"severity": "ticket"},
                "annotations": {
                    "summary": f"{service.name}: a probed TLS certificate expires within {CERT_TICKET_DAYS} days",
                    "description": "Renew the certificate of probe {{ $labels.probe }}: it expires "
                    "in {{ $value | humanizeDuration }}.",
                },
            }
        )
    return out


def capacity_rules(service: Service) -> list[dict]:
    """One static alert per capacity resource on the forecast gauge (DESIGN.md): it fires when the
    forecast exhaustion time is closer than the lead time, whatever the forecast says later."""
    out = []
    for res in service.capacity:
        gauge = f'sms_capacity_exhaustion_timestamp_seconds{{service="{service.name}", resource="{res.name}"}}'
        out.append(
            {
                "alert": "CapacityExhaustionWithinLeadTime",
                "expr": f"{gauge} - time() < {int(parse_duration(res.lead_time))}",
                "labels": {"severity": "ticket", "service": service.name, "resource": res.name},
                "annotations": {
                    "summary": f"{service.name} {res.name}: forecast exhaustion within the {res.lead_time} lead time",
                    "description": f"{res.name} ({res.direction} to {res.limit:g}) is forecast to "
                    "be exhausted in {{ $value | humanizeDuration }}; an upgrade takes "
                    f"{res.lead_time}. Plan it now.",
                },
            }
        )
    return out


def _burn_windows(slo: SLO, windows: dict[str, tuple[BurnWindow, ...]] | None) -> tuple[BurnWindow, ...]:
    if isinstance(slo.alert_windows, AlertWindowsSpec):
        return spec_windows(slo.alert_windows)
    return (windows or {}).get(slo.alert_windows or "") or default_windows(slo.window_seconds)


def service_groups(service: Service, windows: dict[str, tuple[BurnWindow, ...]] | None = None) -> list[dict]:
    """Every rule group of one service, in a stable order."""
    groups: list[dict] = []
    for slo in service.slos:
        burn = _burn_windows(slo, windows)
        if abs(burn[0].period - slo.window_seconds) > 1:
            raise InputError(
                f"services.{service.name}.slos.{slo.name}.alert_windows: the windows are for a "
                f"{format_duration(burn[0].period)} period but the SLO window is {slo.window}"
            )
        # One group per SLO, in dependency order: the metadata and the alerts see this
        # evaluation's ratios, and fewer groups cost Prometheus less per interval.
        groups.append(
            {
                "name": f"sms-slo-{slo_id(service, slo)}",
                "rules": [
                    *sli_recordings(service, slo, burn, extra_windows(slo)),
                    *meta_recordings(service, slo),
                    *slo_alerts(service, slo, burn_alerts(service, slo, burn), no_data_alert(service, slo)),
                ],
            }
        )
    certs = certificate_alerts(service)
    if certs and groups:
        groups[0]["rules"] += certs  # in the first SLO's group: a group of its own costs more
    if service.capacity:
        groups.append({"name": f"sms-capacity-{service.name}", "rules": capacity_rules(service)})
    return groups


def catalogue_rules(
    catalogue: Catalogue, windows: dict[str, tuple[BurnWindow, ...]] | None = None
) -> dict[str, list[dict]]:
    """``{service name: groups}`` for every service; an error when nothing would be generated."""
    out = {s.name: service_groups(s, windows) for s in catalogue.services}
    out = {k: v for k, v in out.items() if v}
    if catalogue.services and not out:
        raise InputError(
            "the catalogue has services but none has an SLO or a capacity resource: zero rules would be generated"
        )
    return out
