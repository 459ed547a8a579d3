"""Register gauges for /metrics, counted in SQL at scrape time: records per kind and state, open
changes per service and type, releases per service and state."""

from __future__ import annotations

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from sms_metrics.register.base import Link


class RegisterCollector(Collector):
    def __init__(self, readers, kinds: dict):
        self.readers, self.kinds = readers, kinds

    def collect(self):
        records = GaugeMetricFamily(
            "sms_register_records", "Records in the register by kind and state", labels=["kind", "status"]
        )
        changes = GaugeMetricFamily(
            "sms_changes_open", "Changes neither completed nor closed, by service and type", labels=["service", "type"]
        )
        releases = GaugeMetricFamily("sms_releases", "Releases by service and state", labels=["service", "status"])
        with self.readers() as s:
            for kind in self.kinds.values():
                if kind.restricted:
                    continue
                for status, n in s.execute(select(kind.model.status, func.count()).group_by(kind.model.status)):
                    records.add_metric([kind.path, status], n)
            if "change" in self.kinds:
                change = self.kinds["change"]
                rows = s.execute(
                    select(Link.target, change.model.type, func.count())
                    .join(change.model, change.model.id == Link.record_id)
                    .where(
                        Link.kind == "change",
                        Link.field == "services",
                        change.model.status.in_(sorted(change.lifecycle.open)),
                    )
                    .group_by(Link.target, change.model.type)
                )
                for service, type_, n in rows:
                    changes.add_metric([service, type_], n)
            if "release" in self.kinds:
                model = self.kinds["release"].model
                for service, status, n in s.execute(
                    select(model.service, model.status, func.count()).group_by(model.service, model.status)
                ):
                    releases.add_metric([service, status], n)
        return [records, changes, releases]
