"""The record framework: history reasons, links, tokens; incidents, problems and capacity plans on it

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from sms_metrics.register.base import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

CURRENT = sa.text("status NOT IN ('superseded')")
FIGURES = ("inputs_hash", "model", "forecast_status", "limit_value", "direction", "lead_time_seconds", "summary")
TYPES = {
    "inputs_hash": sa.String(64),
    "model": sa.String(40),
    "forecast_status": sa.String(20),
    "limit_value": sa.Float(),
    "direction": sa.String(4),
    "lead_time_seconds": sa.Float(),
    "summary": sa.JSON(),
}


def upgrade() -> None:
    with op.batch_alter_table("history") as batch:
        batch.add_column(sa.Column("reason", sa.Text))
    op.drop_index("ix_history_record_kind", table_name="history")
    op.drop_index("ix_history_record_id", table_name="history")
    op.create_index("ix_history_record", "history", ["record_kind", "record_id", "id"])

    op.create_table(
        "links",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("record_id", sa.Integer, nullable=False),
        sa.Column("field", sa.String(60), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.UniqueConstraint("kind", "record_id", "field", "target", name="uq_links"),
    )
    op.create_index("ix_links_target", "links", ["kind", "field", "target"])

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("restricted", sa.Boolean, nullable=False),
        sa.Column("secret_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("revoked_at", UTCDateTime()),
    )
    op.create_index("ix_api_tokens_name", "api_tokens", ["name"])

    op.add_column("incidents", sa.Column("created_at", UTCDateTime()))
    op.execute("UPDATE incidents SET created_at = opened_at")
    with op.batch_alter_table("incidents") as batch:
        batch.alter_column("created_at", existing_type=UTCDateTime(), nullable=False)

    with op.batch_alter_table("problems") as batch:
        batch.alter_column("reason", new_column_name="description", existing_type=sa.Text(), existing_nullable=False)
    op.add_column("problems", sa.Column("root_cause", sa.Text))
    op.add_column("problems", sa.Column("workaround", sa.Text))
    op.execute("UPDATE problems SET status = 'investigating' WHERE status = 'accepted'")

    for name, kind in (
        ("owner", sa.String(200)),
        ("action", sa.Text()),
        ("due_date", sa.Date()),
        ("ticket_url", sa.Text()),
        ("notes", sa.Text()),
    ):
        op.add_column("capacity_plans", sa.Column(name, kind))
    # manual plans have no forecast figures; the partial index is rebuilt around the table's rewrite
    op.drop_index("uq_capacity_plans_current", table_name="capacity_plans")
    with op.batch_alter_table("capacity_plans") as batch:
        for name in FIGURES:
            batch.alter_column(name, existing_type=TYPES[name], nullable=True)
    op.create_index(
        "uq_capacity_plans_current",
        "capacity_plans",
        ["service", "resource"],
        unique=True,
        sqlite_where=CURRENT,
        postgresql_where=CURRENT,
    )


def downgrade() -> None:
    raise NotImplementedError("the register does not go back below 0005; restore a backup instead")
