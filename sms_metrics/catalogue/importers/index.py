"""OpenSLO v1 objects by kind and name, across every file of an import, for references."""

from __future__ import annotations

from dataclasses import dataclass, field

from sms_metrics.catalogue.importers.source import At, Obj, Report

NOT_NEEDED = {
    "SLI": "not used by any SLO: nothing to measure",
    "AlertPolicy": "not used by any SLO",
    "AlertCondition": "not used by any alert policy",
    "AlertNotificationTarget": "not used by any alert policy",
    "DataSource": "not used by any metric source",
}


@dataclass
class Index:
    report: Report
    objects: dict[tuple[str, str], tuple[dict, At]] = field(default_factory=dict)
    used: set[tuple[str, str]] = field(default_factory=set)

    def add(self, o: Obj) -> None:
        kind = str(o.data.get("kind"))
        name = (o.data.get("metadata") or {}).get("name") if isinstance(o.data.get("metadata"), dict) else None
        if not name:
            self.report.fail(o.at / "metadata" / "name", "required")
            return
        key = (kind, str(name))
        if key in self.objects:
            first = self.objects[key][1]
            self.report.fail(o.at / "metadata" / "name", f"a second {kind} named {name!r} (first: {first.say('here')})")
            return
        self.objects[key] = (o.data, o.at)

    def get(self, kind: str, name: str) -> Obj | None:
        """The object, read afresh (each reference reads it through its own ``Obj``)."""
        found = self.objects.get((kind, name))
        if found is None:
            return None
        self.used.add((kind, name))
        return Obj(found[0], found[1], self.report)

    def of_kind(self, kind: str) -> list[Obj]:
        return [Obj(d, at, self.report) for (k, _), (d, at) in self.objects.items() if k == kind]

    def resolve(self, item: Obj, ref_key: str, kind: str) -> Obj | None:
        """``item`` is either ``{<ref_key>: name}`` or an inline object of ``kind``."""
        ref = item.text(ref_key)
        if ref is not None:
            item.done()
            obj = self.get(kind, ref)
            if obj is None:
                item.r.fail(item.at / ref_key, f"names no {kind} in the files given")
            return obj
        if item.data.get("kind") == kind:
            return item
        item.r.fail(item.at, f"expected {ref_key} or an inline {kind}")
        return None

    def datasource_type(self, name: str, at: At) -> str | None:
        ds = self.get("DataSource", name)
        if ds is None:
            self.report.fail(at, "names no DataSource in the files given")
            return None
        spec = ds.obj("spec")
        kind = spec.text("type") if spec else None
        if spec and spec.get("connectionDetails") is not None:
            self.report.note(spec.at / "connectionDetails", "not carried: sms-metrics reads SMS_PROMETHEUS_URL")
        return kind

    def unused_notes(self) -> None:
        for key, (_, at) in self.objects.items():
            if key[0] in NOT_NEEDED and key not in self.used:
                self.report.note(at, NOT_NEEDED[key[0]])
