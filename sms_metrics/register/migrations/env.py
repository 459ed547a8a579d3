"""Alembic environment: runs against the engine handed over in ``config.attributes``."""

from alembic import context

from sms_metrics.register.base import Base
from sms_metrics.register.capacity import models as capacity_models  # noqa: F401  (registers the tables)
from sms_metrics.register.incidents import models  # noqa: F401

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
