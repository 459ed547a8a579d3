"""Probe shards: every target has one owner, shares are even, resharding moves few targets."""

from __future__ import annotations

import subprocess
import sys
import zlib

import pytest

from sms_metrics.errors import InputError
from sms_metrics.probing.shard import Shard, owner

NAMES = [f"shop-{i}.example.com-home" for i in range(20_000)]


def _owners(n: int) -> list[int]:
    return [owner(name, n) for name in NAMES]


@pytest.mark.parametrize("n", [2, 3, 5])
def test_every_target_has_exactly_one_of_n_shards(n):
    shards = [Shard(i, n) for i in range(n)]
    picked = [s.select(NAMES, name_of=str) for s in shards]
    assert sum(len(p) for p in picked) == len(NAMES)
    assert set().union(*map(set, picked)) == set(NAMES)
    # and the shares are even: each within 5% of 1/n
    assert all(abs(len(p) / len(NAMES) - 1 / n) < 0.05 / n for p in picked)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 9])
def test_resharding_n_to_n_plus_1_moves_about_one_in_n_plus_1(n):
    before, after = _owners(n), _owners(n + 1)
    moved = [a != b for a, b in zip(before, after)]
    share = sum(moved) / len(NAMES)
    assert share == pytest.approx(1 / (n + 1), abs=0.01)
    # only to the new shard: nothing moves between the old ones
    assert all(b == n for m, b in zip(moved, after) if m)


def test_plain_crc32_modulo_would_move_most_targets():
    crc = [zlib.crc32(name.encode()) for name in NAMES]
    moved = sum(c % 3 != c % 4 for c in crc) / len(NAMES)
    assert moved > 0.7  # the reason for rendezvous hashing: it moves 0.25 here


def test_ownership_is_the_same_in_another_process():
    """No salted hash(): a fresh interpreter (another PYTHONHASHSEED) agrees."""
    code = "from sms_metrics.probing.shard import owner; print([owner(f'shop-{i}.example.com-home', 3) for i in range(200)])"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={"PYTHONHASHSEED": "12345"}, check=True
    )
    assert out.stdout.strip() == str(_owners(3)[:200])


@pytest.mark.parametrize("text", ["3/3", "1", "a/b", "-1/2", "0/0", "1/2/3"])
def test_bad_shard_names_what_is_wrong(text):
    with pytest.raises(InputError, match="--shard"):
        Shard.parse(text)


def test_shard_text_round_trips_and_default_is_everything():
    assert Shard.parse("2/5") == Shard(2, 5) and str(Shard(2, 5)) == "2/5"
    assert Shard.parse(None) == Shard(0, 1) and Shard.parse("").owns("anything")
