"""When each SLA clock warns, stored so the clock job reads only the incidents that need it

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from sms_metrics.register.base import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("response_warn_at", UTCDateTime()))
        batch.add_column(sa.Column("resolution_warn_at", UTCDateTime()))
    op.create_index("ix_incidents_response_warn_at", "incidents", ["response_warn_at"])
    op.create_index("ix_incidents_resolution_warn_at", "incidents", ["resolution_warn_at"])


def downgrade() -> None:
    op.drop_index("ix_incidents_resolution_warn_at", table_name="incidents")
    op.drop_index("ix_incidents_response_warn_at", table_name="incidents")
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("resolution_warn_at")
        batch.drop_column("response_warn_at")
