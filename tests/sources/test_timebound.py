"""TimeGuard reads each clock at most once per record (it runs for every record)."""

from __future__ import annotations

import pytest

from roomwatch.config import PipelineSettings
from roomwatch.core.record import Comment
from roomwatch.sources.timebound import _PRUNE_EVERY, TimeGuard
from roomwatch.stages.clock import Pace

T0 = 1_800_000_000.0


class Counting:
    """A fake clock that counts how often it is read."""

    def __init__(self, t: float) -> None:
        self.t = t
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        return self.t


@pytest.mark.parametrize(
    ("ts", "trusted"),
    [
        (T0, False),  # checked
        (T0 + 10 * 86400, False),  # rejected (too far ahead)
        (float("nan"), False),  # stamped
        (T0, True),  # trusted (replay)
    ],
)
def test_admit_reads_each_clock_at_most_once(ts: float, trusted: bool) -> None:
    wall, mono = Counting(T0), Counting(1000.0)
    guard = TimeGuard(PipelineSettings(), pace=Pace(), clock=wall, monotonic=mono)
    guard.admit(Comment(room="a", text="x", ts=T0), "http")  # room a is known
    for n in range(1, _PRUNE_EVERY + 2):  # a known room, a new room, and a prune
        room = "a" if n % 2 else f"room-{n}"
        wall.reads = mono.reads = 0
        guard.admit(Comment(room=room, text="x", ts=ts), "http", trusted=trusted)
        assert wall.reads <= 1 and mono.reads <= 1, (n, wall.reads, mono.reads)
        wall.t += 0.01
        mono.t += 0.01
