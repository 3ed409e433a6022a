"""End-to-end lag on live verdicts, its per-room histogram and its alert, in a real Service."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import Sequence
from pathlib import Path

import aiohttp
from prometheus_client import CollectorRegistry

from roomwatch.compose.sources import build_source
from roomwatch.config import ReplaySourceSettings
from roomwatch.core.analyze import Analyzer
from roomwatch.core.lag import CONFIRM
from roomwatch.core.record import Comment
from roomwatch.core.result import Result
from roomwatch.core.verdict import Verdict
from roomwatch.service import Service
from roomwatch.stages.alert import AlertStage

from ..conftest import TOKENS, ingest, make_settings
from ..support.wait import wait_for


async def test_live_verdicts_carry_lag_and_a_lagging_room_raises_an_alert(
    analyzer: Analyzer, tmp_path: Path
) -> None:
    verdicts: list[Verdict] = []

    def keep(results: Sequence[Result]) -> None:
        verdicts.extend(r for r in results if isinstance(r, Verdict))

    settings = make_settings(
        store={"path": str(tmp_path / "rw.sqlite3")},
        pipeline={"lag_alert_s": 30.0, "lag_metric_rooms": 1},
        # Only rooms with a section are named on /metrics; "named-too" is past
        # lag_metric_rooms=1 and "other-room" has no section: both are "other".
        rooms={"slow": {}, "named-too": {}},
    )
    async with Service(
        settings, analyzer=analyzer, registry=CollectorRegistry(), extra_outputs=[keep]
    ) as svc:
        reg = svc.metrics.registry
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(f"{svc.url}/ws/alerts?token={TOKENS['comms']}") as ws:
                old = time.time() - 120.0
                # A room whose fetcher runs two minutes behind.
                await ingest(
                    svc,
                    [
                        {"room": "slow", "text": f"主播好{i}", "id": f"s{i}", "ts": old + i}
                        for i in range(CONFIRM)
                    ],
                )
                opened = None
                while opened is None:
                    msg = json.loads((await asyncio.wait_for(ws.receive(), 10)).data)
                    if msg.get("type") == "open" and msg["alert"]["detector"] == "system":
                        opened = msg["alert"]
                assert opened["key"] == "lag:slow"
                assert "slow" in opened["summary"] and "30" in opened["summary"]
                # It catches up: back under half the threshold, the alert resolves.
                now = time.time()
                await ingest(
                    svc,
                    [
                        {"room": "slow", "text": f"来了{i}", "id": f"n{i}", "ts": now}
                        for i in range(CONFIRM)
                    ],
                )
                resolved = None
                while resolved is None:
                    msg = json.loads((await asyncio.wait_for(ws.receive(), 10)).data)
                    if msg.get("type") == "resolve" and msg["alert"]["key"] == "lag:slow":
                        resolved = msg["alert"]
        await ingest(svc, [{"room": "other-room", "text": "你好", "id": "o1"}])
        await ingest(svc, [{"room": "named-too", "text": "你好", "id": "o2"}])
        await wait_for(lambda: len(verdicts) >= 2 * CONFIRM + 2)
    lags = [v.lag_s for v in verdicts]
    assert all(lag is not None for lag in lags)
    assert all(lag >= 110.0 for lag in lags[:CONFIRM])
    assert all(0.0 <= lag < 15.0 for lag in lags[CONFIRM : 2 * CONFIRM])
    assert verdicts[0].to_dict()["lag_s"] == round(lags[0], 3)
    count = reg.get_sample_value("roomwatch_verdict_lag_seconds_count", {"room": "slow"})
    assert count == 2 * CONFIRM
    assert reg.get_sample_value("roomwatch_verdict_lag_seconds_count", {"room": "other"}) == 2
    for unnamed in ("other-room", "named-too"):
        assert (
            reg.get_sample_value("roomwatch_verdict_lag_seconds_count", {"room": unnamed}) is None
        )
    big = reg.get_sample_value(
        "roomwatch_verdict_lag_seconds_bucket", {"room": "slow", "le": "60.0"}
    )
    assert big == CONFIRM  # the caught-up ones; the late ones are above 60 s


async def test_replayed_records_carry_no_lag(analyzer: Analyzer, tmp_path: Path) -> None:
    """A replay's record times are not wall times: no lag, no lag alert."""
    verdicts: list[Verdict] = []

    def keep(results: Sequence[Result]) -> None:
        verdicts.extend(r for r in results if isinstance(r, Verdict))

    recording = tmp_path / "old.jsonl"
    recording.write_text(
        "".join(
            json.dumps({"room": "old", "text": f"主播好{i}", "id": str(i), "ts": 1_000_000.0 + i})
            + "\n"
            for i in range(5)
        ),
        encoding="utf-8",
    )
    settings = make_settings(store={"path": str(tmp_path / "rw.sqlite3")})
    async with Service(
        settings, analyzer=analyzer, registry=CollectorRegistry(), extra_outputs=[keep]
    ) as svc:
        spec = ReplaySourceSettings((str(recording),), speed=0)
        svc.run_source(build_source(spec, svc.settings, svc.graph))
        await wait_for(lambda: len(verdicts) >= 5)
        assert svc.alerts.lag.high_rooms == ()
        assert (
            svc.metrics.registry.get_sample_value(
                "roomwatch_verdict_lag_seconds_count", {"room": "old"}
            )
            is None
        )
    assert [v.lag_s for v in verdicts] == [None] * 5
    assert "lag_s" not in verdicts[0].to_dict()


def test_a_restored_lag_alert_resolves_when_its_room_catches_up(analyzer: Analyzer) -> None:
    """After a restart the open lag alert comes back from the store; recovery still closes it."""
    comments = [
        Comment(room="r", text=f"主播好{i}", ts=1_764_115_200.0 + i, id=str(i)) for i in range(6)
    ]
    verdicts = analyzer.analyze(comments)
    assert verdicts[0].with_lag(1.5) == dataclasses.replace(verdicts[0], lag_s=1.5)
    late = [v.with_lag(100.0) for v in verdicts[:CONFIRM]]
    caught_up = [v.with_lag(0.5) for v in verdicts[CONFIRM:]]

    before = AlertStage(lag_alert_s=10.0)
    opened = [p.message for p in before(late) if p.message["type"] == "open"]
    assert [m["alert"]["key"] for m in opened] == ["lag:r"]
    saved = [a.to_dict() for a in before.manager.open_alerts()]

    after = AlertStage(lag_alert_s=10.0)
    assert after.restore(saved) == 1
    assert after.lag.high_rooms == ("r",)
    resolved = [p.message for p in after(caught_up) if p.message["type"] == "resolve"]
    assert [m["alert"]["key"] for m in resolved] == ["lag:r"]
    assert all(a.key != "lag:r" for a in after.manager.open_alerts())
