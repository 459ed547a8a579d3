"""Every record kind of the register, one module each (a declaration on the record framework)."""

from __future__ import annotations

from sms_metrics.register.kinds import (
    audits,
    availability_plans,
    budget_items,
    capacity_plans,
    changes,
    configuration_items,
    continuity_plans,
    continuity_tests,
    documents,
    incidents,
    management_reviews,
    nonconformities,
    problems,
    releases,
    security_controls,
    security_incidents,
    service_change_proposals,
    service_reports,
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
    documents,
    audits,
    nonconformities,
    management_reviews,
    service_reports,
    availability_plans,
    continuity_plans,
    continuity_tests,
    budget_items,
    security_controls,
    security_incidents,
)
KINDS: dict[str, RecordKind] = {m.KIND.name: m.KIND for m in MODULES}
DUES = tuple(m.DUE for m in MODULES if hasattr(m, "DUE"))  # review and due dates the review job watches
