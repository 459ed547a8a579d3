"""Configuration items (the CMDB)

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from sms_metrics.register.migrations import record_columns

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "configuration_items",
        *record_columns(),
        sa.Column("name", sa.String(200), nullable=False, index=True),
        sa.Column("type", sa.String(60), nullable=False, index=True),
        sa.Column("service", sa.String(200), index=True),
        sa.Column("description", sa.Text),
        sa.Column("attributes", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("configuration_items")
