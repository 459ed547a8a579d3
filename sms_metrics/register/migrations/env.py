"""Alembic environment: runs against the engine handed over in ``config.attributes``."""

from alembic import context

from sms_metrics.register import kinds, tokens  # noqa: F401  (registers every table)
from sms_metrics.register.base import Base
from sms_metrics.web import sessions  # noqa: F401  (the page sessions table)

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
