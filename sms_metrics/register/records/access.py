"""Who is asking: a principal with a role (viewer < agent < manager < admin) and the ``restricted``
flag that alone shows restricted records. The webhook token is a principal that may only deliver alerts."""

from __future__ import annotations

from dataclasses import dataclass

from sms_metrics.errors import Forbidden, RecordNotFound

ROLES = ("viewer", "agent", "manager", "admin")
WEBHOOK_ROLE = "webhook"


@dataclass(frozen=True)
class Principal:
    name: str
    role: str
    restricted: bool = False

    def has(self, role: str) -> bool:
        return self.role in ROLES and ROLES.index(self.role) >= ROLES.index(role)


SYSTEM = Principal("sms-metrics", "admin", restricted=True)


def require(who: Principal, role: str, what: str) -> None:
    """Raise Forbidden unless ``who`` has ``role`` or more."""
    if not who.has(role):
        raise Forbidden(f"{who.name} ({who.role}) may not {what}: it needs the {role} role")


def require_visible(who: Principal, kind, record_id: int | None = None) -> None:
    """Restricted kinds do not exist for tokens without ``restricted``: 404, never 403."""
    if who.role == WEBHOOK_ROLE:
        raise Forbidden("the webhook token may only deliver alerts")
    if kind.restricted and not who.restricted:
        what = f"{kind.title} {record_id}" if record_id is not None else f"record kind {kind.path}"
        raise RecordNotFound(f"{what} does not exist")
