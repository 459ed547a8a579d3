"""Contracts

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

from sms_metrics.register.migrations import record_columns

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contracts",
        *record_columns(),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("reference", sa.String(100), index=True),
        sa.Column("supplier", sa.String(63), nullable=False, index=True),
        sa.Column("scope", sa.Text),
        sa.Column("availability_target", sa.Float),
        sa.Column("service_hours", sa.String(200), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("probe_aggregate", sa.String(3), nullable=False),
        sa.Column("term_start", sa.Date, nullable=False),
        sa.Column("term_end", sa.Date),
        sa.Column("renewal_date", sa.Date),
        sa.Column("notice_period_days", sa.Integer, nullable=False),
        sa.Column("renewal_warning_days", sa.Integer, nullable=False),
        sa.Column("auto_renew", sa.Boolean, nullable=False),
        sa.Column("annual_value", sa.Float),
        sa.Column("currency", sa.String(3)),
        sa.Column("owner", sa.String(200), index=True),
        sa.Column("document_url", sa.String(2000)),
        sa.Column("notes", sa.Text),
        sa.Column("notice_deadline", sa.Date),
        sa.Column("renewal", sa.String(14), nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("contracts")
