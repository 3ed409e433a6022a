"""``roomwatch demo`` (issue 12.8): passes that never freeze, a raid to see,
and every generated token printed."""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import json
import subprocess
import sys
from pathlib import Path

from prometheus_client import CollectorRegistry

from roomwatch.compose.urls import print_urls
from roomwatch.config import load_settings
from roomwatch.core.analyze import Analyzer
from roomwatch.core.errors import RecordError
from roomwatch.core.record import Comment
from roomwatch.core.result import Result
from roomwatch.metrics import Metrics
from roomwatch.pipeline import Pipeline
from roomwatch.sources.replay import ReplaySource
from roomwatch.stages.clock import Pace

from .conftest import SAMPLES, make_settings, read_recording

MINI = SAMPLES / "mini.jsonl"
DEMO = SAMPLES / "demo.jsonl.gz"


class Passes:
    """Forwards to the pipeline and stops the loop after ``limit`` records."""

    def __init__(self, pipeline: Pipeline, limit: int) -> None:
        self.pipeline = pipeline
        self.limit = limit
        self.comments: list[Comment] = []
        self.accepted = 0
        self.done = asyncio.Event()

    async def put(self, comment: Comment, source: str) -> bool:
        if len(self.comments) >= self.limit:
            self.done.set()
            await asyncio.Event().wait()  # parked until cancelled
        self.comments.append(comment)
        ok = await self.pipeline.put(comment, source)
        self.accepted += ok
        return ok

    async def reject(self, error: RecordError, source: str, where: str = "") -> None:
        await self.pipeline.reject(error, source, where)


async def test_demo_loop_sends_fresh_ids_and_moves_time_forward(analyzer: Analyzer) -> None:
    n = len(read_recording(MINI))
    metrics = Metrics(CollectorRegistry())
    verdicts: list[Result] = []
    pipeline = Pipeline(analyzer, make_settings().pipeline, metrics, outputs=[verdicts.extend])
    pipeline.start()
    pace = Pace()
    sink = Passes(pipeline, 3 * n)
    source = ReplaySource([MINI], speed=0, name="demo", loop=True, pace=pace)
    task = asyncio.create_task(source.run(sink))
    try:
        await asyncio.wait_for(sink.done.wait(), 60)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await pipeline.drain()
        await pipeline.close()
    # Nothing was dropped as a duplicate: every pass is new to the window.
    assert sink.accepted == 3 * n
    assert metrics.registry.get_sample_value(
        "roomwatch_component_discarded_events_total",
        {"component_kind": "transform", "component_id": "pipeline", "reason": "duplicate"},
    ) in (
        None,
        0.0,
    )
    ids = [c.id for c in sink.comments]
    assert len(set(ids)) == len(ids)
    assert ids[n].endswith("~1") and ids[2 * n].endswith("~2")
    passes = [sink.comments[i * n : (i + 1) * n] for i in range(3)]
    for earlier, later in itertools.pairwise(passes):
        assert min(c.ts for c in later) > max(c.ts for c in earlier)
        # Shifted consistently: the same gaps between records in every pass.
        assert [round(b.ts - a.ts, 6) for a, b in zip(earlier, later, strict=True)] == [
            round(later[0].ts - earlier[0].ts, 6)
        ] * n
    assert len(verdicts) == 3 * n
    # Once the replay is stopped, its rooms' time stands still.
    assert {pace.rate(c.room) for c in sink.comments} == {0.0}


def test_demo_recording_shows_a_raid_alert(tmp_path: Path) -> None:
    alerts = tmp_path / "alerts.jsonl"
    result = subprocess.run(
        [sys.executable, "-m", "roomwatch", "replay", str(DEMO), "--alerts", str(alerts)],
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    events = [json.loads(x) for x in alerts.read_text(encoding="utf-8").splitlines()]
    raids = [e for e in events if e["alert"]["detector"] == "abuse_raid"]
    assert raids and raids[0]["type"] == "open"
    assert raids[0]["alert"]["room"] == "beauty-live-1126"
    assert len(raids[-1]["alert"]["evidence"]["accounts"]) >= 8


def test_demo_prints_every_generated_token_with_its_page(tmp_path: Path) -> None:
    settings = load_settings(None, environ={})
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        print_urls("http://127.0.0.1:8686", settings, title="roomwatch demo")
    text = out.getvalue()
    for role in ("host", "helper", "moderator", "comms", "admin"):
        token = settings.tokens_for(role)[0].token
        assert f"#token={token}" in text, (role, text)
    lines = text.splitlines()
    comms = settings.tokens_for("comms")[0].token
    assert any("comms" in line and f"/moderator#token={comms}" in line for line in lines)
    admin = settings.tokens_for("admin")[0].token
    assert any(f"/host#token={admin}" in line for line in lines)
    assert any(f"/moderator#token={admin}" in line for line in lines)
