"""The status page as an Atom feed (RFC 4287): an entry per open incident, status update and planned
maintenance, built with ElementTree (so every text is escaped)."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET

NS = "http://www.w3.org/2005/Atom"


def _entry(root: ET.Element, base: str, key: str, title: str, updated: str, text: str) -> None:
    entry = ET.SubElement(root, "entry")
    ET.SubElement(entry, "id").text = f"{base}/status#{hashlib.sha256(key.encode()).hexdigest()[:16]}"
    ET.SubElement(entry, "title").text = title
    ET.SubElement(entry, "updated").text = updated
    ET.SubElement(entry, "link", href=f"{base}/status")
    ET.SubElement(entry, "content", type="text").text = text


def feed(view: dict, base: str) -> bytes:
    root = ET.Element("feed", xmlns=NS)
    ET.SubElement(root, "title").text = "Service status"
    ET.SubElement(root, "id").text = f"{base}/status"
    ET.SubElement(root, "link", href=f"{base}/status")
    ET.SubElement(root, "link", rel="self", href=f"{base}/status/feed.atom")
    ET.SubElement(root, "updated").text = view["generated_at"]
    for inc in view["incidents"]:
        services = ", ".join(inc["services"])
        _entry(
            root,
            base,
            inc["id"],
            f"{inc['title']} ({inc['impact']} impact)",
            inc["started_at"],
            f"{services}: {inc['phase']} since {inc['started_at']}",
        )
        for u in inc["updates"]:
            _entry(root, base, u["id"], f"{u['title']}: {u['phase']}", u["at"], u["message"])
    for u in view["notices"]:
        _entry(root, base, u["id"], f"{u['title']}: {u['phase']}", u["at"], u["message"])
    for m in view["maintenance"]:
        key = f"maintenance {m['start']} {m['end']} {m['services']}"
        _entry(
            root,
            base,
            key,
            f"{m['description']}: {', '.join(m['services'])}",
            m["start"],
            f"From {m['start']} to {m['end']}",
        )
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8")
