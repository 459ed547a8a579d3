"""incidents, their occurrences and the history table

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from sms_metrics.register.base import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

OPEN_SQL = "status NOT IN ('resolved', 'closed')"


def upgrade() -> None:
    op.create_table(
        "history",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("record_kind", sa.String(40), nullable=False, index=True),
        sa.Column("record_id", sa.Integer, nullable=False, index=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("field", sa.String(80), nullable=False),
        sa.Column("old", sa.Text),
        sa.Column("new", sa.Text),
    )
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("priority", sa.String(2), nullable=False),
        sa.Column("impact", sa.Integer, nullable=False),
        sa.Column("urgency", sa.Integer, nullable=False),
        sa.Column("service", sa.String(200), nullable=False, index=True),
        sa.Column("slo", sa.String(200)),
        sa.Column("fingerprint", sa.String(64), index=True),
        sa.Column("alertname", sa.String(200)),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("runbook_url", sa.Text),
        sa.Column("generator_url", sa.Text),
        sa.Column("labels", sa.JSON, nullable=False),
        sa.Column("needs_triage", sa.Boolean, nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("acknowledged_at", UTCDateTime()),
        sa.Column("resolved_at", UTCDateTime()),
        sa.Column("resolution_reason", sa.Text),
        sa.Column("closed_at", UTCDateTime()),
        sa.Column("assignee", sa.String(200)),
        sa.Column("occurrence_count", sa.Integer, nullable=False),
        sa.Column("response_due_at", UTCDateTime()),
        sa.Column("resolution_due_at", UTCDateTime()),
        sa.Column("linked_incident_id", sa.Integer, sa.ForeignKey("incidents.id")),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index(
        "uq_incidents_open_fingerprint",
        "incidents",
        ["fingerprint"],
        unique=True,
        sqlite_where=sa.text(OPEN_SQL),
        postgresql_where=sa.text(OPEN_SQL),
    )
    op.create_table(
        "incident_occurrences",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id"), nullable=False, index=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime()),
        sa.Column("resolved", sa.Boolean, nullable=False),
        sa.UniqueConstraint("fingerprint", "starts_at", name="uq_occurrence"),
    )


def downgrade() -> None:
    op.drop_table("incident_occurrences")
    op.drop_index("uq_incidents_open_fingerprint", table_name="incidents")
    op.drop_table("incidents")
    op.drop_table("history")
