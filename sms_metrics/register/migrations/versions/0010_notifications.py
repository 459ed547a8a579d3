"""Notification subscriptions, their delivery log and the dispatcher's cursor

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

from sms_metrics.register.base import UTCDateTime
from sms_metrics.register.migrations import record_columns

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification_subscriptions",
        *record_columns(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False, index=True),
        sa.Column("url", sa.Text),
        sa.Column("email_to", sa.JSON, nullable=False),
        sa.Column("events", sa.JSON, nullable=False),
        sa.Column("restricted", sa.Boolean, nullable=False),
        sa.Column("secret", sa.Text),
        sa.Column("description", sa.Text),
        sa.Column("owner", sa.String(200)),
    )
    op.create_table(
        "notification_deliveries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("subscription_id", sa.Integer, index=True),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("event", sa.String(120), nullable=False),
        sa.Column("event_key", sa.String(200), nullable=False),
        sa.Column("record_kind", sa.String(40)),
        sa.Column("record_id", sa.Integer),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime()),
        sa.Column("last_attempt_at", UTCDateTime()),
        sa.Column("sent_at", UTCDateTime()),
        sa.UniqueConstraint("subscription_id", "event_key", name="uq_notification_delivery"),
    )
    op.create_index("ix_notification_deliveries_due", "notification_deliveries", ["status", "next_attempt_at"])
    op.create_table(
        "notification_cursor",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("history_id", sa.Integer, nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("notification_cursor")
    op.drop_index("ix_notification_deliveries_due", "notification_deliveries")
    op.drop_table("notification_deliveries")
    op.drop_table("notification_subscriptions")
