"""Figures the pages share for a while: computed once per key, kept ``ttl`` seconds, then served stale
while one background thread refreshes them (so no page waits on Prometheus twice). ``ttl`` 0: no cache."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass
class _Entry:
    at: float
    value: Any = None
    error: Exception | None = None
    refreshing: bool = False


class Cache:
    def __init__(self, ttl: float):
        self.ttl = ttl
        self._entries: dict[Any, _Entry] = {}
        self._lock = threading.Lock()
        self._keys: dict[Any, threading.Lock] = {}
        self._starting: set = set()

    def get(self, key, compute: Callable[[], Any]) -> Any:
        """The value of ``key`` (raising what computing it raised, for the ``ttl`` too)."""
        if self.ttl <= 0:
            return compute()
        with self._lock:
            entry = self._entries.get(key)
            stale = entry is not None and time.monotonic() - entry.at > self.ttl
            if stale and not entry.refreshing:
                entry.refreshing = True
                threading.Thread(target=self._fill, args=(key, compute), daemon=True).start()
        if entry is None:
            with self._key_lock(key):  # one computation per key; the others wait for it
                if key not in self._entries:
                    self._fill(key, compute)
                entry = self._entries[key]
        if entry.error is not None:
            raise entry.error
        return entry.value

    def ready(self, key, compute: Callable[[], Any]) -> tuple[bool, Any]:
        """``(True, value)`` when ``key`` has a value (stale ones are refreshed as in ``get``); else
        ``(False, None)`` and ``compute`` starts in a background thread, once."""
        if self.ttl <= 0:
            return True, compute()
        with self._lock:
            known = key in self._entries
            if not known and key not in self._starting:
                self._starting.add(key)
                threading.Thread(target=self._first, args=(key, compute), daemon=True).start()
        return (True, self.get(key, compute)) if known else (False, None)

    def _first(self, key, compute: Callable[[], Any]) -> None:
        try:
            with self._key_lock(key):
                if key not in self._entries:
                    self._fill(key, compute)
        finally:
            with self._lock:
                self._starting.discard(key)

    def _key_lock(self, key) -> threading.Lock:
        with self._lock:
            return self._keys.setdefault(key, threading.Lock())

    def _fill(self, key, compute: Callable[[], Any]) -> None:
        try:
            entry = _Entry(time.monotonic(), value=compute())
        except Exception as exc:  # kept and raised to readers until the next refresh
            log.warning("pages: %s could not be computed: %s", key, exc)
            entry = _Entry(time.monotonic(), error=exc)
        with self._lock:
            self._entries[key] = entry
