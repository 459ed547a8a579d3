"""Pure rules of service control: the error-budget gate of changes, the post-release watch and the
go-live gate of new services. They take measured values and return a refusal (or failure) text, or
None; reading the values from Prometheus is the register's job."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

PAGE_BURN = 14.4  # the 1h/5m page threshold of the multiwindow burn-rate alerts


def promql_names(names: Sequence[str]) -> str:
    """A PromQL regex matching exactly these label values."""
    return "|".join(re.sub(r"([.+*?()\[\]{}^$|\\])", r"\\\\\1", n) for n in sorted(set(names)))


def budget_refusal(
    services: Sequence[str], slos: Mapping[str, Sequence[str] | None], remaining: Mapping[tuple[str, str], float]
) -> str | None:
    """Why a normal change may not be approved: an SLO of one of its services has spent its error budget
    (remaining ratio <= 0) or has no value (the gate fails closed). ``slos[s]`` is the catalogue's SLO
    names of ``s`` (None when the catalogue does not know it: then every budget Prometheus has counts,
    and none at all refuses)."""
    problems = []
    for service in services:
        names = slos.get(service)
        if names is None:
            names = sorted(slo for svc, slo in remaining if svc == service)
            if not names:
                problems.append(f"{service}: no error budget in Prometheus (slo:period_error_budget_remaining:ratio)")
        for slo in names:
            value = remaining.get((service, slo))
            if value is None:
                problems.append(f"{service}/{slo}: no value of slo:period_error_budget_remaining:ratio")
            elif value <= 0:
                problems.append(f"{service}/{slo}: error budget spent ({value * 100:.1f}% remaining)")
    return "; ".join(problems) or None


def burn_failure(rates: Mapping[str, tuple[float | None, float | None]], threshold: float = PAGE_BURN) -> str | None:
    """Why a deployed release fails its watch: an SLO burns its budget at ``threshold`` times or more
    over both 5 minutes and 1 hour. ``rates[slo] = (burn_5m, burn_1h)``."""
    for slo, (fast, slow) in sorted(rates.items()):
        if fast is not None and slow is not None and fast >= threshold and slow >= threshold:
            return (
                f"SLO {slo} burns its error budget at {fast:.1f}x over 5m and {slow:.1f}x over 1h (>= {threshold:g}x)"
            )
    return None


def tests_refusal(tests: Sequence[Mapping], what: str) -> str | None:
    """Why recorded tests do not let a record move on: none recorded, or some did not pass."""
    if not tests:
        return f"no {what} recorded"
    failed = [t.get("name", "?") for t in tests if not t.get("passed")]
    if failed:
        return f"{what} not passed: {', '.join(failed)}"
    return None


def probes_refusal(service: str, lowest: Mapping[str, float], old_enough: bool, hours: float = 24) -> str | None:
    """Why a service may not go live: no probe, a probe that failed within ``hours``, or probes younger
    than that. ``lowest[probe]`` is each probe's lowest ``probe_success`` over the window."""
    if not lowest:
        return f"{service} has no probe_success series in Prometheus"
    failed = sorted(p for p, v in lowest.items() if v < 1)
    if failed:
        return f"probes of {service} failed within the last {hours:g} hours: {', '.join(failed)}"
    if not old_enough:
        return f"the probes of {service} have run for less than {hours:g} hours"
    return None
