"""Service change proposals

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

from sms_metrics.register.base import UTCDateTime
from sms_metrics.register.migrations import record_columns

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_change_proposals",
        *record_columns(),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("service", sa.String(200), nullable=False, index=True),
        sa.Column("change", sa.String(10), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("plan", sa.Text),
        sa.Column("planned_go_live", UTCDateTime()),
        sa.Column("acceptance_tests", sa.JSON, nullable=False),
        sa.Column("owner", sa.String(200)),
    )


def downgrade() -> None:
    op.drop_table("service_change_proposals")
