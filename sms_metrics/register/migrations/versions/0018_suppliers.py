"""Suppliers

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

from sms_metrics.register.migrations import record_columns

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "suppliers",
        *record_columns(),
        sa.Column("name", sa.String(63), nullable=False, unique=True),
        sa.Column("display_name", sa.String(200)),
        sa.Column("supplier_type", sa.String(10), nullable=False, index=True),
        sa.Column("supplies", sa.Text),
        sa.Column("contacts", sa.JSON, nullable=False),
        sa.Column("owner", sa.String(200), index=True),
        sa.Column("risk", sa.String(10), nullable=False, index=True),
        sa.Column("website", sa.String(2000)),
        sa.Column("notes", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("suppliers")
