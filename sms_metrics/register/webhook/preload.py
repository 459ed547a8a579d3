"""What the writer's fork server loads before it forks any writer process: the register's code, with
its mappers configured once. A writer forked from it starts its work at once instead of importing and
configuring for most of a second (at every start, and again after every crash)."""

from sqlalchemy.orm import configure_mappers

import sms_metrics.notify.outbox  # build attaches the notification outbox
import sms_metrics.register.webhook.writer  # noqa: F401

configure_mappers()
