"""The triage stage ticks only the rooms whose queue has something due (issue #14, item 2).

Counted, not timed: ``QuestionQueue.tick`` calls are counted while the ticker
runs over many idle rooms and one busy one. A parity test runs the stage and
the old every-room, every-call loop side by side on a random live-like feed
(questions, chatter, host actions, lag, quiet spells, a replay pace of 0,
hours of silence) and requires the same events and the same snapshots.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import pytest

from roomwatch.core.analyze import Analyzer
from roomwatch.core.queue import QuestionQueue, QueueConfig
from roomwatch.core.record import Comment
from roomwatch.core.result import Result
from roomwatch.stages import triage as triage_mod
from roomwatch.stages.clock import Pace, RoomClocks
from roomwatch.stages.events import Publish
from roomwatch.stages.triage import TriageStage

T0 = 1_764_115_200.0
QUESTIONS = ("{n}号链接多少钱", "{n}号发货到新疆吗", "{n}号有优惠券吗", "{n}号多大码", "几点下播")
CHATTER = ("哈哈哈哈", "主播好", "来了来了", "支持一下")


class Monotonic:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@dataclass(frozen=True)
class Everyone:
    token: Any = None

    def wants(self, room: str | None) -> bool:
        return True


class EveryRoom(TriageStage):
    """The loop this replaced: tick every room's queue on every ticker call."""

    def tick_wall(self) -> list[Publish]:
        out: list[Publish] = []
        at = self._clocks.time()
        for room, q in self._queues.items():
            if room in self._clocks:
                out.extend(triage_mod._host(q.tick(self._clocks.now(room, at=at))))
        self._clocks.prune(triage_mod._FORGET_S)
        for room in [r for r, q in self._queues.items() if r not in self._clocks and not q]:
            del self._queues[room]
        return out


@pytest.fixture
def tick_count(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    counts: dict[str, int] = {}
    real = QuestionQueue.tick

    def counting(self: QuestionQueue, now: float) -> Any:
        counts[self.room] = counts.get(self.room, 0) + 1
        return real(self, now)

    monkeypatch.setattr(QuestionQueue, "tick", counting)
    return counts


def _stage(cls: type[TriageStage], clock: Monotonic) -> tuple[TriageStage, Pace]:
    pace = Pace()
    config = QueueConfig(idle_expire_s=30.0, grace_s=5.0, half_life_s=0.5)
    return cls(config, clocks=RoomClocks(clock, pace), monotonic=clock, pace=pace), pace


def test_idle_rooms_cost_no_ticks(analyzer: Analyzer, tick_count: dict[str, int]) -> None:
    clock = Monotonic()
    stage, _ = _stage(TriageStage, clock)
    # 1,000 rooms each get one question, then go quiet; an open item ages
    # out after idle_expire_s (30 s), so each is ticked about once for that.
    first = [
        Comment(room=f"idle-{n}", text=f"{n % 7}号链接多少钱", ts=T0, id=f"i{n}")
        for n in range(1000)
    ]
    stage(list(analyzer.analyze(first)))
    busy = [
        Comment(room="busy", text=f"{n % 9}号链接多少钱", ts=T0 + n * 0.1, id=f"b{n}")
        for n in range(600)
    ]
    results = list(analyzer.analyze(busy))
    tick_count.clear()
    calls = 600
    for n in range(calls):
        clock.t += 0.1
        stage(results[n : n + 1])
        stage.tick_wall()
    idle_ticks = sum(v for k, v in tick_count.items() if k != "busy")
    # The old loop: 1,000 idle rooms x 600 calls = 600,000 ticks.
    assert idle_ticks <= 2 * 1000
    assert tick_count["busy"] <= 3 * calls
    # After their items aged out the idle queues are empty and never ticked.
    tick_count.clear()
    for _ in range(100):
        clock.t += 0.1
        stage.tick_wall()
    assert sum(v for k, v in tick_count.items() if k != "busy") == 0
    assert all(not stage.queue(f"idle-{n}") for n in range(0, 1000, 97))


def _feed(analyzer: Analyzer, seed: int) -> list[tuple[str, Any]]:
    """Steps: ('tick', dt) | ('batch', [(room, result, arrival dt)]) | ('act', (action, pick))."""
    rng = random.Random(seed)
    rooms = [f"room-{n}" for n in range(12)]
    heat = {room: rng.choice((0.0, 0.02, 0.1, 0.4)) for room in rooms}
    steps: list[tuple[str, Any]] = []
    mono = 0.0
    n = 0
    for _ in range(2500):
        roll = rng.random()
        if roll < 0.01:
            gap = rng.choice((8.0, 40.0, 7 * 3600.0))
            steps.append(("tick", gap))
            mono += gap
            continue
        if roll < 0.04:
            steps.append(
                (
                    "act",
                    (
                        rng.choice(("claim", "answer", "dismiss", "pin", "unpin", "unclaim")),
                        rng.random(),
                    ),
                )
            )
        if roll < 0.05:
            steps.append(("pace", (rng.choice(rooms), rng.choice((0.0, 1.0, 1.0, 5.0)))))
        batch = []
        for room in rooms:
            if rng.random() < heat[room]:
                n += 1
                if rng.random() < 0.6:
                    text = rng.choice(QUESTIONS).format(n=rng.randrange(6))
                else:
                    text = rng.choice(CHATTER)
                lag = rng.uniform(-0.8, 0.3)  # stamped behind or ahead of the wall
                batch.append(Comment(room=room, text=text, ts=T0 + mono + lag, id=f"c{n}"))
        if batch:
            steps.append(("batch", list(analyzer.analyze(batch))))
        steps.append(("tick", 0.1))
        mono += 0.1
    return steps


def _run(cls: type[TriageStage], steps: list[tuple[str, Any]]) -> list[Any]:
    clock = Monotonic()
    stage, pace = _stage(cls, clock)
    trace: list[Any] = []
    who = Everyone()
    for i, (kind, arg) in enumerate(steps):
        if kind == "tick":
            clock.t += arg
            trace.append([p.message for p in stage.tick_wall()])
        elif kind == "pace":
            pace.set(*arg)
        elif kind == "batch":
            results: list[Result] = arg
            for r in results:
                pace.arrived(r.comment.room, clock.t)
            trace.append([p.message for p in stage(results)])
        elif kind == "act":
            action, pick = arg
            live = [
                (room, item.id) for room in stage.rooms for item in stage.queue(room).snapshot()
            ]
            if live:
                room, item_id = live[int(pick * len(live))]
                q = stage.queue(room)
                result = getattr(q, action)(item_id, "helper", stage.now(room))
                trace.append(result.to_dict())
        if i % 7 == 0:
            trace.append(list(stage.snapshot(who)))
    trace.append(list(stage.snapshot(who)))
    trace.append(stage.rooms)
    return trace


@pytest.mark.parametrize("seed", [1, 2])
def test_same_events_and_snapshots_as_ticking_every_room(analyzer: Analyzer, seed: int) -> None:
    steps = _feed(analyzer, seed)
    expected = _run(EveryRoom, steps)
    got = _run(TriageStage, steps)
    assert len(got) == len(expected)
    for i, (a, b) in enumerate(zip(got, expected, strict=True)):
        assert a == b, f"step {i} differs"
    # The feed exercised what it should: items came and went.
    events = [
        m for entry in expected if isinstance(entry, list) for m in entry if isinstance(m, dict)
    ]
    kinds = {m.get("type") for m in events}
    assert {"added", "updated", "removed", "reordered", "snapshot"} <= kinds
