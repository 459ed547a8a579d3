"""Status updates

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

from sms_metrics.register.migrations import record_columns

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "status_updates",
        *record_columns(),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("phase", sa.String(20), nullable=False, index=True),
        sa.Column("message", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("status_updates")
