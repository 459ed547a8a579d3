"""Request types, with the built-in types a new register starts with

Revision ID: 0021
Revises: 0020
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from sms_metrics.register.base import UTCDateTime
from sms_metrics.register.migrations import record_columns

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

# (name, title, approval, priority, fulfilment minutes, description), as request_types.BUILT_IN was then
BUILT_IN = (
    ("password-reset", "Reset a password", False, "P3", 60, "Reset a user's password or unlock an account."),
    ("information", "Ask for information", False, "P4", None, "A question about a service or how to use it."),
    ("access", "Access to a system", True, "P3", None, "Grant a user access to a system, group or role."),
    ("new-account", "New user account", True, "P4", None, "Create an account for a new joiner."),
    ("software", "Install software", True, "P4", None, "Install licensed software on a user's machine."),
    ("hardware", "New or replacement hardware", True, "P4", None, "A laptop, phone or peripheral."),
)


def upgrade() -> None:
    table = op.create_table(
        "request_types",
        *record_columns(),
        sa.Column("name", sa.String(63), nullable=False, unique=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("approval_required", sa.Boolean, nullable=False),
        sa.Column("default_priority", sa.String(2), nullable=False),
        sa.Column("fulfilment_minutes", sa.Integer),
        sa.Column("fulfilment_group", sa.String(200)),
        sa.Column("owner", sa.String(200)),
    )
    now = datetime.now(UTC)
    rows = [
        {
            "id": i,
            "status": "active",
            "created_at": now,
            "updated_at": now,
            "name": name,
            "title": title,
            "description": description,
            "approval_required": approval,
            "default_priority": priority,
            "fulfilment_minutes": minutes,
        }
        for i, (name, title, approval, priority, minutes, description) in enumerate(BUILT_IN, 1)
    ]
    op.bulk_insert(table, rows)
    history = sa.table(
        "history",
        sa.column("record_kind", sa.String),
        sa.column("record_id", sa.Integer),
        sa.column("actor", sa.String),
        sa.column("at", UTCDateTime()),
        sa.column("field", sa.String),
        sa.column("old", sa.Text),
        sa.column("new", sa.Text),
        sa.column("reason", sa.Text),
    )
    op.bulk_insert(
        history,
        [
            {
                "record_kind": "request_type",
                "record_id": r["id"],
                "actor": "sms-metrics",
                "at": now,
                "field": "status",
                "old": None,
                "new": "active",
                "reason": "built-in request type",
            }
            for r in rows
        ],
    )
    if op.get_bind().dialect.name == "postgresql":  # the seeded ids were given: move the sequence past them
        op.execute("SELECT setval(pg_get_serial_sequence('request_types', 'id'), (SELECT max(id) FROM request_types))")


def downgrade() -> None:
    op.drop_table("request_types")
    op.execute("DELETE FROM history WHERE record_kind = 'request_type'")
