"""Catalogue warnings: legal but probably not what the author meant (``catalogue validate`` prints
them; the commands that load a catalogue log them)."""

from __future__ import annotations

from sms_metrics.catalogue.model import Catalogue


def catalogue_warnings(catalogue: Catalogue) -> list[str]:
    """``path: reason`` for each service whose SLA target differs from the objective of the SLO its
    SLA report measures: the report judges the month by the target, the alerts burn on the objective."""
    out = []
    for i, svc in enumerate(catalogue.services):
        slo = svc.availability_slo()
        if svc.sla is None or slo is None or abs(svc.sla.availability_target - slo.objective) < 1e-9:
            continue
        out.append(
            f"services[{i}].sla.availability_target: {svc.sla.availability_target:g}% differs from the objective "
            f"{slo.objective:g}% of SLO {slo.name!r} of {svc.name!r}, which the SLA report measures (the report "
            "judges the SLA by the target, the burn-rate alerts by the objective)"
        )
    return out
