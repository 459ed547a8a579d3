"""Notification subscriptions (ISO/IEC 20000-1 4, communication): which events (incident opened,
escalated, resolved; SLA warnings and breaches; change approved; release failed; document review due; any
``<kind>.created|updated|moved:<state>``) of which services go to whom — a webhook signed with
HMAC-SHA256, an email, or a Slack incoming webhook. Secrets are write-only: the HMAC key is never read
back, and a Slack URL (itself a secret) is shown masked. Deliveries: ``sms_metrics/notify``."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import inspect

from sms_metrics.core.notify import check_patterns, normalise
from sms_metrics.errors import Forbidden, RecordInvalid
from sms_metrics.notify.models import Subscription
from sms_metrics.register.records.kind import Lifecycle, LinkField, RecordKind
from sms_metrics.register.records.schemas import RecordRead

LIFECYCLE = Lifecycle(
    initial="active",
    moves={"active": ("paused", "retired"), "paused": ("active", "retired"), "retired": ()},
    closed=frozenset({"retired"}),
)
EMAIL = r"^[^@\s]+@[^@\s]+$"


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, description="What the subscription is for")
    channel: Literal["webhook", "email", "slack"] = Field(description="webhook (signed), email (SMTP) or slack")
    events: list[str] = Field(
        min_length=1,
        max_length=100,
        description="Events: incident.opened|escalated|resolved, sla.warning, sla.breach, change.approved, "
        "release.failed, document.review_due, <kind>.created|updated|moved:<state>, <kind>.*, *",
    )
    services: list[str] = Field(default_factory=list, description="Only events of these services (none: all)")
    url: str | None = Field(None, max_length=2000, pattern=r"^https?://\S+$", description="webhook or Slack URL")
    email_to: list[str] = Field(default_factory=list, max_length=50, description="email: the recipients")
    secret: str | None = Field(
        None, min_length=16, max_length=500, description="webhook: the HMAC-SHA256 key (write-only, never shown)"
    )
    restricted: bool = Field(False, description="May receive restricted records (set by a restricted token only)")
    description: str | None = Field(None, max_length=10_000)
    owner: str | None = Field(None, max_length=200)

    @model_validator(mode="after")
    def _channel(self) -> SubscriptionCreate:
        bad = [a for a in self.email_to if not _is_address(a)]
        if bad:
            raise ValueError(f"email_to: not an address: {', '.join(bad)}")
        if self.channel in ("webhook", "slack") and not self.url:
            raise ValueError(f"a {self.channel} subscription needs a url")
        if self.channel == "webhook" and not self.secret:
            raise ValueError("a webhook subscription needs a secret (at least 16 characters) to sign its bodies")
        if self.channel == "email" and not self.email_to:
            raise ValueError("an email subscription needs email_to")
        return self


class SubscriptionRead(RecordRead):
    name: str
    channel: str
    events: list[str]
    services: list[str] = Field(default_factory=list)
    url: str | None = Field(None, description="Slack URLs are shown masked (they are secrets)")
    email_to: list[str] = Field(default_factory=list)
    restricted: bool
    has_secret: bool = Field(description="Whether a signing secret is set (it is never shown)")
    description: str | None = None
    owner: str | None = None


def _is_address(text: str) -> bool:
    import re

    return re.match(EMAIL, text) is not None


def masked(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/***"


def _check(ctx, values: dict, restricted_before: bool = False) -> None:
    kinds = {k.name: k.lifecycle.states for k in ctx.records.kinds.values()}
    paths = {k.path: k.name for k in ctx.records.kinds.values()}
    problems = check_patterns(values["events"], kinds, paths)
    if problems:
        raise RecordInvalid(problems)
    values["events"] = list(dict.fromkeys(normalise(p, paths) for p in values["events"]))
    if (values["restricted"] or restricted_before) and not ctx.who.restricted:
        raise Forbidden(f"{ctx.who.name} may not manage a restricted subscription: it needs a restricted token")


def before_create(ctx, values: dict) -> None:
    _check(ctx, values)
    if values["channel"] == "slack":
        values["secret"], values["url"] = values["url"], masked(values["url"])
    if values["channel"] == "email":
        values["url"], values["secret"] = None, None


def on_update(ctx, row, changes: dict) -> None:
    before = inspect(row).attrs.restricted.history.deleted
    values = {"events": row.events, "restricted": row.restricted}
    _check(ctx, values, restricted_before=bool(before and before[0]))
    row.events = values["events"]
    if "channel" in changes:
        raise RecordInvalid(["body.channel: a subscription's channel cannot change; retire it and create another"])
    if row.channel == "slack" and "secret" in changes:
        raise RecordInvalid(["body.secret: a Slack subscription's secret is its url; change the url"])
    if row.channel == "slack" and "url" in changes:
        row.secret, row.url = row.url, masked(row.url)
    if row.channel == "email":
        row.url, row.secret = None, None


def _routes(router, records, visible) -> None:
    from sms_metrics.notify.api import subscription_routes

    subscription_routes(router, records, visible)


def _cli(group, system_of) -> None:
    from sms_metrics.notify.api import subscription_commands

    subscription_commands(group, system_of)


KIND = RecordKind(
    name="notification_subscription",
    path="notification-subscriptions",
    prefix="NSUB",
    title="notification subscription",
    model=Subscription,
    create=SubscriptionCreate,
    read=SubscriptionRead,
    lifecycle=LIFECYCLE,
    links={"services": LinkField(to="service", filter="service")},
    filters={"channel": "channel", "owner": "owner"},
    search=("name", "description", "owner"),
    table=("name", "channel", "events"),
    write_role="manager",
    verbs={"pause": "paused", "resume": "active", "retire": "retired"},
    history_fields=("status", "name", "channel", "url", "email_to", "events", "restricted", "description", "owner"),
    example={
        "name": "Service desk mail",
        "channel": "email",
        "email_to": ["desk@example.com"],
        "events": ["incident.opened", "change.approved"],
        "services": ["checkout"],
    },
    before_create=before_create,
    on_update=on_update,
    routes=_routes,
    cli=_cli,
    evidence=False,
    description="Who is told what: events of services sent to a signed webhook, an email or a Slack channel.",
)
