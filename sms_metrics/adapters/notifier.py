"""Outgoing notifications: the port and its real implementation, a JSON POST to a webhook with
retries on connection errors and 5xx (a 4xx is the receiver's refusal: not retried)."""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod

import httpx

log = logging.getLogger(__name__)


class Notifier(ABC):
    @abstractmethod
    def send(self, event: dict) -> bool:
        """Deliver one event; True when the receiver took it."""


class NullNotifier(Notifier):
    def send(self, event: dict) -> bool:
        return True


class WebhookNotifier(Notifier):
    def __init__(self, url: str, *, attempts: int = 3, backoff_seconds: float = 0.2, timeout: float = 5.0):
        self.url, self.attempts, self.backoff, self.timeout = url, attempts, backoff_seconds, timeout

    def send(self, event: dict) -> bool:
        error: Exception | None = None
        for attempt in range(self.attempts):
            try:
                httpx.post(self.url, json=event, timeout=self.timeout).raise_for_status()
                return True
            except httpx.HTTPStatusError as exc:
                error = exc
                if exc.response.status_code < 500:
                    break  # the receiver refuses it: retrying will not help
            except httpx.HTTPError as exc:
                error = exc
            if attempt + 1 < self.attempts:
                time.sleep(self.backoff * 2**attempt)
        log.error("notification to %s failed after %d attempt(s): %s", self.url, attempt + 1, error)
        return False
