"""Security incidents (restricted)

Revision ID: 0034
Revises: 0033
"""

import sqlalchemy as sa
from alembic import op

from sms_metrics.register.base import UTCDateTime
from sms_metrics.register.migrations import record_columns

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "security_incidents",
        *record_columns(),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("category", sa.String(30), nullable=False, index=True),
        sa.Column("severity", sa.String(10), nullable=False, index=True),
        sa.Column("detected_at", UTCDateTime()),
        sa.Column("reported_by", sa.String(200)),
        sa.Column("assignee", sa.String(200)),
        sa.Column("personal_data", sa.Boolean, nullable=False),
        sa.Column("authority_notified_at", UTCDateTime()),
        sa.Column("containment", sa.Text),
        sa.Column("root_cause", sa.Text),
        sa.Column("lessons", sa.Text),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id")),
        sa.Column("closed_at", UTCDateTime()),
    )


def downgrade() -> None:
    op.drop_table("security_incidents")
