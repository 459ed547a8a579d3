"""SLA clock state on incidents, and problems proposed from repeated incidents

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from sms_metrics.register.base import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "problems",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("service", sa.String(200), nullable=False, index=True),
        sa.Column("fingerprint", sa.String(64)),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("pending_since", UTCDateTime()))
        batch.add_column(sa.Column("response_warned_at", UTCDateTime()))
        batch.add_column(sa.Column("response_breached_at", UTCDateTime()))
        batch.add_column(sa.Column("resolution_warned_at", UTCDateTime()))
        batch.add_column(sa.Column("resolution_breached_at", UTCDateTime()))
        batch.add_column(sa.Column("problem_id", sa.Integer, sa.ForeignKey("problems.id", name="fk_incident_problem")))


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        for col in (
            "problem_id",
            "resolution_breached_at",
            "resolution_warned_at",
            "response_breached_at",
            "response_warned_at",
            "pending_since",
        ):
            batch.drop_column(col)
    op.drop_table("problems")
