"""Budget items

Revision ID: 0032
Revises: 0031
"""

import sqlalchemy as sa
from alembic import op

from sms_metrics.register.migrations import record_columns

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "budget_items",
        *record_columns(),
        sa.Column("service", sa.String(200), nullable=False, index=True),
        sa.Column("period", sa.String(30), nullable=False, index=True),
        sa.Column("category", sa.String(60), nullable=False, index=True),
        sa.Column("description", sa.Text),
        sa.Column("cost_type", sa.String(5), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("planned_amount", sa.Numeric(16, 2, asdecimal=False), nullable=False),
        sa.Column("actual_amount", sa.Numeric(16, 2, asdecimal=False)),
        sa.Column("owner", sa.String(200)),
        sa.Column("cost_centre", sa.String(60)),
        sa.Column("supplier", sa.String(200)),
    )


def downgrade() -> None:
    op.drop_table("budget_items")
