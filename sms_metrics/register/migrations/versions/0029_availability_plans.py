"""Availability plans

Revision ID: 0029
Revises: 0028
"""

import sqlalchemy as sa
from alembic import op

from sms_metrics.register.base import UTCDateTime
from sms_metrics.register.migrations import record_columns

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "availability_plans",
        *record_columns(),
        sa.Column("availability_target", sa.Float),
        sa.Column("requirements", sa.Text),
        sa.Column("measures", sa.JSON, nullable=False),
        sa.Column("risks", sa.JSON, nullable=False),
        sa.Column("service", sa.String(200), nullable=False, index=True),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("owner", sa.String(200), index=True),
        sa.Column("description", sa.Text),
        sa.Column("review_date", sa.Date, index=True),
        sa.Column("review_interval_days", sa.Integer, nullable=False),
        sa.Column("approved_by", sa.String(200)),
        sa.Column("approved_at", UTCDateTime()),
        sa.Column("review_overdue_since", UTCDateTime()),
    )


def downgrade() -> None:
    op.drop_table("availability_plans")
