"""Audits and their findings

Revision ID: 0025
Revises: 0024
"""

import sqlalchemy as sa
from alembic import op

from sms_metrics.register.migrations import record_columns

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audits",
        *record_columns(),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("type", sa.String(20), nullable=False, index=True),
        sa.Column("scope", sa.Text),
        sa.Column("criteria", sa.Text),
        sa.Column("lead_auditor", sa.String(200), nullable=False, index=True),
        sa.Column("auditors", sa.JSON, nullable=False),
        sa.Column("auditee", sa.String(200)),
        sa.Column("planned_start", sa.Date, index=True),
        sa.Column("planned_end", sa.Date),
        sa.Column("findings", sa.JSON, nullable=False),
        sa.Column("conclusion", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("audits")
