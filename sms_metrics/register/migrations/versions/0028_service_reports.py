"""Service reports

Revision ID: 0028
Revises: 0027
"""

import sqlalchemy as sa
from alembic import op

from sms_metrics.register.base import UTCDateTime
from sms_metrics.register.migrations import record_columns

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_reports",
        *record_columns(),
        sa.Column("service", sa.String(200), nullable=False, index=True),
        sa.Column("period", sa.String(30), nullable=False, index=True),
        sa.Column("period_start", UTCDateTime(), nullable=False),
        sa.Column("period_end", UTCDateTime(), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("measured_at", UTCDateTime(), nullable=False),
        sa.Column("figures", sa.JSON, nullable=False),
        sa.Column("availability_percent", sa.Float),
        sa.Column("target_percent", sa.Float),
        sa.Column("met", sa.Boolean),
        sa.Column("downtime_seconds", sa.Float),
        sa.Column("data_coverage_percent", sa.Float),
        sa.Column("rendered_json", sa.Text, nullable=False),
        sa.Column("rendered_md", sa.Text, nullable=False),
        sa.Column("rendered_html", sa.Text, nullable=False),
        sa.UniqueConstraint("service", "period", name="uq_service_reports_service_period"),
    )


def downgrade() -> None:
    op.drop_table("service_reports")
