"""The chunk-at-a-time paths against the line-by-line ones (issue #14).

A chunk of plain lines is decoded once, made into comments by one
comprehension (:func:`roomwatch.offline._plain_chunk`) and offered to the
inline pipeline in one call (:meth:`InlinePipeline.offer_many`). Each piece
must give what the general path gives: the same comments, the same batches
and results, and the same output lines, with a chunk holding a bad line (not
UTF-8, too long) going line by line so the error stays in its place. A
flat-out replay offers its records between rejects at once, through the
same ``_keep`` (duplicates, flood control) as one by one.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import io
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from roomwatch import offline
from roomwatch.config import PipelineSettings
from roomwatch.core.analyze import Analyzer
from roomwatch.core.flood import FloodControl
from roomwatch.core.record import MAX_TEXT_CHARS, Comment
from roomwatch.core.result import Skipped
from roomwatch.core.verdict import Verdict
from roomwatch.inline import InlinePipeline
from roomwatch.metrics import Metrics
from roomwatch.sources.replay import ReplaySource

from .conftest import make_settings
from .test_pipeline import Batches, comment

LINES: list[bytes] = [
    "哈哈哈".encode(),
    b"",
    b"   \t",
    "主播好\r".encode(),
    "\u3000全角\u3000".encode(),
    b"666",
    "多少钱".encode(),
    b"\xff\xfe not utf-8",
    "在吗".encode(),
    b"x" * (MAX_TEXT_CHARS + 1),
    "这个怎么卖".encode(),
    b"\r",
    "最后一行".encode(),
    "无换行结尾".encode(),
]


def _args(**kw: Any) -> argparse.Namespace:
    return argparse.Namespace(**({"jsonl": False, "room": "stdin", "batch": 4} | kw))


@pytest.mark.parametrize("room", ["stdin", "直播间 1"])
def test_a_plain_chunk_is_the_comments_line_by_line_makes(room: str) -> None:
    good = [line for line in LINES if line not in (b"\xff\xfe not utf-8", b"x" * 10_001)]
    before = time.time()
    got = offline._plain_chunk(good, room)
    after = time.time()
    assert got is not None
    want = [offline._classify_line(line.removesuffix(b"\r"), _args(room=room)) for line in good]
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert isinstance(w, Comment)
        assert dataclasses.replace(g, ts=0.0) == dataclasses.replace(w, ts=0.0)
        assert g.user is w.user and g.extra == w.extra
    # Each comment keeps its own receive time, in order.
    stamps = [c.ts for c in got]
    assert before <= stamps[0] and stamps == sorted(stamps) and stamps[-1] <= after


@pytest.mark.parametrize("bad", [b"\xff\xfe not utf-8", b"ok\xe5", b"x" * (MAX_TEXT_CHARS + 1)])
def test_a_chunk_with_a_bad_line_goes_line_by_line(bad: bytes) -> None:
    assert offline._plain_chunk(["前".encode(), bad, "后".encode()], "stdin") is None


def _run_classify(
    analyzer: Analyzer, data: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> list[dict[str, Any]]:
    src = tmp_path / "stdin.txt"
    src.write_bytes(data)
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    with src.open("rb") as fh, monkeypatch.context() as m:
        m.setattr(sys, "stdin", fh)
        m.setattr(sys, "stdout", out)
        asyncio.run(offline.classify(make_settings(), analyzer, _args()))
    out.flush()
    raw = out.buffer.getvalue()  # type: ignore[attr-defined]
    return [json.loads(line) for line in raw.decode("utf-8").splitlines()]


def test_classify_gives_the_same_lines_chunk_at_a_time_as_line_by_line(
    analyzer: Analyzer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = b"\n".join(LINES)
    used: list[bool] = []
    plain_chunk = offline._plain_chunk

    def spy(chunk: list[bytes], room: str) -> list[Comment] | None:
        got = plain_chunk(chunk, room)
        used.append(got is not None)
        return got

    monkeypatch.setattr(offline, "_plain_chunk", spy)
    fast = _run_classify(analyzer, data, tmp_path, monkeypatch)
    # Chunks of 4 lines, and the last line (no newline) once the end is read:
    # all at once but the two with a bad line.
    assert used == [True, False, False, True, True]
    monkeypatch.setattr(offline, "_plain_chunk", lambda chunk, room: None)
    slow = _run_classify(analyzer, data, tmp_path, monkeypatch)
    assert len(fast) == len(LINES)
    for f in fast:
        if "ts" in f:
            assert isinstance(f["ts"], float) and math.isfinite(f["ts"])
    strip = [{k: v for k, v in line.items() if k != "ts"} for line in fast]
    assert strip == [{k: v for k, v in line.items() if k != "ts"} for line in slow]
    assert [line.get("skipped") for line in fast if "skipped" in line] == [
        "invalid_utf8",
        "too_large",
    ]
    assert [line["line"] for line in fast if "skipped" in line] == [8, 10]
    assert [line.get("kind", "comment") for line in fast if "skipped" not in line] == [
        "comment",
        "system",
        "system",
        "comment",
        "comment",
        "comment",
        "comment",
        "comment",
        "comment",
        "system",
        "comment",
        "comment",
    ]


def _pipeline(
    analyzer: Analyzer, out: Batches, registry: CollectorRegistry | None = None, **kw: Any
) -> InlinePipeline:
    settings = PipelineSettings(batch_max=3, batch_wait_ms=1000.0, queue_max=100)
    metrics = Metrics(registry or CollectorRegistry())
    return InlinePipeline(analyzer, settings, metrics, outputs=[out], keep_skips=True, **kw)


def _accepted(p: InlinePipeline, registry: CollectorRegistry) -> float:
    """Records the pipeline counted as received from the source."""
    p.flush_counts()
    return sum(
        s.value
        for m in registry.collect()
        if m.name == "roomwatch_component_received_events"
        for s in m.samples
        if s.name.endswith("_total") and s.labels.get("component_kind") == "source"
    )


@pytest.mark.parametrize("dedupe", [False, True])
async def test_offer_many_is_offer_nowait_for_each(analyzer: Analyzer, dedupe: bool) -> None:
    comments = [comment(n) for n in range(8)]
    if dedupe:
        comments.insert(4, comment(2))  # a duplicate id: the general path skips it
    one, many = Batches(), Batches()
    r1, r2 = CollectorRegistry(), CollectorRegistry()
    p1 = _pipeline(analyzer, one, r1, dedupe=dedupe)
    p2 = _pipeline(analyzer, many, r2, dedupe=dedupe)
    for c in comments[:2]:
        p1.offer_nowait(c, "test")
        p2.offer_nowait(c, "test")
    for c in comments[2:]:
        p1.offer_nowait(c, "test")
    p2.offer_many(comments[2:], "test")  # (the open batch first, then whole batches)
    for p in (p1, p2):
        await p.drain()
    sizes = [3] * (len(comments) // 3) + ([len(comments) % 3] if len(comments) % 3 else [])
    assert [len(b) for b in many.batches] == [len(b) for b in one.batches] == sizes
    assert many.results == one.results
    assert any(isinstance(r, Skipped) for r in many.results) == dedupe
    assert _accepted(p2, r2) == _accepted(p1, r1) == len(comments)
    await p1.close()
    await p2.close()


async def test_offer_many_takes_a_nan_ts_the_general_way(analyzer: Analyzer) -> None:
    out = Batches()
    p = _pipeline(analyzer, out)
    p.batch_limit = 10
    odd = dataclasses.replace(comment(1), ts=math.nan)
    p.offer_many([comment(0), odd, comment(2)], "test")
    assert p.queued == 3
    await p.drain()
    assert [r.comment.id for r in out.results if isinstance(r, Verdict)] == ["c0", "c1", "c2"]
    await p.close()
    with pytest.raises(RuntimeError, match="closed"):
        p.offer_many([comment(3)], "test")


class _OneByOne:
    """The pipeline as a sink without ``offer_many``: the replay source's
    record-by-record path."""

    def __init__(self, pipeline: InlinePipeline) -> None:
        self._p = pipeline

    def offer_nowait(self, comment: Comment, source: str) -> str:
        return self._p.offer_nowait(comment, source)

    async def put(self, comment: Comment, source: str) -> bool:
        return await self._p.put(comment, source)

    async def reject(self, error: Any, source: str, where: str = "") -> None:
        await self._p.reject(error, source, where)


def _recording(path: Path) -> Path:
    t0 = 1.764e9
    rows: list[str] = []
    for i in range(1300):
        record: dict[str, Any] = {"room": f"r{i % 3}", "text": f"第{i % 50}条", "ts": t0 + i * 0.05}
        record["id"] = f"m{i}"
        if i % 97 == 5:
            record["id"] = "m1"  # a duplicate id (room r1's m1 comes first)
            record["room"] = "r1"
        if 600 <= i < 640:
            record["user"] = {"id": "flooder"}  # one user, 20 a second: over the rate
        if i % 211 == 7:
            record["kind"] = "gift"
        rows.append(json.dumps(record, ensure_ascii=False))
        if i in (300, 511, 512, 1000):
            rows.append("{not json")
        if i == 700:
            rows.append(json.dumps({"room": "r0", "text": "很久以后", "ts": t0 + 1e7}))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


async def _replay(analyzer: Analyzer, rec: Path, *, at_once: bool) -> list[str]:
    out = Batches()
    p = _pipeline(analyzer, out, flood=FloodControl(2.0, 4))
    p.batch_limit = 37
    sink: Any = p if at_once else _OneByOne(p)
    await ReplaySource([rec], speed=0).run(sink)
    await p.drain()
    await p.close()
    return [r.reason if isinstance(r, Skipped) else r.to_json() for r in out.results]


async def test_a_replay_offers_at_once_what_it_offered_one_by_one(
    analyzer: Analyzer, tmp_path: Path
) -> None:
    rec = _recording(tmp_path / "rec.jsonl")
    fast = await _replay(analyzer, rec, at_once=True)
    slow = await _replay(analyzer, rec, at_once=False)
    assert fast == slow
    reasons = {line for line in fast if not line.startswith("{")}
    assert reasons == {"duplicate", "flood", "not_json", "ts_out_of_range"}


async def test_a_read_error_mid_file_loses_none_of_the_records_before_it(
    analyzer: Analyzer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Flat out, the replay holds up to 512 records for ``offer_many``; a read
    error that ends the file (an EIO from a failing disk, which the reader
    does not turn into a RecordingError) must not take them with it: one by
    one, each had been offered as it was read. The error is injected at the
    file reader, since a disk can't be made to fail here."""
    import roomwatch.sources.replay as replay_module

    real = replay_module.iter_records

    def failing(path: Any, **kw: Any) -> Any:
        for i, rec in enumerate(real(path, **kw)):
            if i == 10:
                raise OSError(5, "Input/output error")
            yield rec

    monkeypatch.setattr(replay_module, "iter_records", failing)
    rec = tmp_path / "r.jsonl"
    rows = [{"room": "a", "text": f"主播好{i}", "ts": 1.7e9 + i} for i in range(20)]
    rec.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    out = Batches()
    p = _pipeline(analyzer, out)
    with pytest.raises(OSError, match="Input/output error"):
        await ReplaySource([rec], speed=0).run(p)
    await p.drain()
    await p.close()
    assert [r.comment.text for r in out.results if isinstance(r, Verdict)] == [
        f"主播好{i}" for i in range(10)
    ]
