"""The replay source: pacing by record time, reject counting, formats."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from roomwatch.core.errors import RecordError
from roomwatch.core.record import Comment
from roomwatch.sources.replay import ReplaySource


class Collector:
    def __init__(self) -> None:
        self.comments: list[Comment] = []
        self.rejects: list[tuple[RecordError, str]] = []

    async def put(self, comment: Comment, source: str) -> bool:
        self.comments.append(comment)
        return True

    async def reject(self, error: RecordError, source: str, where: str = "") -> None:
        self.rejects.append((error, where))


class FakeTime:
    """Monotonic clock that only moves when the source sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def write(path: Path, rows: list[object]) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]
    data = ("\n".join(lines) + "\n").encode()
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    return path


async def test_speed_keeps_and_scales_the_original_timing(tmp_path: Path) -> None:
    rec = write(
        tmp_path / "a.jsonl.gz",
        [
            {"room": "r", "text": "a", "ts": 1000.0},
            {"room": "r", "text": "b", "ts": 1010.0},
            {"room": "r", "text": "c", "ts": 1030.0},
        ],
    )
    for speed, expected in ((1.0, 30.0), (10.0, 3.0)):
        t = FakeTime()
        sink = Collector()
        await ReplaySource([rec], speed=speed, sleep=t.sleep, monotonic=t.monotonic).run(sink)
        assert [c.text for c in sink.comments] == ["a", "b", "c"]
        assert abs(sum(t.sleeps) - expected) < 1e-6


async def test_speed_zero_never_sleeps_and_missing_ts_takes_previous(tmp_path: Path) -> None:
    rec = write(
        tmp_path / "a.jsonl",
        [
            {"room": "r", "text": "a", "ts": 1000.0},
            {"room": "r", "text": "b"},
            "{bad",
            {"room": "r"},
            {"room": "r", "text": "c", "ts": 5000.0},
        ],
    )
    t = FakeTime()
    sink = Collector()
    stats = await ReplaySource([rec], speed=0, sleep=t.sleep, monotonic=t.monotonic).run(sink)
    assert t.sleeps == []
    assert [(c.text, c.ts) for c in sink.comments] == [("a", 1000.0), ("b", 1000.0), ("c", 5000.0)]
    assert stats.records == 3 and stats.rejected == 2
    assert [e.reason for e, _ in sink.rejects] == ["not_json", "missing_field"]
    assert sink.rejects[0][1].endswith("a.jsonl:3")


async def test_partial_last_line_is_skipped_with_a_warning(tmp_path: Path) -> None:
    rec = tmp_path / "crash.jsonl"
    rec.write_bytes(b'{"room": "r", "text": "a"}\n{"room": "r", "te')
    sink = Collector()
    stats = await ReplaySource([rec]).run(sink)
    assert [c.text for c in sink.comments] == ["a"]
    assert stats.warnings and "partial" in stats.warnings[0]
