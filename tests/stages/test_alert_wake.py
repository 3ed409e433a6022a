"""tick_wall looks only at the rooms that are due (issue #14, item 2).

The ticker calls :meth:`AlertStage.tick_wall` ten times a second. It used to
look at every room on every call; now a heap of per-room wake-ups says which
rooms can have anything to tick. The events must be the same as looking at
every room every time (the reference below is the old loop), and an idle
room must cost a look per planned wake-up, not one per call.
"""

from __future__ import annotations

from typing import Any

from roomwatch.core.analyze import Analyzer
from roomwatch.stages.alert import AlertStage
from roomwatch.stages.clock import Pace, RoomClocks
from roomwatch.stages.events import Publish

from .test_room_time import FakeMonotonic, analyze, scenario

T0 = 1764115200.0


class EveryRoomEveryCall(AlertStage):
    """The old tick_wall: every room, every call."""

    def tick_wall(self) -> list[Publish]:
        out: list[Publish] = []
        for room in tuple(self._tick_at):
            if room not in self._clocks:
                del self._tick_at[room]
            elif self._clocks.idle(room) >= 2.0:
                self._advance(room, self._clocks.now(room), out)
                if not self.manager.has_room(room):
                    del self._tick_at[room]
        self._clocks.prune(6 * 3600.0)
        return out


class CountingClocks(RoomClocks):
    """Real room clocks that count how often a room's idle time is asked for."""

    looks = 0

    def idle(self, room: str, *, at: float | None = None) -> float:
        self.looks += 1
        return super().idle(room, at=at)


def rows_for_rooms() -> list[dict[str, Any]]:
    """The alert scenario's first 10 minutes in a busy room, a copy starting
    later, and twenty rooms with a single comment each."""
    base = scenario(T0 + 600)
    rows = [dict(r) for r in base]
    rows += [dict(r, room="copy", ts=r["ts"] + 200.0, id=f"c{i}") for i, r in enumerate(base)]
    rows += [
        dict(base[0], room=f"quiet-{k}", ts=T0 + 30.0 * k, id=f"q{k}", kind="comment")
        for k in range(20)
    ]
    rows.sort(key=lambda r: r["ts"])
    return rows


def live(stage: AlertStage, mono: FakeMonotonic, analyzer: Analyzer, minutes: float) -> list[Any]:
    """Feed the rows as a live feed would (wall time = record time), ticking every 0.1 s."""
    rows = rows_for_rooms()
    out: list[Any] = []
    i = 0
    start = mono.t
    end = start + minutes * 60.0
    while mono.t < end:
        batch = []
        while i < len(rows) and rows[i]["ts"] - T0 <= mono.t - start:
            batch.append(rows[i])
            i += 1
        if batch:
            out.extend(stage(analyze(analyzer, batch)))
        out.extend(stage.tick_wall())
        mono.t = round(mono.t + 0.1, 6)
    return [(p.channel, p.room, p.message) for p in out]


def test_waking_due_rooms_gives_the_events_of_looking_at_every_room(analyzer: Analyzer) -> None:
    mono_old, mono_new = FakeMonotonic(), FakeMonotonic()
    old = EveryRoomEveryCall(monotonic=mono_old, pace=Pace())
    new = AlertStage(monotonic=mono_new, pace=Pace())
    old_events = live(old, mono_old, analyzer, minutes=16)
    new_events = live(new, mono_new, analyzer, minutes=16)
    assert new_events == old_events
    kinds = {(m["type"], m["alert"]["detector"]) for _, _, m in new_events if "alert" in m}
    # The silence after the scenario raises (and escalates) a feed outage.
    assert any(detector == "volume_drop" for _, detector in kinds)


def test_an_idle_room_costs_a_look_per_wake_up_not_per_call(analyzer: Analyzer) -> None:
    mono = FakeMonotonic()
    clocks = CountingClocks(mono, Pace())
    stage = AlertStage(clocks=clocks)
    rows = [
        {"room": f"idle-{k}", "text": "主播好", "ts": T0 + k, "id": f"i{k}", "kind": "comment"}
        for k in range(100)
    ]
    stage(analyze(analyzer, rows))
    calls = 0
    for _ in range(6000):  # ten minutes of ticker calls
        mono.t = round(mono.t + 0.1, 6)
        stage.tick_wall()
        calls += 1
    # Looking at every room on every call: 100 x 6,000 looks. Now about one
    # look (idle time, then record time: two questions) per room per minute
    # of record time, and the first after 2 s.
    assert clocks.looks <= 100 * 2 * (10 + 2)
    assert calls * 100 > 200 * clocks.looks
