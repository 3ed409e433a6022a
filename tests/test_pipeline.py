"""The runner on its own: batching, order, backpressure, drain, skips.

The real analyzer classifies; the pipeline's monotonic clock is a fake, so
the end-to-end latency it reports is exactly what the fake says. No timing
assertions: a blocked ``put`` is shown blocked by letting the loop run, not
by waiting a while.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from prometheus_client import CollectorRegistry

from roomwatch.config import PipelineSettings
from roomwatch.core.analyze import Analyzer
from roomwatch.core.errors import RecordError
from roomwatch.core.flood import FloodControl
from roomwatch.core.record import Comment
from roomwatch.core.result import Result, Skipped
from roomwatch.core.verdict import Verdict
from roomwatch.inline import InlinePipeline
from roomwatch.metrics import Metrics
from roomwatch.pipeline import Pipeline
from roomwatch.sources.timebound import TimeGuard, Trusted

T0 = 1_700_000_000.0


def comment(n: int, *, room: str = "room-a", user: str | None = None) -> Comment:
    return Comment.from_dict(
        {
            "room": room,
            "id": f"c{n}",
            "ts": T0 + n,
            "text": f"第{n}条",
            "user": {"id": user or f"u{n}"},
        },
        received_at=T0 + n,
    )


class Batches:
    def __init__(self) -> None:
        self.batches: list[list[Result]] = []

    def __call__(self, results: Sequence[Result]) -> None:
        self.batches.append(list(results))

    @property
    def results(self) -> list[Result]:
        return [r for b in self.batches for r in b]


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def pipeline(
    analyzer: Analyzer, out: Batches, registry: CollectorRegistry | None = None, **kw: object
) -> Pipeline:
    settings = PipelineSettings(
        batch_max=int(kw.pop("batch_max", 3)),  # type: ignore[call-overload]
        batch_wait_ms=1000.0,
        queue_max=int(kw.pop("queue_max", 100)),  # type: ignore[call-overload]
    )
    metrics = Metrics(registry or CollectorRegistry())
    # inline=True: the offline commands' InlinePipeline (tests/test_inline_pipeline.py).
    cls = InlinePipeline if kw.pop("inline", False) else Pipeline
    return cls(analyzer, settings, metrics, outputs=[out], **kw)  # type: ignore[arg-type]


async def test_batches_are_at_most_batch_max_and_keep_input_order(analyzer: Analyzer) -> None:
    out = Batches()
    p = pipeline(analyzer, out, batch_max=3)
    for n in range(7):
        assert await p.put(comment(n), "test")
    await p.drain()  # the stop marker ends the last batch: no waiting for it to fill
    await p.close()
    assert [len(b) for b in out.batches] == [3, 3, 1]
    assert [r.comment.id for r in out.results if isinstance(r, Verdict)] == [
        f"c{n}" for n in range(7)
    ]
    assert p.processed == 7


async def test_end_to_end_latency_comes_from_the_injected_clock(analyzer: Analyzer) -> None:
    mono = FakeMonotonic()
    out = Batches()
    p = pipeline(analyzer, out, monotonic=mono)
    await p.put(comment(1), "test")  # entered at 100.0
    mono.now = 102.5  # left at 102.5
    await p.drain()
    await p.close()
    # Read through the attribute, whatever the metric is named.
    (family,) = p._metrics.end_to_end_seconds.collect()
    samples = {s.name.rsplit("_", 1)[-1]: s.value for s in family.samples}
    assert (samples["sum"], samples["count"]) == (2.5, 1.0)


async def test_a_full_buffer_makes_the_source_wait_and_loses_nothing(analyzer: Analyzer) -> None:
    out = Batches()
    p = pipeline(analyzer, out, queue_max=2)
    await p.put(comment(0), "test")
    await p.put(comment(1), "test")
    blocked = asyncio.create_task(p.put(comment(2), "test"))
    for _ in range(10):
        await asyncio.sleep(0)
    assert not blocked.done(), "a put into a full buffer must wait"
    assert p.queued == 2
    p.start()  # the consumer frees room
    assert await blocked
    await p.drain()
    await p.close()
    assert [r.comment.id for r in out.results if isinstance(r, Verdict)] == ["c0", "c1", "c2"]


async def test_drain_finishes_what_is_queued_then_refuses_input(analyzer: Analyzer) -> None:
    out = Batches()
    p = pipeline(analyzer, out)
    for n in range(5):
        await p.put(comment(n), "test")
    await p.drain()
    assert len(out.results) == 5 and p.queued == 0
    with pytest.raises(RuntimeError, match="closed"):
        await p.put(comment(9), "test")
    await p.close()
    await p.close()  # idempotent


@pytest.mark.parametrize("inline", [False, True])
async def test_skips_stand_where_the_record_was(analyzer: Analyzer, inline: bool) -> None:
    out = Batches()
    flood = FloodControl(0.001, 1)
    p = pipeline(analyzer, out, keep_skips=True, flood=flood, inline=inline)
    assert await p.offer(comment(0), "test") == "accepted"
    assert await p.offer(comment(0), "test") == "duplicate"
    await p.reject(RecordError("not_json", "not JSON"), "test", "line 3")
    assert await p.offer(comment(4, user="u0"), "test") == "flood"
    await p.drain()
    await p.close()
    kinds = [r.reason if isinstance(r, Skipped) else r.label for r in out.results]
    assert kinds[1:] == ["duplicate", "not_json", "flood"]
    assert isinstance(out.results[0], Verdict)


async def test_without_dedupe_every_record_gets_a_verdict(analyzer: Analyzer) -> None:
    out = Batches()
    p = pipeline(analyzer, out, dedupe=False)
    for _ in range(3):
        assert await p.offer(comment(0), "test") == "accepted"
    await p.drain()
    await p.close()
    assert len([r for r in out.results if isinstance(r, Verdict)]) == 3


@pytest.mark.parametrize("inline", [False, True])
async def test_a_failing_output_loses_its_batch_not_the_pipeline(
    analyzer: Analyzer, inline: bool
) -> None:
    out = Batches()
    calls = 0

    def flaky(results: Sequence[Result]) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ValueError("boom")

    p = pipeline(analyzer, out, batch_max=1, inline=inline)
    p._outputs.insert(0, flaky)
    await p.put(comment(0), "test")
    await p.put(comment(1), "test")
    await p.drain()
    await p.close()
    assert [r.comment.id for r in out.results if isinstance(r, Verdict)] == ["c1"]
    (family,) = p._metrics.pipeline.discarded("stage_error").collect()
    assert family.samples[0].value == 1


async def test_trust_belongs_to_the_replay_s_sink_not_to_a_source_name(
    analyzer: Analyzer,
) -> None:
    # A replay named "http" used to make every /ingest record (source "http")
    # skip the ts check. Now only what goes through its Trusted sink does.
    out = Batches()
    p = pipeline(analyzer, out, keep_skips=True)
    wall = 1_800_000_000.0
    guard = TimeGuard(PipelineSettings(), clock=lambda: wall)
    p.guard = guard.admit
    far = Comment.from_dict(
        {"room": "room-a", "id": "far", "ts": wall + 86400, "text": "来自未来"}, received_at=wall
    )
    replay = Trusted(p)
    assert await replay.put(far, "http")  # the replay bounds its own files
    late = Comment.from_dict(
        {"room": "room-b", "id": "late", "ts": wall + 86400, "text": "来自未来"}, received_at=wall
    )
    assert await p.offer(late, "http") == "rejected"  # a live source of the same name
    await p.drain()
    await p.close()
    kinds = [r.reason if isinstance(r, Skipped) else r.comment.id for r in out.results]
    assert kinds == ["far", "ts_out_of_range"]


async def test_offer_nowait_is_offer_while_there_is_room_and_nothing_when_full(
    analyzer: Analyzer,
) -> None:
    """The same outcomes, skips and order as :meth:`Pipeline.offer`; a full
    buffer takes nothing (not counted, not de-duplicated) until the caller waits."""

    def records() -> list[Comment]:
        flood_user = [comment(10 + n, user="same") for n in range(3)]
        return [comment(0), comment(0), comment(1), *flood_user, comment(2)]

    async def run(nowait: bool) -> tuple[list[str | None], list[str], int]:
        out = Batches()
        p = pipeline(analyzer, out, keep_skips=True, flood=FloodControl(0.001, 1), queue_max=100)
        outcomes: list[str | None] = []
        for c in records():
            outcomes.append(p.offer_nowait(c, "test") if nowait else await p.offer(c, "test"))
        await p.drain()
        await p.close()
        kinds = [
            f"{r.reason}" if isinstance(r, Skipped) else f"{r.comment.id}" for r in out.results
        ]
        return outcomes, kinds, p.processed

    assert await run(True) == await run(False)
    outcomes, kinds, _ = await run(True)
    assert outcomes == [
        "accepted",
        "duplicate",
        "accepted",
        "accepted",
        "flood",
        "flood",
        "accepted",
    ]
    assert kinds == ["c0", "duplicate", "c1", "c10", "flood", "flood", "c2"]

    out = Batches()
    p = pipeline(analyzer, out, queue_max=2)
    assert p.offer_nowait(comment(0), "test") == "accepted"
    assert p.offer_nowait(comment(1), "test") == "accepted"
    assert p.offer_nowait(comment(2), "test") is None  # full: nothing done
    assert p.queued == 2
    p.start()
    assert await p.put(comment(2), "test")  # not taken for a duplicate of itself
    await p.drain()
    await p.close()
    assert [r.comment.id for r in out.results if isinstance(r, Verdict)] == ["c0", "c1", "c2"]
    with pytest.raises(RuntimeError, match="closed"):
        p.offer_nowait(comment(9), "test")
