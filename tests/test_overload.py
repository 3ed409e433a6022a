"""Overload: a real Service fed faster than its model can go.

The model is slowed on purpose (:class:`SlowClassifier`: the shipped
classifier, sleeping a fixed time per comment it scores), so a burst of
comments is more than the pipeline can classify in time. Degrade mode must
keep the work bounded, in comments: cue-less chatter never reaches the model,
and chatter reaches the stages as per-room counts, while every question,
abuse and grievance still gets the full analysis and its verdict, and what
was shed is counted (and still counts in its room's volume and lag).
"""

from __future__ import annotations

import logging
import random
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import aiohttp
import pytest
from prometheus_client import CollectorRegistry

from roomwatch.assets import asset_dir
from roomwatch.core.analyze import TYPED_KINDS, Analyzer
from roomwatch.core.asks import AskCues
from roomwatch.core.classify import Classifier, Prediction, load_artifacts
from roomwatch.core.lexicon import Lexicon
from roomwatch.core.normalize import Normalized
from roomwatch.core.record import Comment
from roomwatch.core.result import Result
from roomwatch.core.shed import Screen, ShedCount, has_evidence
from roomwatch.core.verdict import Verdict
from roomwatch.service import Service

from .conftest import SAMPLES, TOKENS, ingest, make_settings, read_recording, read_truth
from .support.wait import wait_for

#: Seconds the slowed model spends per comment it scores.
DELAY_S = 0.005
MUST_KEEP = ("question", "abuse", "grievance")


class SlowClassifier(Classifier):
    """The shipped classifier, made slow: the test's stand-in for a CPU that can't keep up."""

    __slots__ = ()
    #: Comments scored so far (all instances).
    scored: ClassVar[list[int]] = [0]

    def predict_batch(
        self,
        normalized: Sequence[Normalized],
        tokens: Sequence[tuple[str, ...]],
        room: str | None = None,
    ) -> list[Prediction]:
        SlowClassifier.scored[0] += len(normalized)
        time.sleep(DELAY_S * len(normalized))
        return super().predict_batch(normalized, tokens, room)


def _slow_analyzer(fast: Analyzer) -> Analyzer:
    lexicons = asset_dir("lexicons")
    classifier = SlowClassifier(
        load_artifacts(asset_dir("models")),
        Lexicon.from_dir(lexicons),
        None,
        AskCues.from_file(lexicons / "asks.tsv"),
    )
    # No memo: every comment costs the model its delay.
    return Analyzer(fast.normalizer, fast.segmenter, classifier, fast.lexicon_hash, memo_size=0)


def _burst(analyzer: Analyzer) -> tuple[list[dict[str, Any]], set[str]]:
    """Questions, abuse and grievances from the demo recording (by its truth),
    among many more comments of chatter, most of it cue-less; fresh ids,
    stamped now."""
    truth = read_truth(SAMPLES / "demo.truth.jsonl.gz")
    rows = [r for r in read_recording(SAMPLES / "demo.jsonl.gz") if r["kind"] in TYPED_KINDS]
    screen = Screen(analyzer.classifier)
    keep = [r for r in rows if truth[r["id"]] in MUST_KEEP][:150]
    chatter = [
        r
        for r in rows
        if truth[r["id"]] == "chatter"
        and not screen.cued(analyzer.normalizer(r["text"]).text, r["room"])
    ]
    assert len(chatter) > 300
    # Chatter with a cue: analysed, then (but a sample) counted only.
    cued = [
        r
        for r in rows
        if truth[r["id"]] == "chatter"
        and screen.cued(analyzer.normalizer(r["text"]).text, r["room"])
    ][:300]
    picked = keep + cued + [chatter[i % len(chatter)] for i in range(2000)]
    random.Random(15).shuffle(picked)
    now = time.time()
    out = []
    must: set[str] = set()
    for i, r in enumerate(picked):
        row = {**r, "id": f"o{i}", "ts": now}
        out.append(row)
        if r in keep:
            must.add(row["id"])
    return out, must


async def test_overload_keeps_the_work_bounded_and_loses_no_question_abuse_or_grievance(
    analyzer: Analyzer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    slow = _slow_analyzer(analyzer)
    rows, must = _burst(analyzer)
    verdicts: dict[str, Verdict] = {}
    counted: Counter[str] = Counter()  # comments shed, per room, as the outputs saw them

    class Keep:
        def __call__(self, results: Sequence[Result]) -> None:
            verdicts.update((r.comment.id or "", r) for r in results if isinstance(r, Verdict))

        def count_shed(self, counts: Sequence[ShedCount]) -> None:
            for c in counts:
                counted[c.room] += c.n

    settings = make_settings(
        store={"path": str(tmp_path / "rw.sqlite3")},
        pipeline={
            "batch_max": 64,
            "overload_enter_wait_s": 0.3,
            "overload_enter_queued": 0,
            "overload_leave_wait_s": 0.05,
            # Stay degraded once in, so /healthz can be read afterwards.
            "overload_hold_s": 3600.0,
            # Plain degrade mode only (deep mode samples weak evidence).
            "overload_deep_after_s": 0.0,
            "overload_sample_every": 10,
            "lag_alert_s": 0.0,
        },
        # Sections name the rooms on /metrics (lag and comment counts).
        rooms={room: {} for room in {r["room"] for r in rows}},
    )
    caplog.set_level(logging.WARNING, logger="roomwatch.pipeline")
    SlowClassifier.scored[0] = 0
    async with Service(
        settings, analyzer=slow, registry=CollectorRegistry(), extra_outputs=[Keep()]
    ) as svc:
        pipeline = svc.graph.pipeline
        await ingest(svc, rows, chunk=500)
        await wait_for(
            lambda: pipeline.processed == len(rows),
            timeout=120,
            what="every comment through the pipeline",
            show=lambda: (pipeline.processed, len(verdicts), pipeline.shed),
        )
        async with aiohttp.ClientSession() as session:
            async with session.get(
                f"{svc.url}/healthz", headers={"Authorization": f"Bearer {TOKENS['admin']}"}
            ) as resp:
                health = await resp.json()
        reg = svc.metrics.registry
        shed_metric = reg.get_sample_value("roomwatch_pipeline_overload_shed_comments_total")
        entered = reg.get_sample_value(
            "roomwatch_pipeline_overload_transitions_total", {"to": "enter"}
        )
        rooms = Counter(r["room"] for r in rows)
        lag_counts = {
            room: reg.get_sample_value("roomwatch_verdict_lag_seconds_count", {"room": room})
            for room in rooms
        }
        room_comments = sum(
            s.value
            for metric in reg.collect()
            if metric.name == "roomwatch_room_comments"
            for s in metric.samples
            if s.name == "roomwatch_room_comments_total"
        )
        assert svc.graph.moderation is not None
        stats_totals = {room: svc.graph.moderation.stats[room].total for room in rooms}
        shed, screened = pipeline.shed, pipeline.screened

    assert entered == 1
    assert any("entering degrade mode" in r.getMessage() for r in caplog.records)
    assert health["status"] == "degraded" and health["degraded"] == "overload"

    # Every comment left either as a verdict or as a count, and what was
    # shed is counted: the metric, the pipeline and the outputs agree.
    assert len(verdicts) + shed == len(rows)
    assert shed_metric == shed == sum(counted.values())
    # The work stayed bounded: the cue-less chatter (2,000 of the burst)
    # never reached the model, and most chatter never reached the stages.
    assert screened >= 1500
    assert SlowClassifier.scored[0] <= len(rows) - screened
    assert len(verdicts) <= len(must) + 300 + 2000 // 10 + 50
    # No question, abuse or grievance is lost: each the (unhurried)
    # analyzer labels so, or finds evidence of, got the full analysis and
    # goes out with the very verdict that analyzer gives it.
    by_id = {r["id"]: r for r in rows}
    reference = {
        i: v
        for i, v in zip(
            sorted(must),
            analyzer.analyze([Comment.from_dict(by_id[i], received_at=0.0) for i in sorted(must)]),
            strict=True,
        )
    }
    wanted = sorted(i for i, v in reference.items() if v.label != "chatter" or has_evidence(v))
    assert len(wanted) >= len(must) - 5  # the model misses a few of the truth's
    assert set(wanted) <= set(verdicts)
    assert [verdicts[i].label for i in wanted] == [reference[i].label for i in wanted]
    assert [verdicts[i].reasons for i in wanted] == [reference[i].reasons for i in wanted]
    # Rooms' counts stay truthful: their volume, rate and lag count every
    # comment, shed ones too.
    assert room_comments == len(rows)
    assert stats_totals == dict(rooms)
    assert lag_counts == {room: float(n) for room, n in rooms.items()}
