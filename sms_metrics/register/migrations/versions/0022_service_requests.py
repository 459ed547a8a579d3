"""Service requests

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

from sms_metrics.register.base import UTCDateTime
from sms_metrics.register.migrations import record_columns

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_requests",
        *record_columns(),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("request_type", sa.String(63), nullable=False, index=True),
        sa.Column("service", sa.String(200), nullable=False, index=True),
        sa.Column("requester", sa.String(200), nullable=False, index=True),
        sa.Column("requested_for", sa.String(200)),
        sa.Column("priority", sa.String(2), nullable=False),
        sa.Column("assignee", sa.String(200), index=True),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("approval_required", sa.Boolean, nullable=False),
        sa.Column("approved_by", sa.String(200)),
        sa.Column("approved_at", UTCDateTime()),
        sa.Column("clock_started_at", UTCDateTime()),
        sa.Column("fulfilment_minutes", sa.Integer),
        sa.Column("fulfilment_source", sa.String(60), nullable=False),
        sa.Column("fulfilment_due_at", UTCDateTime(), index=True),
        sa.Column("fulfilment_warn_at", UTCDateTime(), index=True),
        sa.Column("fulfilment_warned_at", UTCDateTime()),
        sa.Column("fulfilment_breached_at", UTCDateTime()),
        sa.Column("pending_since", UTCDateTime()),
        sa.Column("fulfilled_at", UTCDateTime()),
        sa.Column("fulfilment", sa.Text),
        sa.Column("closed_at", UTCDateTime()),
    )


def downgrade() -> None:
    op.drop_table("service_requests")
