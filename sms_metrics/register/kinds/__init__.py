"""Every record kind of the register, one module each (a declaration on the record framework)."""

from __future__ import annotations

from sms_metrics.register.kinds import (
    capacity_plans,
    changes,
    complaints,
    configuration_items,
    contracts,
    customers,
    incidents,
    known_errors,
    notification_subscriptions,
    problems,
    releases,
    request_types,
    satisfaction_surveys,
    service_change_proposals,
    service_requests,
    service_reviews,
    status_updates,
    supplier_performance,
    suppliers,
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
    customers,
    complaints,
    satisfaction_surveys,
    service_reviews,
    suppliers,
    contracts,
    supplier_performance,
    request_types,
    service_requests,
    known_errors,
)
KINDS: dict[str, RecordKind] = {m.KIND.name: m.KIND for m in MODULES}
