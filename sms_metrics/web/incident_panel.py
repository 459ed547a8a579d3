"""What an incident's page shows besides its fields: the SLA clocks (due, what is left in service hours,
paused while pending, met or breached), the alert's labels, and links to the alert in Prometheus
(its generator URL) and in Alertmanager."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sms_metrics.adapters.alertmanager import alerts_link
from sms_metrics.core.clocks import service_time_between
from sms_metrics.register.kinds.incidents import OPEN, clock_terms
from sms_metrics.web.render import safe_url

SHOWN = ("labels", "generator_url", "response_due_at", "resolution_due_at", "pending_since")


@dataclass
class Clock:
    name: str
    due: datetime | None
    state: str  # running, paused, met, late, breached, none
    left_minutes: float | None = None  # service time until due; negative: overdue by
    note: str = ""


def _left(terms, now: datetime, due: datetime) -> float:
    if terms is None:
        return (due - now).total_seconds() / 60
    if now <= due:
        return service_time_between(now, due, terms.hours, terms.timezone)
    return -service_time_between(due, now, terms.hours, terms.timezone)


def response_clock(terms, rec, now: datetime) -> Clock:
    due = rec.response_due_at
    if due is None:
        return Clock("Response", None, "none", note="no response time for this priority in the SLA")
    if rec.acknowledged_at is not None:
        state = "met" if rec.acknowledged_at <= due else "late"
        return Clock("Response", due, state, note=f"acknowledged {rec.acknowledged_at:%Y-%m-%d %H:%M} UTC")
    if rec.status not in OPEN:
        return Clock(
            "Response", due, "met" if (rec.resolved_at or now) <= due else "late", note="resolved unacknowledged"
        )
    left = _left(terms, now, due)
    return Clock("Response", due, "running" if left >= 0 else "breached", left)


def resolution_clock(terms, rec, now: datetime) -> Clock:
    due = rec.resolution_due_at
    if due is None:
        return Clock("Resolution", None, "none", note="no resolution time for this priority in the SLA")
    if rec.resolved_at is not None and rec.status not in OPEN:
        return Clock("Resolution", due, "met" if rec.resolved_at <= due else "late", note="resolved")
    if rec.status == "pending" and rec.pending_since is not None:
        left = _left(terms, rec.pending_since, due)
        note = (
            f"paused while pending since {rec.pending_since:%Y-%m-%d %H:%M} UTC: the due time moves out when it resumes"
        )
        return Clock("Resolution", due, "paused", left, note)
    left = _left(terms, now, due)
    return Clock("Resolution", due, "running" if left >= 0 else "breached", left)


def incident_panel(pages, rec) -> dict:
    now = pages.system.now()
    terms = clock_terms(pages.system.catalogue, rec.service)
    am = pages.settings.alertmanager_url
    labels = dict(rec.labels or {})
    return {
        "template": "panels/incident.html.j2",
        "clocks": [response_clock(terms, rec, now), resolution_clock(terms, rec, now)],
        "hours": terms.hours.text if terms else None,
        "timezone": terms.timezone if terms else None,
        "labels": sorted(labels.items()),
        "generator_url": safe_url(rec.generator_url),
        "alertmanager_url": alerts_link(am, labels) if am and labels else None,
    }


PANELS = {"incident": (incident_panel, SHOWN)}
