"""Customers

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

from sms_metrics.register.migrations import record_columns

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customers",
        *record_columns(),
        sa.Column("name", sa.String(200), nullable=False, index=True),
        sa.Column("code", sa.String(40), index=True),
        sa.Column("type", sa.String(10), nullable=False, index=True),
        sa.Column("organisation_unit", sa.String(200)),
        sa.Column("contact_name", sa.String(200)),
        sa.Column("contact_email", sa.String(320)),
        sa.Column("contact_phone", sa.String(50)),
        sa.Column("account_manager", sa.String(200), index=True),
        sa.Column("agreement", sa.String(200)),
        sa.Column("review_interval_months", sa.Integer),
        sa.Column("notes", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("customers")
