"""Memory held by the per-room moderation buffers, and publish_stats' cost, over many rooms.

Feeds ``--rooms`` rooms ``--per-room`` abuse verdicts each straight into the
moderation output and the flag stage (the buffers issue #12's 1,000-room soak
found growing with the room count), then reports the Python memory they hold
(tracemalloc) and the CPU time of one ``publish_stats`` tick once every room
is quiet. Run it on a checkout before the global caps to compare::

    python bench/caps_bench.py --rooms 1000 --per-room 100
"""

from __future__ import annotations

import argparse
import inspect
import time
import tracemalloc

from prometheus_client import CollectorRegistry

from roomwatch.authz import Authz, Gate, RefusalLog
from roomwatch.config import ModerationConfig, Token
from roomwatch.core.normalize import Normalized
from roomwatch.core.record import Comment
from roomwatch.core.verdict import Verdict
from roomwatch.moderation.runtime import Moderation
from roomwatch.stages.clock import RoomClocks
from roomwatch.stages.flag import FlagStage

T0 = 1_700_000_000.0


class _Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def _abuse(room: str, n: int) -> Verdict:
    text = f"你就是个傻逼{n} " + "啊" * 40
    comment = Comment.from_dict(
        {"room": room, "text": text, "ts": T0 + n, "id": f"{room}-{n}", "user": {"id": f"u{n}"}},
        received_at=T0 + n,
    )
    return Verdict(
        comment=comment,
        normalized=Normalized(text, ()),
        tokens=tuple(text),
        label="abuse",
        scores={"abuse": 0.9, "chatter": 0.1},
        sentiment=-0.5,
        reasons=(),
        model="bench",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=1000)
    parser.add_argument("--per-room", type=int, default=100)
    args = parser.parse_args()
    batches = [[_abuse(f"room-{r}", n) for n in range(args.per_room)] for r in range(args.rooms)]
    clock = _Clock()
    capped = "max_review_items" in inspect.signature(Moderation).parameters
    caps = {"max_review_items": 20_000, "max_stats_rooms": 2_000} if capped else {}
    flag_caps = {"total": 20_000} if capped else {}
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    mod = Moderation(
        ModerationConfig(),
        gate=Gate(Authz([Token("bench-secret", "helper", "bench")]), RefusalLog()),
        registry=CollectorRegistry(),
        clocks=RoomClocks(clock),
        **caps,
    )
    flag = FlagStage(backlog=200, **flag_caps)
    for batch in batches:
        mod(batch)
        flag(batch)
    held = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    clock.now += 62.0  # past the rate and mood windows: every room is quiet
    mod.publish_stats()
    mod.publish_stats()
    ticks = 100
    start = time.process_time()
    for _ in range(ticks):
        mod.publish_stats()
    tick_ms = (time.process_time() - start) / ticks * 1e3
    print(
        f"global caps: {'yes' if capped else 'no'}; {args.rooms} rooms x {args.per_room} "
        f"abuse verdicts: review items {len(mod.queue)}, stats rooms {len(mod.stats)}, "
        f"held {held / 1e6:.1f} MB (tracemalloc); publish_stats with every room quiet "
        f"{tick_ms:.3f} ms CPU per tick"
    )


if __name__ == "__main__":
    main()
