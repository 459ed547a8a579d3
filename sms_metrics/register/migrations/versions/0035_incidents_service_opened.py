"""Incidents indexed by service and opening time instead of by service alone

The index on service alone repeated the first column of (service, status). The problem proposal counts a
service's incidents opened within the last week on every delivery that has one without a problem: with
(service, opened_at) that count reads the week, not the service's whole history.

Revision ID: 0035
Revises: 0034
"""

from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_incidents_service", table_name="incidents")
    op.create_index("ix_incidents_service_opened", "incidents", ["service", "opened_at"])


def downgrade() -> None:
    op.drop_index("ix_incidents_service_opened", table_name="incidents")
    op.create_index("ix_incidents_service", "incidents", ["service"])
