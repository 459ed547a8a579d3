"""Index of incidents by service and state (a service's open incidents, counted on the pages)

Revision ID: 0013
Revises: 0012
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_incidents_service_status", "incidents", ["service", "status"])


def downgrade() -> None:
    op.drop_index("ix_incidents_service_status", table_name="incidents")
