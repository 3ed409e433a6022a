"""``RoomClocks.prune`` costs the rooms it forgets, not every room (issue #14, item 2)."""

from __future__ import annotations

import random
from typing import Any

from roomwatch.stages.clock import Pace, RoomClocks


class Monotonic:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


class CountingDict(dict[str, Any]):
    """Counts whole-dict scans (the old prune walked ``items()`` on every call)."""

    scans = 0

    def items(self) -> Any:
        CountingDict.scans += 1
        return super().items()


def test_prune_forgets_exactly_the_expired_rooms_without_scanning_them_all() -> None:
    clock = Monotonic()
    clocks = RoomClocks(clock)
    rng = random.Random(3)
    last: dict[str, float] = {}
    for step in range(20_000):
        clock.t = step * 0.5
        room = f"room-{rng.randrange(2000)}"
        clocks.advance(room, 1e9 + step)
        last[room] = clock.t
    clocks._clocks = CountingDict(clocks._clocks)
    CountingDict.scans = 0
    forgotten: list[str] = []
    clocks.watch(forgotten.append)
    pruned = 0
    for step in range(1000):
        clock.t = 10_000 + step
        pruned += clocks.prune(3600.0)
    expected = {room for room, at in last.items() if at < clock.t - 3600.0}
    assert pruned == len(expected) == len(forgotten)
    assert set(forgotten) == expected
    assert {room for room in last if room not in clocks} == expected
    assert CountingDict.scans == 0


def test_a_room_seen_again_is_not_pruned_on_its_old_arrival() -> None:
    clock = Monotonic()
    clocks = RoomClocks(clock, Pace())
    clocks.advance("a", 100.0)
    clock.t = 50.0
    clocks.advance("a", 101.0)  # a stale heap entry at 0.0 stays behind
    clocks.advance("b", 5.0)
    clock.t = 70.0
    assert clocks.prune(30.0) == 0
    assert "a" in clocks and "b" in clocks
    clock.t = 81.0
    assert clocks.prune(30.0) == 2
    assert len(clocks) == 0


def test_the_heap_stays_as_small_as_the_rooms() -> None:
    clock = Monotonic()
    clocks = RoomClocks(clock)
    for step in range(10_000):
        clock.t = float(step)
        clocks.advance(f"room-{step % 10}", float(step))
    assert len(clocks._by_at) <= 2 * len(clocks) + 64 + 1
