"""Running sums of a window's last part: the same counts as summing its buckets.

``recent_count`` used to walk the part's buckets on every call (several
calls per negative comment); it now keeps the closed buckets' sums
(:mod:`roomwatch.core.alerts.recent`). These tests hold it to the walk, on
random bucket histories and on whole alert runs (events compared whole).
"""

from __future__ import annotations

import math
import random
from collections import Counter

import pytest

from roomwatch.core.alerts import AlertManager, negative_spike
from roomwatch.core.alerts.state import Room, recent_count

from .helpers import SOUR, T0, calm, run, wave


def walked(room: Room, key: str, seconds: float) -> int:
    """The old ``recent_count``: walk the buckets from the newest."""
    first = room.sec - math.ceil(seconds) + 1
    if first <= room.buckets[0][0]:
        return room.window.get(key, 0)
    total = 0
    for sec, counts in reversed(room.buckets):
        if sec < first:
            break
        total += counts.get(key, 0)
    return total


@pytest.mark.parametrize("seed", range(12))
def test_recent_count_equals_the_walk_on_random_histories(seed: int) -> None:
    rng = random.Random(seed)
    window = 60
    room = Room("r", 0.0, 0.0, 0.0, 0)
    room.buckets.append((0, Counter()))
    keys = ("n", "neg", "nfree", "rneg", "tn:a", "tn:b")
    shared_empty: Counter[str] = Counter()
    asked = 0
    for _ in range(3000):
        step = rng.random()
        if step < 0.6:  # a comment into the newest bucket
            key = rng.choice(keys)
            room.buckets[-1][1][key] += 1
            room.window[key] += 1
        elif step < 0.9:  # time passes: one second, a few, or a long gap
            gap = rng.choice((1, 1, 1, 2, 3, 7, 30, 50, 200))
            if gap > 3 and rng.random() < 0.5:
                # as the fast-forward over quiet seconds: shared empty buckets
                for s in range(room.sec + 1, room.sec + gap):
                    room.buckets.append((s, shared_empty))
            room.sec += gap
            room.buckets.append((room.sec, Counter()))
            horizon = room.sec - window + 1
            while room.buckets[0][0] < horizon:
                room.window.subtract(room.buckets.popleft()[1])
            room.window = +room.window
        else:
            for seconds in (window * 0.75, window * 0.5, 10.0, float(window)):
                for key in keys:
                    assert recent_count(room, key, seconds) == walked(room, key, seconds)
                    asked += 1
    assert asked > 1000


def _spiky_stream(seed: int) -> list:
    out = calm(T0, T0 + 900, rate=4.0, seed=seed, negative_share=0.08)
    rng = random.Random(seed)
    for k in range(4):
        onset = T0 + 200 + k * 170 + rng.randint(0, 40)
        out += wave(
            onset,
            onset + rng.randint(20, 60),
            2.0,
            SOUR,
            label="chatter",
            sentiment=-0.7,
            prefix=f"s{k}-",
        )
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_negative_spike_events_as_with_the_walk(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    stream = _spiky_stream(seed)
    fast = run(AlertManager(), stream, T0 + 900)
    monkeypatch.setattr(negative_spike, "recent_count", walked)
    slow = run(AlertManager(), stream, T0 + 900)
    assert [e.kind for e in fast].count("open") >= 1
    assert fast == slow
