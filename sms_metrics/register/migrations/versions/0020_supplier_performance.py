"""Supplier performance

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

from sms_metrics.register.base import UTCDateTime
from sms_metrics.register.migrations import record_columns

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "supplier_performance",
        *record_columns(),
        sa.Column("supplier", sa.String(63), nullable=False, index=True),
        sa.Column("period", sa.String(7), nullable=False, index=True),
        sa.Column("period_start", UTCDateTime(), nullable=False),
        sa.Column("period_end", UTCDateTime(), nullable=False),
        sa.Column("contract_id", sa.Integer, sa.ForeignKey("contracts.id")),
        sa.Column("target_percent", sa.Float),
        sa.Column("availability_percent", sa.Float),
        sa.Column("result", sa.String(10), nullable=False, index=True),
        sa.Column("up_seconds", sa.Float),
        sa.Column("downtime_seconds", sa.Float),
        sa.Column("unknown_seconds", sa.Float),
        sa.Column("excluded_seconds", sa.Float),
        sa.Column("data_coverage_percent", sa.Float),
        sa.Column("outage_count", sa.Integer, nullable=False),
        sa.Column("outages", sa.JSON, nullable=False),
        sa.Column("warnings", sa.JSON, nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("measured_at", UTCDateTime()),
        sa.Column("owner", sa.String(200), index=True),
        sa.Column("notes", sa.Text),
        sa.Column("review_notes", sa.Text),
        sa.UniqueConstraint("supplier", "period", name="uq_supplier_performance_month"),
    )


def downgrade() -> None:
    op.drop_table("supplier_performance")
