"""Logging to stderr that says what sms-metrics is doing."""

from __future__ import annotations

import logging

from rich.logging import RichHandler


def setup_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(message)s",
        datefmt="%H:%M:%S",
        force=True,
        handlers=[
            RichHandler(
                show_path=False, rich_tracebacks=False, console=__import__("rich.console").console.Console(stderr=True)
            )
        ],
    )
    for noisy in ("urllib3", "matplotlib", "PIL", "alembic", "apscheduler", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # urllib3 warns of every retry; the adapter reports the outcome in one line (debug shows the retries)
    logging.getLogger("urllib3.connectionpool").setLevel(logging.DEBUG if level.upper() == "DEBUG" else logging.ERROR)
