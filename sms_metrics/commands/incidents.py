"""``sms-metrics incidents ...``: the service desk's view of the register from a shell."""

from __future__ import annotations

import getpass
import json
from datetime import UTC, datetime

from rich.console import Console
from rich.table import Table

from sms_metrics.config import Settings
from sms_metrics.register.db import make_engine, session_factory, transaction
from sms_metrics.register.incidents.models import IncidentRead
from sms_metrics.register.incidents.service import list_incidents, transition
from sms_metrics.register.migrations import upgrade


def register_sessions(settings: Settings):
    """A session factory on the register of ``settings``, migrated to the newest schema."""
    engine = make_engine(settings.database_url)
    upgrade(engine)
    return session_factory(engine)


def default_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def show_list(settings: Settings, *, status: str | None, service: str | None, fmt: str, limit: int) -> str | None:
    with register_sessions(settings)() as session:
        rows, total = list_incidents(session, status=status, service=service, limit=limit)
        items = [IncidentRead.model_validate(r) for r in rows]
    if fmt == "json":
        return json.dumps([i.model_dump(mode="json") for i in items], indent=2) + "\n"
    table = Table(title=f"Incidents ({len(items)} of {total})")
    for col in ("id", "status", "priority", "service", "title", "opened", "response due", "resolution due"):
        table.add_column(col)
    for i in items:
        table.add_row(
            str(i.id),
            i.status,
            i.priority,
            i.service,
            i.title[:50],
            i.opened_at.strftime("%Y-%m-%d %H:%M"),
            i.response_due_at.strftime("%m-%d %H:%M") if i.response_due_at else "-",
            i.resolution_due_at.strftime("%m-%d %H:%M") if i.resolution_due_at else "-",
        )
    Console().print(table)
    return None


def move(
    settings: Settings,
    incident_id: int,
    to: str,
    *,
    actor: str | None,
    reason: str | None = None,
    assignee: str | None = None,
    catalogue=None,
) -> str:
    with transaction(register_sessions(settings)) as session:
        inc = transition(
            session,
            incident_id=incident_id,
            to=to,
            actor=actor or default_actor(),
            now=datetime.now(UTC),
            reason=reason,
            assignee=assignee,
            catalogue=catalogue,
        )
        return f"incident {inc.id}: {inc.status}"
