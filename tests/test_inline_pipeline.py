"""The offline commands' inline pipeline: the consumer task's results, without it."""

from __future__ import annotations

import json
import select
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from roomwatch.compose import build_pipeline
from roomwatch.config import PipelineSettings
from roomwatch.core.analyze import Analyzer
from roomwatch.core.record import Comment
from roomwatch.core.result import Result, Skipped
from roomwatch.core.verdict import Verdict
from roomwatch.inline import FLAT_OUT_BATCH, InlinePipeline
from roomwatch.metrics import Metrics
from roomwatch.pipeline import Pipeline
from roomwatch.sources.replay import ReplaySource

from .conftest import SAMPLES, make_settings
from .test_pipeline import Batches, comment


def inline(analyzer: Analyzer, out: Batches, *, batch_max: int = 3, **kw: Any) -> InlinePipeline:
    settings = PipelineSettings(batch_max=batch_max, batch_wait_ms=1000.0, queue_max=100)
    return InlinePipeline(analyzer, settings, Metrics(CollectorRegistry()), outputs=[out], **kw)


async def test_a_full_batch_goes_out_with_the_offer_that_fills_it(analyzer: Analyzer) -> None:
    out = Batches()
    p = inline(analyzer, out, batch_max=3)
    for n in range(7):
        assert p.offer_nowait(comment(n), "test") == "accepted"
    # No task, no await: the two full batches are already out.
    assert [len(b) for b in out.batches] == [3, 3]
    assert p.queued == 1
    p.cut()
    assert [len(b) for b in out.batches] == [3, 3, 1]
    p.cut()  # nothing open: nothing sent
    assert len(out.batches) == 3
    await p.drain()
    await p.close()
    assert [r.comment.id for r in out.results if isinstance(r, Verdict)] == [
        f"c{n}" for n in range(7)
    ]
    assert p.processed == 7


async def test_drain_sends_the_open_batch_then_refuses_input(analyzer: Analyzer) -> None:
    out = Batches()
    p = inline(analyzer, out, batch_max=10)
    for n in range(4):
        assert await p.put(comment(n), "test")
    assert out.results == []
    await p.drain()
    assert len(out.results) == 4 and p.queued == 0
    with pytest.raises(RuntimeError, match="closed"):
        await p.put(comment(9), "test")
    with pytest.raises(RuntimeError, match="closed"):
        p.offer_nowait(comment(9), "test")
    await p.close()
    await p.close()  # idempotent


async def test_close_drops_the_open_batch(analyzer: Analyzer) -> None:
    out = Batches()
    p = inline(analyzer, out, batch_max=10)
    await p.put(comment(0), "test")
    await p.close()
    assert out.results == [] and p.queued == 0


def test_analysis_processes_keep_the_pooled_consumer(analyzer: Analyzer) -> None:
    settings = make_settings(pipeline={"analysis_processes": 1})
    pipeline = build_pipeline(settings, analyzer, inline=True).pipeline
    assert type(pipeline) is Pipeline and pipeline.pool is not None
    plain = build_pipeline(make_settings(), analyzer, inline=True).pipeline
    assert isinstance(plain, InlinePipeline)
    try:
        with pytest.raises(ValueError, match="processes"):
            InlinePipeline(
                analyzer, settings.pipeline, Metrics(CollectorRegistry()), pool=pipeline.pool
            )
    finally:
        pipeline.pool.close()


async def _replay(
    analyzer: Analyzer, *, inline: bool, batch: int | None = None
) -> tuple[list[bytes], list[str]]:
    lines: list[bytes] = []
    alerts: list[str] = []

    def write(results: Sequence[Result]) -> None:
        for r in results:
            lines.append(r.reason.encode() if isinstance(r, Skipped) else r.to_json().encode())

    settings = make_settings(pipeline={"batch_max": 512})
    pipeline = build_pipeline(
        settings,
        analyzer,
        outputs=[write],
        keep_skips=True,
        stages=("alerts",),
        alert_listeners=[lambda e: alerts.append(repr(e.to_dict()))],
        inline=inline,
    ).pipeline
    assert isinstance(pipeline, InlinePipeline) is inline
    if batch is not None:
        assert isinstance(pipeline, InlinePipeline)
        pipeline.batch_limit = batch
        assert pipeline.batch_limit == batch
    pipeline.start()
    try:
        await ReplaySource([SAMPLES / "scenario-alerts.jsonl.gz"], speed=0).run(pipeline)
        await pipeline.drain()
    finally:
        await pipeline.close()
    return lines, alerts


async def test_a_replay_inline_is_the_replay_with_the_consumer_task(analyzer: Analyzer) -> None:
    inline_lines, inline_alerts = await _replay(analyzer, inline=True)
    task_lines, task_alerts = await _replay(analyzer, inline=False)
    assert len(inline_lines) > 5_000
    assert any("'type': 'open'" in a for a in inline_alerts)
    assert inline_lines == task_lines
    assert inline_alerts == task_alerts


async def test_a_replay_inline_is_the_same_whatever_its_batch(analyzer: Analyzer) -> None:
    """``replay --speed 0`` analyses batches of ``FLAT_OUT_BATCH``: the verdicts
    and alerts are those of small batches and of the consumer task's."""
    task = await _replay(analyzer, inline=False)
    large = await _replay(analyzer, inline=True, batch=FLAT_OUT_BATCH)
    small = await _replay(analyzer, inline=True, batch=37)
    assert len(large[0]) > 2 * FLAT_OUT_BATCH  # (several large batches)
    assert large == task
    assert small == task


def test_classify_answers_each_line_as_it_is_typed() -> None:
    """A person typing into ``roomwatch classify`` gets each answer before the next line."""
    with subprocess.Popen(
        [sys.executable, "-m", "roomwatch", "classify"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        try:
            for text in ("3号链接多少钱", "你是傻逼吧"):
                proc.stdin.write(text.encode() + b"\n")
                proc.stdin.flush()
                ready, _, _ = select.select([proc.stdout], [], [], 120)
                assert ready, f"no answer to {text!r} while stdin stays open"
                answer = json.loads(proc.stdout.readline())
                assert answer["text"] == text
            proc.stdin.close()
            assert proc.wait(60) == 0
        finally:
            if proc.poll() is None:
                proc.kill()


class Breaks:
    """The shipped analyser, except that a batch holding "BOOM" raises (a fault
    no real input is known to cause: it stands for any analysis bug)."""

    def __init__(self, analyzer: Analyzer) -> None:
        self._analyzer = analyzer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._analyzer, name)

    def analyze(self, comments: Any, **kw: Any) -> Any:
        if any(c.text == "BOOM" for c in comments):
            raise RuntimeError("analysis bug")
        return self._analyzer.analyze(comments, **kw)


def _boom(n: int) -> Comment:
    return Comment("room-a", "BOOM", 1.0, id=f"b{n}")


@pytest.mark.parametrize("kind", ["inline", "task"])
async def test_a_failed_analysis_leaves_a_mark_per_record_and_goes_on(
    analyzer: Analyzer, kind: str
) -> None:
    out = Batches()
    settings = PipelineSettings(batch_max=2, batch_wait_ms=1000.0, queue_max=100)
    metrics = Metrics(CollectorRegistry())
    cls = InlinePipeline if kind == "inline" else Pipeline
    p = cls(Breaks(analyzer), settings, metrics, outputs=[out], keep_skips=True)  # type: ignore[arg-type]
    p.start()
    for item in (comment(0), _boom(1), comment(2), comment(3)):
        assert await p.offer(item, "test") == "accepted"
    await p.drain()
    await p.close()
    # One result per record, in order: the failed batch as stage_error marks.
    got = [
        (r.reason, r.comment.id) if isinstance(r, Skipped) else r.comment.id for r in out.results
    ]
    assert got == [("stage_error", "c0"), ("stage_error", "b1"), "c2", "c3"]
    (family,) = metrics.pipeline.discarded("stage_error").collect()
    assert family.samples[0].value == 2


def test_live_input_never_runs_inline(analyzer: Analyzer) -> None:
    with pytest.raises(ValueError, match="consumer task"):
        build_pipeline(make_settings(), analyzer, guard=True, inline=True)


@pytest.mark.parametrize("refuse", [False, True])
async def test_offer_nowait_s_shortcut_is_offer(analyzer: Analyzer, refuse: bool) -> None:
    """``InlinePipeline.offer_nowait`` skips the admission step when it is the
    record itself: the same outcomes, results, taps and counts as the consumer
    task's ``offer`` whether or not it applies (an unstamped ts, a refused room,
    duplicates, flood)."""
    import dataclasses
    import math

    from prometheus_client import generate_latest

    from roomwatch.core.flood import FloodControl

    from .test_pipeline import pipeline

    def records() -> list[Comment]:
        flood_user = [comment(10 + n, user="same") for n in range(3)]
        unstamped = dataclasses.replace(comment(20), ts=math.nan)
        gone = comment(30, room="room-gone")
        return [comment(0), comment(0), comment(1), *flood_user, unstamped, gone, comment(2)]

    async def run(inline: bool) -> tuple[list[str | None], list[str], list[str], bytes]:
        out = Batches()
        registry = CollectorRegistry()
        p = pipeline(
            analyzer,
            out,
            registry,
            keep_skips=True,
            flood=FloodControl(0.001, 1),
            queue_max=100,
            inline=inline,
        )
        if refuse:
            p.refused_rooms = frozenset({"room-gone"})
        tapped: list[str] = []
        p.add_tap(lambda c: tapped.append(str(c.id)))
        outcomes: list[str | None] = []
        for c in records():
            outcomes.append(p.offer_nowait(c, "test") if inline else await p.offer(c, "test"))
        await p.drain()
        await p.close()
        kinds = [
            r.reason if isinstance(r, Skipped) else f"{r.comment.id} {math.isfinite(r.comment.ts)}"
            for r in out.results
        ]
        counts = b"\n".join(
            line
            for line in generate_latest(registry).splitlines()
            if b"_total" in line and not line.startswith(b"#")
        )
        return outcomes, kinds, tapped, counts

    inline = await run(True)
    assert inline == await run(False)
    outcomes, kinds, tapped, counts = inline
    assert outcomes[:3] == ["accepted", "duplicate", "accepted"]
    assert outcomes[-3:] == ["accepted", "rejected" if refuse else "accepted", "accepted"]
    assert kinds[-3:] == ["c20 True", "room_removed" if refuse else "c30 True", "c2 True"]
    assert "c20" in tapped and ("c30" in tapped) is not refuse
    assert b"received" in counts


@pytest.mark.parametrize("inline", [False, True])
async def test_verdicts_are_counted_by_label_and_timed_per_record(
    analyzer: Analyzer, inline: bool
) -> None:
    """A batch without skips is counted at once (``Pipeline._finish``): the same
    label counts and one end-to-end observation per verdict as with skips."""
    from collections import Counter

    from .test_pipeline import pipeline

    out = Batches()
    registry = CollectorRegistry()
    p = pipeline(analyzer, out, registry, batch_max=4, keep_skips=True, inline=inline)
    texts = ["你好", "几号链接多少钱", "主播好美", "傻逼", "哈哈哈", "什么时候发货", "666"]
    for n, text in enumerate(texts * 3):
        c = Comment("room-a", text, 1_800_000_000.0 + n, id=f"m{n}")
        assert await p.offer(c, "test") == "accepted"
        if n == 9:
            await p.offer(c, "test")  # a duplicate: one batch with a skip
    await p.drain()
    await p.close()
    verdicts = [r for r in out.results if isinstance(r, Verdict)]
    assert len(verdicts) == 21 and any(isinstance(r, Skipped) for r in out.results)
    want = Counter(v.label for v in verdicts)
    assert len(want) > 1
    for label, n in want.items():
        got = registry.get_sample_value("roomwatch_classify_comments_total", {"label": label})
        assert got == n, label
    assert registry.get_sample_value("roomwatch_pipeline_latency_seconds_count") == 21
