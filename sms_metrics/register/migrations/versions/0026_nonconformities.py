"""Nonconformities and corrective actions

Revision ID: 0026
Revises: 0025
"""

import sqlalchemy as sa
from alembic import op

from sms_metrics.register.base import UTCDateTime
from sms_metrics.register.migrations import record_columns

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "nonconformities",
        *record_columns(),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("severity", sa.String(10), nullable=False, index=True),
        sa.Column("source", sa.String(20), nullable=False, index=True),
        sa.Column("audit_id", sa.Integer, sa.ForeignKey("audits.id"), index=True),
        sa.Column("finding", sa.Integer),
        sa.Column("clause", sa.String(40)),
        sa.Column("owner", sa.String(200), index=True),
        sa.Column("correction", sa.Text),
        sa.Column("root_cause", sa.Text),
        sa.Column("corrective_actions", sa.JSON, nullable=False),
        sa.Column("due_date", sa.Date, index=True),
        sa.Column("effectiveness", sa.Text),
        sa.Column("overdue_since", UTCDateTime()),
        sa.Column("closed_at", UTCDateTime()),
    )


def downgrade() -> None:
    op.drop_table("nonconformities")
