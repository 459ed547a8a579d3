"""Known errors

Revision ID: 0023
Revises: 0022
"""

import sqlalchemy as sa
from alembic import op

from sms_metrics.register.migrations import record_columns

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "known_errors",
        *record_columns(),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("service", sa.String(200), nullable=False, index=True),
        sa.Column("problem_id", sa.Integer, sa.ForeignKey("problems.id"), index=True),
        sa.Column("symptoms", sa.Text),
        sa.Column("root_cause", sa.Text, nullable=False),
        sa.Column("workaround", sa.Text),
        sa.Column("fix", sa.Text),
        sa.Column("fix_change_id", sa.Integer, sa.ForeignKey("changes.id")),
        sa.Column("owner", sa.String(200), index=True),
    )


def downgrade() -> None:
    op.drop_table("known_errors")
