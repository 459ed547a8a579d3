"""Complaints

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

from sms_metrics.register.base import UTCDateTime
from sms_metrics.register.migrations import record_columns

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "complaints",
        *record_columns(),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), index=True),
        sa.Column("complainant", sa.String(200)),
        sa.Column("service", sa.String(200), index=True),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False, index=True),
        sa.Column("owner", sa.String(200), index=True),
        sa.Column("received_at", UTCDateTime(), nullable=False, index=True),
        sa.Column("response_due_at", UTCDateTime()),
        sa.Column("resolution_due_at", UTCDateTime()),
        sa.Column("responded_at", UTCDateTime()),
        sa.Column("response", sa.Text),
        sa.Column("resolved_at", UTCDateTime()),
        sa.Column("resolution", sa.Text),
        sa.Column("closed_at", UTCDateTime()),
        sa.Column("customer_satisfied", sa.Boolean),
    )


def downgrade() -> None:
    op.drop_table("complaints")
