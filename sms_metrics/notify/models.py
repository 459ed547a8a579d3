"""The tables of notifications: subscriptions (a record kind), the delivery log (one row per event and
receiver: status, attempts, last error, times) and the dispatcher's place in the history table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sms_metrics.register.base import Base, RecordColumns, UTCDateTime


class Subscription(RecordColumns, Base):
    __tablename__ = "notification_subscriptions"

    name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(10), index=True)  # webhook | email | slack
    url: Mapped[str | None] = mapped_column(Text, nullable=True)  # webhook URL; Slack's shown masked
    email_to: Mapped[list] = mapped_column(JSON, default=list)
    events: Mapped[list] = mapped_column(JSON, default=list)
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)
    secret: Mapped[str | None] = mapped_column(Text, nullable=True)  # HMAC key, or the Slack URL; never read back
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    owner: Mapped[str | None] = mapped_column(String(200), nullable=True)

    @property
    def has_secret(self) -> bool:
        return bool(self.secret)


class Delivery(Base):
    """One event for one receiver: pending until sent, retried with backoff, failed after the last attempt.
    ``subscription_id`` is null for the ``SMS_NOTIFY_URL`` receiver of SLA clock events."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_key", name="uq_notification_delivery"),
        Index("ix_notification_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    channel: Mapped[str] = mapped_column(String(10))
    event: Mapped[str] = mapped_column(String(120))
    event_key: Mapped[str] = mapped_column(String(200))
    record_kind: Mapped[str | None] = mapped_column(String(40), nullable=True)
    record_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10))  # pending | sent | failed | cancelled
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class DispatchCursor(Base):
    """How far the dispatcher has read the history table (one row)."""

    __tablename__ = "notification_cursor"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    history_id: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
