"""Security controls

Revision ID: 0033
Revises: 0032
"""

import sqlalchemy as sa
from alembic import op

from sms_metrics.register.base import UTCDateTime
from sms_metrics.register.migrations import record_columns

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "security_controls",
        *record_columns(),
        sa.Column("reference", sa.String(40), nullable=False, index=True),
        sa.Column("framework", sa.String(60), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("owner", sa.String(200), nullable=False, index=True),
        sa.Column("applicable", sa.Boolean, nullable=False),
        sa.Column("justification", sa.Text),
        sa.Column("implementation", sa.Text),
        sa.Column("evidence", sa.Text),
        sa.Column("last_review", sa.Date),
        sa.Column("review_interval_days", sa.Integer, nullable=False),
        sa.Column("next_review", sa.Date, index=True),
        sa.Column("review_overdue_since", UTCDateTime()),
    )


def downgrade() -> None:
    op.drop_table("security_controls")
