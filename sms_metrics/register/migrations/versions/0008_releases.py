"""Releases

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from sms_metrics.register.base import UTCDateTime
from sms_metrics.register.migrations import record_columns

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "releases",
        *record_columns(),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("service", sa.String(200), nullable=False, index=True),
        sa.Column("version", sa.String(200), nullable=False),
        sa.Column("planned_at", UTCDateTime()),
        sa.Column("plan", sa.Text),
        sa.Column("test_evidence", sa.JSON, nullable=False),
        sa.Column("deployed_at", UTCDateTime()),
        sa.Column("watch_until", UTCDateTime(), index=True),
        sa.Column("failure", sa.Text),
        sa.Column("rollback_change_id", sa.Integer, sa.ForeignKey("changes.id")),
    )


def downgrade() -> None:
    op.drop_table("releases")
