"""Probers as replicas: ``--shard i/n`` makes a prober own a stable share of the targets.

Ownership is rendezvous (highest-random-weight) hashing: target ``t`` belongs to the shard ``j``
with the largest ``blake2b-64(j, t)``. Every replica computes the same answer from the target's
name alone (no coordination), every target has exactly one owner, and going from ``n`` to
``n + 1`` replicas moves only the targets the new shard wins: about ``1/(n + 1)`` of them
(``crc32(name) % n`` would move about ``n/(n + 1)``). The hash is keyed by nothing that changes
between processes (never Python's salted ``hash()``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from sms_metrics.errors import InputError

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
T = TypeVar("T")


def weight(name: str, shard: int) -> int:
    """The stable random weight of ``name`` on ``shard`` (64 bits)."""
    digest = hashlib.blake2b(f"{shard}\x00{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def owner(name: str, count: int) -> int:
    """The shard in ``0..count-1`` that probes ``name``."""
    return max(range(count), key=lambda j: weight(name, j))


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` replicas (0-based)."""

    index: int = 0
    count: int = 1

    @classmethod
    def parse(cls, text: str | None, *, where: str = "--shard") -> Shard:
        """``"i/n"`` with ``0 <= i < n``; None or empty is the whole set (``0/1``)."""
        if text is None or not str(text).strip():
            return cls()
        m = _SHARD.match(str(text))
        if not m:
            raise InputError(f"{where}: {text!r} is not i/n (e.g. 0/3 for the first of three replicas)")
        index, count = int(m[1]), int(m[2])
        if count < 1 or not 0 <= index < count:
            raise InputError(f"{where}: {text!r} needs 0 <= i < n (shards are numbered from 0)")
        return cls(index, count)

    def owns(self, name: str) -> bool:
        return self.count == 1 or owner(name, self.count) == self.index

    def select(self, items: Sequence[T], name_of=lambda t: t.name) -> list[T]:
        """The items (targets) this shard owns, in their order."""
        return [t for t in items if self.owns(name_of(t))]

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"
