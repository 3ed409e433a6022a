"""`stages.wake.Wakeups`: a heap of per-room wake-ups that stays the size of its rooms."""

from __future__ import annotations

import random

from roomwatch.stages.wake import Wakeups


class _Plain:
    """The reference: one wake-up per room, found by a scan."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self.order: dict[str, int] = {}

    def set(self, room: str, at: float) -> None:
        self.at[room] = at
        self.order.setdefault(room, len(self.order) + 10**9)

    def due(self, now: float) -> list[str]:
        rooms = sorted((r for r, t in self.at.items() if t <= now), key=self.order.__getitem__)
        for r in rooms:
            del self.at[r]
        return rooms


def test_a_room_planned_on_every_batch_leaves_no_pile_of_stale_entries() -> None:
    wakes = Wakeups()
    plain = _Plain()
    rnd = random.Random(7)
    rooms = [f"r{i}" for i in range(50)]
    now = 0.0
    for step in range(20_000):
        now += 0.01
        room = rnd.choice(rooms)
        # Each batch pushes the room's deadline later (an idle expiry).
        at = now + 600.0 + rnd.random()
        wakes.set(room, at)
        plain.set(room, at)
        if step % 100 == 0:
            assert wakes.due(now) == plain.due(now)
            assert wakes.next() == min(plain.at.values(), default=None)
        # The heap holds at most about twice its rooms, not every plan.
        assert len(wakes._heap) <= 2 * len(rooms) + 65
    assert wakes.due(now + 10_000) == plain.due(now + 10_000)
