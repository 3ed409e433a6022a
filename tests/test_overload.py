"""Overload: a real Service fed faster than its model can go.

The model is slowed on purpose (:class:`SlowClassifier`: the shipped
classifier, sleeping a fixed time per comment it scores), so a burst of
comments is more than the pipeline can classify in time. Degrade mode must
keep the lag bounded by shedding cue-less chatter, while every question,
abuse and grievance still gets the full analysis, and what was shed is counted.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

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
from roomwatch.core.shed import SHED_REASON, Screen
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

    def predict_batch(
        self,
        normalized: Sequence[Normalized],
        tokens: Sequence[tuple[str, ...]],
        room: str | None = None,
    ) -> list[Prediction]:
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
    among many more comments of cue-less chatter; fresh ids, stamped now."""
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
    picked = keep + [chatter[i % len(chatter)] for i in range(2000)]
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


async def test_overload_keeps_lag_bounded_and_loses_no_question_abuse_or_grievance(
    analyzer: Analyzer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    slow = _slow_analyzer(analyzer)
    rows, must = _burst(analyzer)
    verdicts: dict[str, Verdict] = {}

    def keep(results: Sequence[Result]) -> None:
        verdicts.update((r.comment.id or "", r) for r in results if isinstance(r, Verdict))

    settings = make_settings(
        store={"path": str(tmp_path / "rw.sqlite3")},
        pipeline={
            "batch_max": 64,
            "overload_enter_wait_s": 0.3,
            "overload_enter_queued": 0,
            "overload_leave_wait_s": 0.05,
            # Stay degraded once in, so /healthz can be read afterwards.
            "overload_hold_s": 3600.0,
            "lag_alert_s": 0.0,
        },
    )
    caplog.set_level(logging.WARNING, logger="roomwatch.pipeline")
    async with Service(
        settings, analyzer=slow, registry=CollectorRegistry(), extra_outputs=[keep]
    ) as svc:
        await ingest(svc, rows, chunk=500)
        await wait_for(
            lambda: len(verdicts) == len(rows),
            timeout=120,
            what="a verdict for every comment",
            show=lambda: len(verdicts),
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
        rooms = {r["room"] for r in rows}
        lag_counts = [
            reg.get_sample_value("roomwatch_verdict_lag_seconds_count", {"room": room})
            for room in rooms
        ]
        shed_count = svc.graph.pipeline.shed

    assert entered == 1
    assert any("entering degrade mode" in r.getMessage() for r in caplog.records)
    assert health["status"] == "degraded" and health["degraded"] == "overload"

    shed = {i for i, v in verdicts.items() if SHED_REASON in v.reasons}
    full = set(verdicts) - shed
    # What was shed is counted, and is exactly what missed the full analysis.
    assert shed and shed_metric == len(shed)
    assert shed_count == len(shed)
    assert all(v.label == "chatter" for i, v in verdicts.items() if i in shed)
    # No question, abuse or grievance is lost: each got the full analysis,
    # the very verdict the (unhurried) analyzer gives it.
    assert must <= full
    by_id = {r["id"]: r for r in rows}
    wanted = sorted(must)
    reference = analyzer.analyze([Comment.from_dict(by_id[i], received_at=0.0) for i in wanted])
    assert [verdicts[i].label for i in wanted] == [v.label for v in reference]
    assert [verdicts[i].reasons for i in wanted] == [v.reasons for v in reference]

    # Lag stays bounded: without shedding, the slowed model alone needs
    # DELAY_S per comment for the whole burst; every verdict left well
    # before half of that.
    lags = [v.lag_s for v in verdicts.values()]
    assert all(lag is not None for lag in lags)
    without = DELAY_S * len(rows)
    assert max(lag for lag in lags if lag is not None) < without / 2, (max(lags), without)
    # ...and the per-room lag histogram saw every verdict, shed ones too.
    assert sum(n or 0 for n in lag_counts) == len(rows)
