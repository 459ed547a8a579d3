"""``sms-metrics plans ...``: capacity plans in the register from a shell."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from rich.console import Console
from rich.table import Table

from sms_metrics.commands.incidents import default_actor, register_sessions
from sms_metrics.config import Settings
from sms_metrics.register.capacity.models import CapacityPlanRead
from sms_metrics.register.capacity.service import list_plans, transition_plan
from sms_metrics.register.db import transaction


def show_plans(settings: Settings, *, status: str | None, service: str | None, fmt: str) -> str | None:
    with register_sessions(settings)() as session:
        rows, total = list_plans(session, status=status, service=service, limit=1000)
        items = [CapacityPlanRead.model_validate(r) for r in rows]
    if fmt == "json":
        return json.dumps([i.model_dump(mode="json") for i in items], indent=2) + "\n"
    table = Table(title=f"Capacity plans ({len(items)} of {total})")
    for col in ("id", "service", "resource", "plan", "forecast", "exhaustion", "model", "MASE", "made"):
        table.add_column(col)
    for i in items:
        table.add_row(
            str(i.id),
            i.service,
            i.resource,
            i.status,
            i.forecast_status,
            i.exhaustion_at.strftime("%Y-%m-%d %H:%M") if i.exhaustion_at else "-",
            i.model,
            "-" if i.backtest_mase is None else f"{i.backtest_mase:.3f}",
            i.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    Console().print(table)
    return None


def move_plan(settings: Settings, plan_id: int, to: str, *, actor: str | None, reason: str | None) -> str:
    with transaction(register_sessions(settings)) as session:
        plan = transition_plan(
            session, plan_id=plan_id, to=to, actor=actor or default_actor(), now=datetime.now(UTC), reason=reason
        )
        return f"capacity plan {plan.id} ({plan.service}/{plan.resource}): {plan.status}"
