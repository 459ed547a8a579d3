"""Service continuity plans

Revision ID: 0030
Revises: 0029
"""

import sqlalchemy as sa
from alembic import op

from sms_metrics.register.base import UTCDateTime
from sms_metrics.register.migrations import record_columns

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "continuity_plans",
        *record_columns(),
        sa.Column("rto_minutes", sa.Integer, nullable=False),
        sa.Column("rpo_minutes", sa.Integer, nullable=False),
        sa.Column("scenarios", sa.JSON, nullable=False),
        sa.Column("recovery_procedure", sa.Text),
        sa.Column("contacts", sa.JSON, nullable=False),
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
    op.drop_table("continuity_plans")
