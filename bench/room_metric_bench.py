"""CPU cost of counting verdicts by room (roomwatch_room_comments_total), per batch.

The pipeline output that feeds the metric (``compose/graph.py _CountRooms``)
walks each batch once and increments one counter child per (room, label)
it saw; rooms without a section are summed under ``other`` first. This
times it on synthetic 512-verdict batches with 1 to 10,000 distinct rooms
of which ``--named`` have a section, in CPU time (``time.process_time``),
best of ``--repeat``.

    python bench/room_metric_bench.py
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from prometheus_client import CollectorRegistry  # noqa: E402

from roomwatch.compose.graph import _CountRooms  # noqa: E402
from roomwatch.core.normalize import Normalized  # noqa: E402
from roomwatch.core.record import Comment  # noqa: E402
from roomwatch.core.verdict import Verdict  # noqa: E402
from roomwatch.metrics import Metrics  # noqa: E402

LABELS = ("chatter",) * 7 + ("question", "question", "abuse")


def batch(rooms: int, size: int) -> list[Verdict]:
    out = []
    for i in range(size):
        c = Comment.from_dict(
            {"room": f"room-{i % rooms}", "text": "x", "ts": 1.0 + i, "id": str(i)},
            received_at=1.0,
        )
        label = LABELS[i % len(LABELS)]
        out.append(Verdict(c, Normalized("x", ()), ("x",), label, {label: 1.0}, 0.0, (), "m"))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--named", type=int, default=50, help="rooms with a section")
    ap.add_argument("--size", type=int, default=512, help="verdicts per batch")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--number", type=int, default=400, help="batches per timing")
    args = ap.parse_args()
    metrics = Metrics(CollectorRegistry())
    metrics.name_rooms(f"room-{i}" for i in range(args.named))
    count = _CountRooms(metrics)
    print(f"{'distinct rooms':>15} {'µs CPU / batch':>15} {'ns CPU / verdict':>17}")
    for rooms in (1, 10, 100, 1000, 10000):
        b = batch(rooms, args.size)
        best = float("inf")
        for _ in range(args.repeat):
            t0 = time.process_time()
            for _ in range(args.number):
                count(b)
            best = min(best, (time.process_time() - t0) / args.number)
        print(f"{rooms:>15} {best * 1e6:>15.1f} {best / args.size * 1e9:>17.0f}")


if __name__ == "__main__":
    main()
