"""The ticker's cost with many idle rooms: triage's queue ticks (issue #14, item 2).

Run from the repository root (seconds)::

    python bench/ticker_bench.py                    # 1, 1,000 and 10,000 idle rooms
    python bench/ticker_bench.py --rooms 100 --calls 3000

Each idle room gets one question, then goes quiet; one busy room gets a
question on every ticker call (0.1 s of a fake monotonic clock apart). The
triage stage is run as shipped and with the loop it replaced (tick every
room's queue on every call), on the same analysed comments. Printed per
row: ``QuestionQueue.tick`` calls, and CPU milliseconds per ticker call
(``tick_wall`` plus the busy room's batch). Synthetic texts only.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from roomwatch.assets import asset_dir
from roomwatch.core.analyze import Analyzer
from roomwatch.core.queue import QuestionQueue, QueueConfig
from roomwatch.core.record import Comment
from roomwatch.stages import triage
from roomwatch.stages.clock import Pace, RoomClocks
from roomwatch.stages.events import Publish

T0 = 1_764_115_200.0


class Monotonic:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


class EveryRoom(triage.TriageStage):
    """The replaced loop: every room's queue ticked on every call."""

    def tick_wall(self) -> list[Publish]:
        out: list[Publish] = []
        at = self._clocks.time()
        for room, q in self._queues.items():
            if room in self._clocks:
                out.extend(triage._host(q.tick(self._clocks.now(room, at=at))))
        self._clocks.prune(triage._FORGET_S)
        for room in [r for r, q in self._queues.items() if r not in self._clocks and not q]:
            del self._queues[room]
        return out


def run(cls: type[triage.TriageStage], first: list[Any], busy: list[Any]) -> tuple[int, float]:
    clock = Monotonic()
    pace = Pace()
    stage = cls(QueueConfig(), clocks=RoomClocks(clock, pace), monotonic=clock, pace=pace)
    stage(first)
    ticks = 0
    real = QuestionQueue.tick

    def counting(self: QuestionQueue, now: float) -> Any:
        nonlocal ticks
        ticks += 1
        return real(self, now)

    QuestionQueue.tick = counting
    try:
        start = time.process_time()
        for result in busy:
            clock.t += 0.1
            stage([result])
            stage.tick_wall()
        cpu = time.process_time() - start
    finally:
        QuestionQueue.tick = real
    return ticks, cpu * 1000 / len(busy)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, nargs="+", default=[1, 1000, 10_000])
    parser.add_argument("--calls", type=int, default=1200, help="ticker calls (0.1 s apart)")
    args = parser.parse_args()
    analyzer = Analyzer.load(asset_dir("models"), asset_dir("lexicons"))
    busy = list(
        analyzer.analyze(
            [
                Comment(room="busy", text=f"{n % 9}号链接多少钱", ts=T0 + n * 0.1, id=f"b{n}")
                for n in range(args.calls)
            ]
        )
    )
    print("| idle rooms | loop | queue ticks | CPU ms per ticker call |")
    print("|---:|---|---:|---:|")
    for rooms in args.rooms:
        first = list(
            analyzer.analyze(
                [
                    Comment(room=f"idle-{n}", text=f"{n % 7}号链接多少钱", ts=T0, id=f"i{n}")
                    for n in range(rooms)
                ]
            )
        )
        for name, cls in (("every room", EveryRoom), ("due only", triage.TriageStage)):
            ticks, ms = run(cls, first, busy)
            print(f"| {rooms:,} | {name} | {ticks:,} | {ms:.3f} |")


if __name__ == "__main__":
    main()
