"""Changes

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from sms_metrics.register.base import UTCDateTime
from sms_metrics.register.migrations import record_columns

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "changes",
        *record_columns(),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("type", sa.String(20), nullable=False, index=True),
        sa.Column("risk", sa.String(10), nullable=False),
        sa.Column("planned_start", UTCDateTime(), index=True),
        sa.Column("planned_end", UTCDateTime(), index=True),
        sa.Column("maintenance_window", sa.Boolean, nullable=False),
        sa.Column("implementation_plan", sa.Text),
        sa.Column("backout_plan", sa.Text),
        sa.Column("test_plan", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("changes")
