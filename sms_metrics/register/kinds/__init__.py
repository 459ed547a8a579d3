"""Every record kind of the register, one module each (a declaration on the record framework)."""

from __future__ import annotations

from sms_metrics.register.kinds import (
    capacity_plans,
    changes,
    configuration_items,
    incidents,
    notification_subscriptions,
    problems,
    releases,
    service_change_proposals,
    status_updates,
)
from sms_metrics.register.records.kind import RecordKind

MODULES = (
    incidents,
    problems,
    changes,
    releases,
    configuration_items,
    service_change_proposals,
    capacity_plans,
    notification_subscriptions,
    status_updates,
)
KINDS: dict[str, RecordKind] = {m.KIND.name: m.KIND for m in MODULES}
