"""Documents and policies

Revision ID: 0024
Revises: 0023
"""

import sqlalchemy as sa
from alembic import op

from sms_metrics.register.base import UTCDateTime
from sms_metrics.register.migrations import record_columns

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "documents",
        *record_columns(),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("type", sa.String(20), nullable=False, index=True),
        sa.Column("version", sa.String(40), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False, index=True),
        sa.Column("description", sa.Text),
        sa.Column("url", sa.Text),
        sa.Column("content", sa.Text),
        sa.Column("clause", sa.String(40)),
        sa.Column("review_interval_days", sa.Integer, nullable=False),
        sa.Column("review_due", sa.Date, index=True),
        sa.Column("supersedes_id", sa.Integer, sa.ForeignKey("documents.id"), index=True),
        sa.Column("superseded_by_id", sa.Integer, sa.ForeignKey("documents.id")),
        sa.Column("approved_by", sa.String(200)),
        sa.Column("approved_at", UTCDateTime()),
        sa.Column("published_at", UTCDateTime()),
        sa.Column("last_reviewed", sa.Date),
        sa.Column("last_reviewed_by", sa.String(200)),
        sa.Column("review_overdue_since", UTCDateTime()),
    )


def downgrade() -> None:
    op.drop_table("documents")
