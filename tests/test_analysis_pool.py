"""Analysis in the serving process against two child processes: the same
verdicts, in the same order."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from roomwatch.analysis_pool import AnalysisPool, AnalyzerSpec
from roomwatch.assets import asset_dir
from roomwatch.compose import analyzer_for
from roomwatch.config import PipelineSettings
from roomwatch.core.analyze import Analyzer
from roomwatch.core.lexicon import RoomTerms
from roomwatch.core.record import Comment
from roomwatch.core.result import Result
from roomwatch.core.shed import SHED_REASON, Screen, analyze_degraded
from roomwatch.core.verdict import Verdict
from roomwatch.metrics import Metrics
from roomwatch.pipeline import Pipeline
from roomwatch.service import Service

from .conftest import SAMPLES, ingest, make_settings, read_recording
from .support.wait import wait_for

DEMO = SAMPLES / "demo.jsonl.gz"


@pytest.fixture(scope="module")
def pool() -> Iterator[AnalysisPool]:
    p = AnalysisPool(2, AnalyzerSpec(asset_dir("models"), asset_dir("lexicons")))
    p.start()
    yield p
    p.close()


def demo_comments(n: int) -> list[Comment]:
    rows = read_recording(DEMO)[:n]
    return [Comment.from_dict(r, received_at=0.0) for r in rows]


def replay(tmp_path: Path, workers: int, recording: Path) -> tuple[bytes, bytes]:
    config = tmp_path / f"w{workers}.toml"
    config.write_text(f"[pipeline]\nanalysis_processes = {workers}\n", encoding="utf-8")
    out, alerts = tmp_path / f"out{workers}.jsonl", tmp_path / f"alerts{workers}.jsonl"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "roomwatch",
            "replay",
            "--config",
            str(config),
            "--speed",
            "0",
            str(recording),
            "--out",
            str(out),
            "--alerts",
            str(alerts),
        ],
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    return out.read_bytes(), alerts.read_bytes()


def test_replay_with_child_processes_is_byte_identical(tmp_path: Path) -> None:
    recording = tmp_path / "demo-6000.jsonl"
    rows = read_recording(DEMO)[:6000]
    recording.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    in_process = replay(tmp_path, 0, recording)
    assert in_process[0].count(b"\n") == 6000
    assert replay(tmp_path, 1, recording) == in_process
    assert replay(tmp_path, 2, recording) == in_process


def test_pool_gives_what_the_analyzer_gives(analyzer: Analyzer, pool: AnalysisPool) -> None:
    comments = demo_comments(3000)
    # Platform events and blank text take their own path.
    comments += [
        Comment(room="r", text="进入直播间", ts=1.0, kind="enter"),
        Comment(room="r", text="  ", ts=1.0),
    ]
    expected = analyzer.analyze(comments)
    # Twice: the second answer comes from the parent's memo.
    for _ in range(2):
        got, shed = pool.analyze(comments, analyzer.classifier.room_terms)
        assert shed == 0
        assert [v.to_json() for v in got] == [v.to_json() for v in expected]
        assert [(v.normalized, v.tokens) for v in got] == [
            (v.normalized, v.tokens) for v in expected
        ]
        assert all(g.comment is c for g, c in zip(got, comments, strict=True))


def test_replaced_room_terms_reach_every_process(pool: AnalysisPool) -> None:
    parent = Analyzer.load(asset_dir("models"), asset_dir("lexicons"))
    texts = [f"主播今天好可爱呀{i}号" for i in range(64)] + ["你是个大番茄"] * 4
    comments = [Comment(room="shop", text=t, ts=1.0) for t in texts]
    before, _ = pool.analyze(comments, parent.classifier.room_terms)
    assert before[-1].label != "abuse"
    parent.classifier.set_room_terms({"shop": RoomTerms.of(["番茄"], [], [])})
    expected = parent.analyze(comments)
    assert expected[-1].label == "abuse"
    # Enough distinct texts that both processes get a share, twice over.
    for _ in range(2):
        got, _ = pool.analyze(comments, parent.classifier.room_terms)
        assert [v.to_json() for v in got] == [v.to_json() for v in expected]


def test_degraded_pool_sheds_what_the_thread_sheds(analyzer: Analyzer, pool: AnalysisPool) -> None:
    comments = demo_comments(2000)
    fresh = Analyzer.load(asset_dir("models"), asset_dir("lexicons"))
    fresh.memo_size = 0
    expected, expected_shed = analyze_degraded(fresh, Screen(fresh.classifier, 0.2), comments)
    assert expected_shed > 0
    # A pool whose memo is empty, so every comment is screened.
    p = AnalysisPool(2, AnalyzerSpec(asset_dir("models"), asset_dir("lexicons")), memo_size=0)
    try:
        got, shed = p.analyze(comments, analyzer.classifier.room_terms, degraded=True)
    finally:
        p.close()
    assert shed == expected_shed == sum(SHED_REASON in v.reasons for v in got)
    assert [v.to_json() for v in got] == [v.to_json() for v in expected]


async def live_verdicts(tmp_path: Path, workers: int, rows: list[dict[str, Any]]) -> list[str]:
    settings = make_settings(
        store={"path": str(tmp_path / f"rw{workers}.sqlite3")},
        pipeline={"analysis_processes": workers, "overload_degrade": False},
    )
    # As serve loads it: stamped with the config's hash, like the processes' own.
    analyzer = analyzer_for(settings)
    seen: list[str] = []

    def keep(results: Sequence[Result]) -> None:
        for r in results:
            if isinstance(r, Verdict):
                d = r.to_dict()
                d.pop("lag_s", None)
                # The store paths differ, so the config hashes do.
                assert d.pop("config") == settings.digest()
                seen.append(json.dumps(d, ensure_ascii=False))

    async with Service(
        settings, analyzer=analyzer, registry=CollectorRegistry(), extra_outputs=[keep]
    ) as svc:
        await ingest(svc, rows, chunk=500)
        await wait_for(
            lambda: svc.pipeline.processed >= len(rows),
            120,
            what="every record to be processed",
            show=lambda: svc.pipeline.processed,
        )
    return seen


async def test_live_serve_gives_the_same_verdicts(tmp_path: Path) -> None:
    rows = read_recording(DEMO)[:3000]
    one = await live_verdicts(tmp_path, 0, rows)
    two = await live_verdicts(tmp_path, 2, rows)
    assert len(one) == 3000
    assert one == two


async def test_processes_that_cannot_start_leave_the_analysis_in_process(
    analyzer: Analyzer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = AnalysisPool(1, AnalyzerSpec(tmp_path / "no-models", tmp_path / "no-lexicons"))
    seen: list[Verdict] = []
    pipeline = Pipeline(
        analyzer,
        PipelineSettings(),
        Metrics(CollectorRegistry()),
        outputs=[lambda results: seen.extend(r for r in results if isinstance(r, Verdict))],
        pool=broken,
    )
    pipeline.start()
    comments = demo_comments(50)
    for c in comments:
        await pipeline.offer(c, "test")
    await pipeline.drain()
    await pipeline.close()
    assert "analysis processes did not start" in caplog.text
    assert [v.to_json() for v in seen] == [v.to_json() for v in analyzer.analyze(comments)]
