"""The triage stage forgets rooms that went quiet for hours (bounded state)."""

from __future__ import annotations

from roomwatch.core.analyze import Analyzer
from roomwatch.core.queue import QueueConfig
from roomwatch.core.record import Comment
from roomwatch.stages.triage import TriageStage

T0 = 1764115200.0


class Monotonic:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_quiet_rooms_are_forgotten_once_their_queue_is_empty(analyzer: Analyzer) -> None:
    clock = Monotonic()
    stage = TriageStage(QueueConfig(idle_expire_s=600), monotonic=clock)
    comments = [
        Comment(room=f"room-{n}", text="3号链接多少钱", ts=T0 + n, id=f"m{n}") for n in range(50)
    ]
    stage(analyzer.analyze(comments))
    assert len(stage.rooms) == 50
    # One room keeps talking; the others stay silent for seven hours.
    clock.t += 7 * 3600
    stage(analyzer.analyze([Comment(room="room-0", text="你好", ts=T0 + 7 * 3600, id="x")]))
    stage.tick_wall()
    # Live, a silent room's time runs on: its question aged out, the queue is
    # empty, and after hours without a record the room is forgotten.
    assert stage.rooms == ("room-0",)
    # A forgotten room that speaks again starts afresh.
    clock.t += 1
    later = T0 + 7 * 3600 + 1
    stage(analyzer.analyze([Comment(room="room-7", text="3号链接多少钱", ts=later, id="y")]))
    assert set(stage.rooms) == {"room-0", "room-7"}
    assert len(stage.queue("room-7").snapshot()) == 1
