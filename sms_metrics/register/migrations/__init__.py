"""Alembic migrations of the register; ``upgrade(engine)`` brings a database to the newest schema."""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from sms_metrics.errors import RegisterTooNew

HERE = Path(__file__).parent


def alembic_config(engine: Engine | None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.attributes["engine"] = engine
    return cfg


def known_revisions(engine: Engine | None = None) -> list[str]:
    """Every revision this version of sms-metrics knows, oldest first."""
    return list(_revisions())


@functools.cache
def _revisions() -> tuple[str, ...]:
    # reading the scripts executes every one of them (most of a second): once per process
    script = ScriptDirectory.from_config(alembic_config(None))
    return tuple(r.revision for r in reversed(list(script.walk_revisions())))


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as con:
        return MigrationContext.configure(con).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the register to ``revision`` (the newest by default). A register written by a newer
    sms-metrics is refused: its schema has parts this version does not know."""
    current = current_revision(engine)
    known = known_revisions(engine)
    if current is not None and current not in known:
        raise RegisterTooNew(
            f"the register database is at schema revision {current}, newer than this sms-metrics knows "
            f"(newest {known[-1]}): run the sms-metrics version that wrote it, or restore a backup made for this one"
        )
    if current == known[-1] and revision in ("head", current):
        return  # already the newest schema: nothing to run (Alembic would read every script again to find that)
    command.upgrade(alembic_config(engine), revision)


def record_columns() -> list:
    """The columns every record kind's table starts with (``register.base.RecordColumns``)."""
    import sqlalchemy as sa

    from sms_metrics.register.base import UTCDateTime

    return [
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    ]
