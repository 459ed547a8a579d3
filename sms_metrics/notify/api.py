"""The delivery log of a subscription and a test event, over HTTP and the CLI (managers and admins):
``GET /api/v1/notification-subscriptions/{id}/deliveries?status=`` and ``POST .../{id}/test``;
``sms-metrics notification-subscriptions deliveries ID`` and ``... test ID``."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

import typer
from fastapi import Depends, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from sms_metrics.errors import Forbidden, RecordInvalid
from sms_metrics.notify.events import Event
from sms_metrics.notify.models import Delivery
from sms_metrics.notify.outbox import insert_deliveries
from sms_metrics.register.db import transaction
from sms_metrics.register.records.access import Principal, require, require_visible
from sms_metrics.register.records.api import RecordId
from sms_metrics.register.records.cli import ID, _command, _param, cli_principal

STATUSES = ("pending", "sent", "failed", "cancelled")


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    subscription_id: int | None
    event: str
    event_key: str
    record_kind: str | None
    record_id: int | None
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    sent_at: datetime | None


def _kind(records):
    return records.kind("notification_subscription")


def deliveries(records, who: Principal, subscription_id: int, status: str | None = None, limit: int = 100):
    """The newest deliveries of a subscription (managers: the log may name restricted records)."""
    kind = _kind(records)
    require_visible(who, kind, subscription_id)
    require(who, kind.write_role, "read the delivery log")
    if status is not None and status not in STATUSES:
        raise RecordInvalid([f"query.status: {status!r} is not one of {', '.join(STATUSES)}"])
    with records.reading() as s:
        if records.load(s, kind, subscription_id).restricted and not who.restricted:
            raise Forbidden("the delivery log of a restricted subscription needs a restricted token")
        query = select(Delivery).where(Delivery.subscription_id == subscription_id)
        if status:
            query = query.where(Delivery.status == status)
        rows = s.scalars(query.order_by(Delivery.id.desc()).limit(limit)).all()
        return [DeliveryRead.model_validate(r) for r in rows]


def send_test(records, who: Principal, subscription_id: int) -> DeliveryRead:
    """Queue a ``notification_subscription.test`` event for this subscription only."""
    kind = _kind(records)
    require_visible(who, kind, subscription_id)
    require(who, kind.write_role, "test a subscription")
    system = records.system
    sub = records.get(kind, who, subscription_id)
    event = Event(f"t{uuid.uuid4().hex}", kind.name, "test", sub.id, system.now(), who.name, "a test from " + who.name)
    event.record, event.services = sub.model_dump(mode="json"), list(sub.services)
    body = json.dumps(event.payload(records.kinds), ensure_ascii=False)
    row = {"subscription_id": sub.id, "channel": sub.channel, "event": event.name, "event_key": event.key}
    row |= {"record_kind": kind.name, "record_id": sub.id, "body": body, "status": "pending", "attempts": 0}
    row |= {"created_at": event.at, "next_attempt_at": event.at}
    with transaction(system.sessions) as s:
        insert_deliveries(s, [row])
        made = s.scalars(select(Delivery).where(Delivery.event_key == event.key)).one()
        return DeliveryRead.model_validate(made)


def subscription_routes(router, records, visible) -> None:
    @router.get("/{record_id}/deliveries", response_model=list[DeliveryRead], summary="The delivery log")
    def list_deliveries(
        record_id: RecordId,
        status: str | None = Query(None, description=", ".join(STATUSES)),
        limit: int = Query(100, ge=1, le=1000),
        who: Principal = Depends(visible),
    ):
        return deliveries(records, who, record_id, status, limit)

    @router.post("/{record_id}/test", response_model=DeliveryRead, status_code=202, summary="Queue a test event")
    def test(record_id: RecordId, who: Principal = Depends(visible)):
        return send_test(records, who, record_id)


def subscription_commands(group: typer.Typer, system_of) -> None:
    def show(settings, record_id, status, limit, fmt):
        rows = deliveries(system_of(settings, None).records, cli_principal(None), record_id, status, limit)
        if fmt == "json":
            return json.dumps([r.model_dump(mode="json") for r in rows], indent=2) + "\n"
        return "".join(
            f"{r.created_at:%Y-%m-%d %H:%M:%S}  {r.event}  {r.status}  attempts={r.attempts}"
            + (f"  ({r.last_error})" if r.last_error else "")
            + "\n"
            for r in rows
        )

    params = [
        ID(),
        _param("status", str | None, typer.Option(None, "--status", help=", ".join(STATUSES))),
        _param("limit", int, typer.Option(100, "--limit")),
        _param("fmt", str, typer.Option("table", "--format", "-f", help="table or json")),
    ]
    _command(group, "deliveries", params, show, "The delivery log of a subscription, newest first.")

    def test(settings, record_id):
        made = send_test(system_of(settings, None).records, cli_principal(None), record_id)
        return f"delivery {made.id} queued ({made.event}); serve sends it\n"

    _command(group, "test", [ID()], test, "Queue a test event for a subscription (serve sends it).")
