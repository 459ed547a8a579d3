"""Management reviews

Revision ID: 0027
Revises: 0026
"""

import sqlalchemy as sa
from alembic import op

from sms_metrics.register.base import UTCDateTime
from sms_metrics.register.migrations import record_columns

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "management_reviews",
        *record_columns(),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("period", sa.String(30), nullable=False, index=True),
        sa.Column("period_start", UTCDateTime(), nullable=False),
        sa.Column("period_end", UTCDateTime(), nullable=False),
        sa.Column("meeting_date", sa.Date),
        sa.Column("chair", sa.String(200)),
        sa.Column("attendees", sa.JSON, nullable=False),
        sa.Column("services", sa.JSON, nullable=False),
        sa.Column("inputs", sa.JSON, nullable=False),
        sa.Column("inputs_at", UTCDateTime(), nullable=False),
        sa.Column("minutes", sa.Text),
        sa.Column("decisions", sa.Text),
        sa.Column("actions", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("management_reviews")
