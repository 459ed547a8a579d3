"""The blackbox-compatible ``/probe?target=...&module=...`` endpoint, which is no open proxy.

It probes a target only when the probe files pair it with that module, or when it matches one of
the allowlist's regular expressions (``SMS_PROBE_ALLOWLIST``); anything else is refused with 403.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, HTTPException, Query, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from sms_metrics.probing.config import Module, Target
from sms_metrics.probing.metrics import registry_for
from sms_metrics.probing.runner import run_probe


class ProbeGate:
    """Which (target, module) pairs ``/probe`` may run."""

    def __init__(self, targets: list[Target], modules: dict[str, Module], allowlist: list[str]):
        self.modules_by_name: dict[str, tuple[str, Module]] = {}
        for key, mod in modules.items():
            self.modules_by_name.setdefault(key.rsplit(":", 1)[-1], (key, mod))
        self.known = {(t.target, t.module.rsplit(":", 1)[-1]): t for t in targets}
        self.allow = [re.compile(rx) for rx in allowlist]

    def target_for(self, target: str, module: str) -> tuple[Target, Module]:
        if module not in self.modules_by_name:
            raise HTTPException(400, f"unknown module {module!r}; known: {', '.join(sorted(self.modules_by_name))}")
        key, mod = self.modules_by_name[module]
        known = self.known.get((target, module))
        if known is not None:
            return known, mod
        if any(rx.fullmatch(target) for rx in self.allow):
            return Target(name="adhoc", service="adhoc", module=key, target=target, interval="1h"), mod
        raise HTTPException(
            403,
            f"target {target!r} with module {module!r} is not in the probe files or the "
            "allowlist (SMS_PROBE_ALLOWLIST); /probe is not an open proxy",
        )


def probe_router(gate: ProbeGate) -> APIRouter:
    router = APIRouter()

    @router.get("/probe", include_in_schema=True, summary="blackbox_exporter-compatible probe")
    async def probe(
        target: str = Query(..., description="What to probe, as in the probe files"),
        module: str = Query(..., description="A module of the probe files"),
    ) -> Response:
        t, mod = gate.target_for(target, module)
        result = await run_probe(t, mod)
        return Response(generate_latest(registry_for([result])), media_type=CONTENT_TYPE_LATEST)

    return router
