"""Capacity plans

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from sms_metrics.register.base import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

CURRENT = sa.text("status <> 'superseded'")


def upgrade() -> None:
    op.create_table(
        "capacity_plans",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("service", sa.String(200), nullable=False),
        sa.Column("resource", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("inputs_hash", sa.String(64), nullable=False),
        sa.Column("model", sa.String(40), nullable=False),
        sa.Column("backtest_mase", sa.Float),
        sa.Column("backtest_smape", sa.Float),
        sa.Column("forecast_status", sa.String(20), nullable=False),
        sa.Column("exhaustion_at", UTCDateTime()),
        sa.Column("exhaustion_earliest_95", UTCDateTime()),
        sa.Column("limit_value", sa.Float, nullable=False),
        sa.Column("direction", sa.String(4), nullable=False),
        sa.Column("lead_time_seconds", sa.Float, nullable=False),
        sa.Column("horizon_end", UTCDateTime()),
        sa.Column("horizon_value", sa.Float),
        sa.Column("horizon_lower_80", sa.Float),
        sa.Column("horizon_upper_80", sa.Float),
        sa.Column("horizon_lower_95", sa.Float),
        sa.Column("horizon_upper_95", sa.Float),
        sa.Column("summary", sa.JSON, nullable=False),
        sa.Column("supersedes_id", sa.Integer, sa.ForeignKey("capacity_plans.id")),
        sa.Column("superseded_by_id", sa.Integer, sa.ForeignKey("capacity_plans.id")),
        sa.Column("approved_by", sa.String(200)),
        sa.Column("approved_at", UTCDateTime()),
    )
    op.create_index("ix_capacity_plans_service", "capacity_plans", ["service"])
    op.create_index("ix_capacity_plans_status", "capacity_plans", ["status"])
    op.create_index(
        "uq_capacity_plans_current",
        "capacity_plans",
        ["service", "resource"],
        unique=True,
        sqlite_where=CURRENT,
        postgresql_where=CURRENT,
    )


def downgrade() -> None:
    op.drop_table("capacity_plans")
