"""Rolling SLO figures from the recording rules (``rules/``), when Prometheus has them.

Cheap to read for any number of SLOs: one instant query per batch of SLOs. The calendar-month
report keeps its sample-exact figures; these are the rolling-window companions (as of an instant).
"""

from __future__ import annotations

import re
from datetime import datetime

from sms_metrics.adapters.prometheus import PrometheusPort
from sms_metrics.sli.selectors import promql_string

FIELDS = {
    "slo:period_error_budget_remaining:ratio": "error_budget_remaining_percent",
    "slo:current_burn_rate:ratio": "current_burn_rate",
    "slo:period_burn_rate:ratio": "period_burn_rate",
}
BATCH = 250


def read_recorded(prom: PrometheusPort, ids: list[str], at: datetime) -> dict[str, dict]:
    """``{sloth_id: {error_budget_remaining_percent, current_burn_rate, period_burn_rate}}`` at ``at``.

    SLOs without recorded series are absent from the answer.
    """
    out: dict[str, dict] = {}
    names = "|".join(re.escape(n) for n in FIELDS)
    for k in range(0, len(ids), BATCH):
        chunk = ids[k : k + BATCH]
        alternatives = "|".join(re.escape(i) for i in chunk)
        expr = f"{{__name__=~{promql_string(names)}, sloth_id=~{promql_string(alternatives)}}}"
        for labels, value in prom.query(expr, at):
            field = FIELDS.get(labels.get("__name__", ""))
            if field:
                v = 100 * value if field.endswith("percent") else value
                out.setdefault(labels["sloth_id"], {})[field] = v
    return out
