"""What the register tells the measurements: approved change windows (maintenance exclusions of the
availability reports and of ``sms_maintenance_active``) and the incidents overlapping an outage."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select

from sms_metrics.register.base import Link
from sms_metrics.register.kinds.changes import AGREED, Change, maintenance_windows
from sms_metrics.register.kinds.incidents import Incident


def change_windows(system):
    """``(service, start, end) -> [(start, end, title, "change CHG-…")]``: the agreed maintenance windows."""

    def provider(service: str, start: datetime, end: datetime) -> list[tuple]:
        with system.readers() as s:
            rows = s.execute(
                select(Change.id, Change.title, Change.planned_start, Change.planned_end)
                .join(Link, (Link.record_id == Change.id) & (Link.kind == "change") & (Link.field == "services"))
                .where(
                    Link.target == service,
                    Change.maintenance_window.is_(True),
                    Change.status.in_(AGREED),
                    Change.planned_start < end,
                    Change.planned_end > start,
                )
                .order_by(Change.planned_start)
            ).all()
        return [(a, b, title, f"change CHG-{cid:06d}") for cid, title, a, b in rows]

    return provider


def active_windows(system, services: list[str]):
    """``now -> {service: [(start, end)]}``: the agreed change windows open around ``now`` (for the gauge)."""

    def provider(now: datetime) -> dict[str, list[tuple[datetime, datetime]]]:
        with system.readers() as s:
            return maintenance_windows(s, services, now - timedelta(seconds=1), now + timedelta(seconds=1))

    return provider


def overlapping_incidents(system):
    """``(service, start, end) -> [{ref, title, priority, status, start, end}]``: incidents open during it."""

    def provider(service: str, start: datetime, end: datetime) -> list[dict]:
        with system.readers() as s:
            rows = s.scalars(
                select(Incident)
                .where(
                    Incident.service == service,
                    Incident.opened_at < end,
                    or_(Incident.resolved_at.is_(None), Incident.resolved_at > start),
                )
                .order_by(Incident.opened_at)
                .limit(50)
            ).all()
        return [
            {
                "ref": f"INC-{i.id:06d}",
                "title": i.title,
                "priority": i.priority,
                "status": i.status,
                "start": i.opened_at,
                "end": i.resolved_at,
            }
            for i in rows
        ]

    return provider
