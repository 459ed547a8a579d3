"""Service reviews

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

from sms_metrics.register.base import UTCDateTime
from sms_metrics.register.migrations import record_columns

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_reviews",
        *record_columns(),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), index=True),
        sa.Column("period", sa.String(30), nullable=False, index=True),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("meeting_at", UTCDateTime(), index=True),
        sa.Column("location", sa.String(500)),
        sa.Column("owner", sa.String(200), index=True),
        sa.Column("attendees", sa.JSON, nullable=False),
        sa.Column("agenda", sa.Text),
        sa.Column("minutes", sa.Text),
        sa.Column("decisions", sa.Text),
        sa.Column("actions", sa.JSON, nullable=False),
        sa.Column("next_review_on", sa.Date),
        sa.Column("figures", sa.JSON, nullable=False),
        sa.Column("figures_at", UTCDateTime()),
    )


def downgrade() -> None:
    op.drop_table("service_reviews")
