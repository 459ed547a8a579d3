"""Continuity tests

Revision ID: 0031
Revises: 0030
"""

import sqlalchemy as sa
from alembic import op

from sms_metrics.register.base import UTCDateTime
from sms_metrics.register.migrations import record_columns

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "continuity_tests",
        *record_columns(),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("service", sa.String(200), nullable=False, index=True),
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("continuity_plans.id"), index=True),
        sa.Column("scenario", sa.String(200)),
        sa.Column("window_start", UTCDateTime(), nullable=False, index=True),
        sa.Column("window_end", UTCDateTime(), nullable=False),
        sa.Column("conducted_by", sa.String(200)),
        sa.Column("observations", sa.Text),
        sa.Column("lessons", sa.Text),
        sa.Column("measured_at", UTCDateTime()),
        sa.Column("downtime_seconds", sa.Float),
        sa.Column("unknown_seconds", sa.Float),
        sa.Column("first_failure_at", UTCDateTime()),
        sa.Column("recovered_at", UTCDateTime()),
        sa.Column("recovery_seconds", sa.Float),
        sa.Column("rto_minutes", sa.Integer),
        sa.Column("rto_met", sa.Boolean),
        sa.Column("measurement", sa.JSON),
    )


def downgrade() -> None:
    op.drop_table("continuity_tests")
