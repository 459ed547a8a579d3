"""Satisfaction surveys

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

from sms_metrics.register.migrations import record_columns

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "satisfaction_surveys",
        *record_columns(),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("service", sa.String(200), nullable=False, index=True),
        sa.Column("period", sa.String(30), nullable=False, index=True),
        sa.Column("period_start", sa.Date, nullable=False, index=True),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), index=True),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("respondents", sa.Integer, nullable=False),
        sa.Column("invited", sa.Integer),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("conducted_by", sa.String(200)),
        sa.Column("comments", sa.Text),
        sa.Column("actions", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("satisfaction_surveys")
