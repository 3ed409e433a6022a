"""Time per room, the ts bound, and the pace of replays (issues 12.1 and 17.4).

No record and no room may move another room's time; a far-off ``ts`` is
rejected at the source boundary and counted; the end of a replay is not an
outage, while a live feed that goes silent still is.
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp
from prometheus_client import CollectorRegistry

from roomwatch.compose.sources import build_source
from roomwatch.config import ReplaySourceSettings
from roomwatch.core.analyze import Analyzer
from roomwatch.core.record import Comment
from roomwatch.core.result import Result
from roomwatch.metrics import Metrics
from roomwatch.pipeline import Pipeline
from roomwatch.service import Service
from roomwatch.sources.replay import ReplaySource
from roomwatch.sources.timebound import MAX_TS, ReplayBound, TimeGuard, check_ts
from roomwatch.stages.alert import AlertStage
from roomwatch.stages.clock import Pace, RoomClocks

from ..conftest import SAMPLES, TOKENS, make_settings, read_recording
from ..support.wait import wait_for

SCENARIO = SAMPLES / "scenario-alerts.jsonl.gz"
ROOM = "county-apples-1126"
QUESTIONS = ("3号链接多少钱", "什么时候发货", "有没有优惠券", "包邮吗", "尺码怎么选", "保质期多久")


class FakeMonotonic:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


async def post(svc: Service, rows: list[dict[str, Any]]) -> dict[str, Any]:
    body = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows)
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{svc.url}/ingest",
            data=body.encode(),
            headers={"Authorization": f"Bearer {TOKENS['ingest']}"},
        ) as resp,
    ):
        result: dict[str, Any] = await resp.json()
        return result


async def settle(svc: Service, n: int) -> None:
    await wait_for(
        lambda: svc.pipeline.processed >= n,
        30,
        what=f"{n} records to be processed",
        show=lambda: svc.pipeline.processed,
    )
    # A few ticks, as the service's 0.1 s ticker makes them, but now rather
    # than after a sleep that may or may not have let the ticker run.
    for _ in range(3):
        svc.triage.tick_wall()
        svc.alerts.tick_wall()


# --------------------------------------------------------------- over a real service


async def test_one_far_future_record_moves_no_other_room(
    analyzer: Analyzer, tmp_path: Path
) -> None:
    settings = make_settings(
        store={"path": str(tmp_path / "rw.sqlite3")},
        queue={"idle_expire_s": 60.0},
    )
    async with Service(settings, analyzer=analyzer, registry=CollectorRegistry()) as svc:
        now = time.time()
        room_a = [
            {
                "room": "room-a",
                "text": q,
                "ts": now + i * 0.1,
                "id": f"a{i}",
                "user": {"id": f"u{i}"},
            }
            for i, q in enumerate(QUESTIONS)
        ]
        assert (await post(svc, room_a))["accepted"] == len(QUESTIONS)
        # Inside the bound, 200 s ahead: only room-b's own clock may move.
        ahead = {"room": "room-b", "text": "主播好", "ts": now + 200.0, "id": "b1"}
        assert (await post(svc, [ahead]))["accepted"] == 1
        # Far out: 1e30, microseconds from a bridge, a year ahead.
        far = [
            {"room": "room-b", "text": "主播好", "ts": 1e30, "id": "b2"},
            {"room": "room-b", "text": "主播好", "ts": now * 1e6, "id": "b3"},
            {"room": "room-b", "text": "主播好", "ts": now + 365 * 86400, "id": "b4"},
        ]
        result = await post(svc, far)
        assert result["accepted"] == 0 and result["rejected"] == 3
        # 1e30 and microseconds are no time at all (the parser's bad_value);
        # a year ahead is a time, out of the bound (ts_out_of_range).
        assert [e["reason"] for e in result["errors"]] == [
            "bad_value",
            "bad_value",
            "ts_out_of_range",
        ]
        await settle(svc, len(QUESTIONS) + 1)

        def rejects(reason: str) -> float | None:
            return svc.metrics.registry.get_sample_value(
                "roomwatch_component_discarded_events_total",
                {"component_kind": "source", "component_id": "http", "reason": reason},
            )

        assert rejects("bad_value") == 2
        assert rejects("ts_out_of_range") == 1
        # Room A's questions are still queued and its rate is still there.
        queued = svc.triage.queue("room-a").snapshot()
        assert len(queued) >= 3, queued
        assert svc.triage.now("room-a") < now + 60
        assert svc.triage.now("room-b") >= now + 200
        stats = svc.moderation.stats["room-a"].summary(svc.moderation.now("room-a"))
        assert stats["rate"] > 0
        # A record without ts is stamped with its room's time, not another's.
        assert (await post(svc, [{"room": "room-a", "text": "主播好", "id": "a-no-ts"}]))[
            "accepted"
        ] == 1
        await settle(svc, len(QUESTIONS) + 2)
        assert svc.alerts.now("room-a") < now + 60


async def test_records_without_ts_follow_the_replayed_room_not_the_wall_clock(
    analyzer: Analyzer, tmp_path: Path
) -> None:
    """Posting into a room the demo replays must not move it a year ahead."""
    settings = make_settings(store={"path": str(tmp_path / "rw.sqlite3")})
    async with Service(settings, analyzer=analyzer, registry=CollectorRegistry()) as svc:
        spec = ReplaySourceSettings((str(SAMPLES / "mini.jsonl"),), name="demo", speed=0)
        svc.run_source(build_source(spec, svc.settings, svc.graph))
        rows = read_recording(SAMPLES / "mini.jsonl")
        await settle(svc, len(rows))
        room = rows[0]["room"]
        last = max(r["ts"] for r in rows if r["room"] == room)
        captured: list[Comment] = []
        svc.pipeline.add_tap(captured.append)
        result = await post(
            svc,
            [
                {"room": room, "text": "主播好", "id": "posted-1"},
                {"room": room, "text": "主播好", "id": "posted-2", "ts": time.time() + 3600},
            ],
        )
        assert result["accepted"] == 1 and result["rejected"] == 1
        assert result["errors"][0]["reason"] == "ts_out_of_range"
        assert captured and abs(captured[0].ts - last) < 60
        await settle(svc, len(rows) + 1)
        assert svc.triage.now(room) < last + 60
        assert svc.alerts.now(room) < last + 60


def test_report_survives_extreme_timestamps(tmp_path: Path) -> None:
    import subprocess
    import sys

    rows = read_recording(SAMPLES / "mini.jsonl")[:60]
    rows[10]["ts"] = 1e30
    rows[20]["ts"] = 1.7e15  # microseconds
    rows[30]["ts"] = 1e300
    path = tmp_path / "odd.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    out = tmp_path / "report.html"
    result = subprocess.run(
        [sys.executable, "-m", "roomwatch", "report", str(path), "-o", str(out)],
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert out.stat().st_size > 0
    assert result.stderr.decode().count("record rejected") == 3, result.stderr.decode()


# ------------------------------------------------------------------- the bound itself


def test_check_ts_bounds() -> None:
    assert check_ts(100.0, None, max_ahead=300, max_behind=None) is None
    assert check_ts(MAX_TS + 1, None, max_ahead=300, max_behind=None) is not None
    assert check_ts(-1.0, None, max_ahead=300, max_behind=None) is not None
    assert check_ts(1300.0, 1000.0, max_ahead=300, max_behind=None) is None
    err = check_ts(1301.0, 1000.0, max_ahead=300, max_behind=None)
    assert err is not None and err.reason == "ts_out_of_range" and err.field == "ts"
    assert check_ts(0.0, 1e6, max_ahead=300, max_behind=None) is None
    assert check_ts(0.0, 1e6, max_ahead=300, max_behind=1000) is not None


def test_live_guard_bounds_per_room_and_stamps_missing_ts() -> None:
    mono = FakeMonotonic()
    wall = [1_800_000_000.0]
    guard = TimeGuard(make_settings().pipeline, clock=lambda: wall[0], monotonic=mono)

    def c(room: str, ts: float) -> Comment:
        return Comment(room=room, text="x", ts=ts)

    # A room's first record: no lower bound (old recordings may be posted) ...
    old = guard.admit(c("a", 1_700_000_000.0), "http")
    assert isinstance(old, Comment)
    # ... but never more than 5 minutes ahead of the wall clock.
    assert not isinstance(guard.admit(c("b", wall[0] + 301), "http"), Comment)
    assert isinstance(guard.admit(c("b", wall[0] + 299), "http"), Comment)
    assert not isinstance(guard.admit(c("a", wall[0] + 301), "http"), Comment)
    # Behind: relative to the room's own time, which runs on with the wall.
    assert isinstance(guard.admit(c("a", 1_700_000_000.0 + 600), "http"), Comment)
    assert not isinstance(guard.admit(c("a", 1_700_000_000.0 - 8 * 86400), "http"), Comment)
    mono.t += 100
    # Missing ts: the room's time, or the wall clock for a new room.
    stamped = guard.admit(c("a", float("nan")), "http")
    assert isinstance(stamped, Comment) and stamped.ts == 1_700_000_000.0 + 700
    fresh = guard.admit(c("new", float("nan")), "http")
    assert isinstance(fresh, Comment) and fresh.ts == wall[0]
    # Trusted (replay) sources are not checked here.
    assert isinstance(guard.admit(c("a", 1e9), "demo", trusted=True), Comment)
    assert not isinstance(guard.admit(c("a", 1e9), "demo"), Comment)


def test_guard_with_the_services_pace_stamps_the_room_time_now() -> None:
    # The service's guard shares the stages' Pace, where it notes each
    # arrival; the record being stamped must not count as its room's latest
    # arrival, or a live room's time would stand still at its newest ts.
    mono = FakeMonotonic()
    wall = [1_800_000_000.0]
    guard = TimeGuard(make_settings().pipeline, pace=Pace(), clock=lambda: wall[0], monotonic=mono)
    first = guard.admit(Comment(room="a", text="x", ts=wall[0]), "http")
    assert isinstance(first, Comment)
    stamps = []
    for _ in range(2):
        mono.t += 60
        wall[0] += 60
        stamped = guard.admit(Comment(room="a", text="x", ts=float("nan")), "http")
        assert isinstance(stamped, Comment)
        stamps.append(stamped.ts - first.ts)
    assert stamps == [60.0, 120.0]


def test_a_rejected_record_does_not_keep_its_room_from_going_idle() -> None:
    # A bridge that starts sending microseconds: every record is rejected,
    # the stages see nothing, and the room's time must run on (so its host
    # queue ages out and its alerts see the silence), not stand still.
    mono = FakeMonotonic()
    wall = [1_800_000_000.0]
    pace = Pace()
    guard = TimeGuard(make_settings().pipeline, pace=pace, clock=lambda: wall[0], monotonic=mono)
    stage_clock = RoomClocks(mono, pace)
    ok = guard.admit(Comment(room="a", text="x", ts=wall[0]), "http")
    assert isinstance(ok, Comment)
    stage_clock.advance("a", ok.ts)
    for _ in range(10):
        mono.t += 1
        wall[0] += 1
        assert not isinstance(
            guard.admit(Comment(room="a", text="x", ts=wall[0] * 1e6), "http"), Comment
        )
    assert stage_clock.idle("a") == 10.0


def test_replay_bound_drops_outliers_and_follows_real_jumps() -> None:
    bound = ReplayBound(make_settings().pipeline)
    t = 1_764_115_200.0
    ok = [bound.check(x) is None for x in (t, t + 1, 1e30, t + 2, t + 400 * 86400, t + 3)]
    assert ok == [True, True, False, True, False, True]
    # A real jump of two days: the first record after it is lost, then it follows.
    ok = [bound.check(x) is None for x in (t + 2 * 86400, t + 2 * 86400 + 1, t + 2 * 86400 + 2)]
    assert ok == [False, True, True]
    # An odd first record: the file re-anchors on the records after it.
    bound = ReplayBound(make_settings().pipeline)
    ok = [bound.check(x) is None for x in (1000.0, t, t + 1, t + 2)]
    assert ok == [True, False, True, True]
    # Records from the past move no clock and are kept.
    assert bound.check(t - 30 * 86400) is None


# ------------------------------------------------------------------ the stages, per room


def analyze(analyzer: Analyzer, rows: Sequence[dict[str, Any]]) -> list[Result]:
    return list(analyzer.analyze([Comment.from_dict(r, received_at=0.0) for r in rows]))


def scenario(until: float) -> list[dict[str, Any]]:
    return [r for r in read_recording(SCENARIO) if r["ts"] < until]


def test_alerts_of_one_room_ignore_another_rooms_time(analyzer: Analyzer) -> None:
    rows = scenario(1764115200.0 + 400)
    stage = AlertStage()
    events: list[Any] = []
    stage.add_listener(events.append)
    stage(analyze(analyzer, rows))
    # Another room, a day ahead (a replay has no wall-clock bound of 5 minutes).
    later = {"room": "other", "text": "主播好", "ts": rows[-1]["ts"] + 86400}
    stage(analyze(analyzer, [later]))
    assert [e for e in events if e.alert.room == ROOM and e.alert.detector == "volume_drop"] == []
    assert stage.now(ROOM) < rows[-1]["ts"] + 60


def test_clocks_are_per_room_and_follow_the_pace() -> None:
    mono = FakeMonotonic()
    pace = Pace()
    clocks = RoomClocks(mono, pace)
    clocks.advance("a", 100.0)
    clocks.advance("b", 5000.0)
    mono.t += 10
    assert clocks.now("a") == 110.0 and clocks.now("b") == 5010.0
    pace.set("a", 0.0)
    pace.set("b", 20.0)
    assert clocks.now("a") == 100.0 and clocks.now("b") == 5200.0
    clocks.advance("a", 50.0)  # older: no change
    assert clocks.ts("a") == 100.0
    # A record of b entered the pipeline a moment ago (still being analysed):
    # b is not idle since then, however fast its replay runs.
    mono.t += 10
    pace.arrived("b", mono.t - 0.5)
    assert clocks.idle("b") == 0.5 * 20.0


def test_now_or_latest_answers_for_no_room_and_unseen_rooms() -> None:
    mono = FakeMonotonic()
    clocks = RoomClocks(mono)
    assert clocks.now_or_latest(None, lambda: 42.0) == 42.0  # nothing seen: the wall
    clocks.advance("a", 100.0)
    clocks.advance("b", 5000.0)
    mono.t += 10
    assert clocks.now_or_latest("a", lambda: 42.0) == 110.0
    assert clocks.now_or_latest("unseen", lambda: 42.0) == 5010.0
    assert clocks.now_or_latest(None, lambda: 42.0) == 5010.0


# ---------------------------------------------------- replays: end and gaps (issue 17.4)


def write_gz(path: Path, rows: Sequence[dict[str, Any]]) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return path


async def run_replay(
    analyzer: Analyzer, path: Path, stage: AlertStage, pace: Pace, speed: float = 0.0
) -> None:
    pipeline = Pipeline(analyzer, make_settings().pipeline, Metrics(CollectorRegistry()))
    pipeline.add_output(stage)
    pipeline.start()
    try:
        await ReplaySource([path], speed=speed, pace=pace).run(pipeline)
        await pipeline.drain()
    finally:
        await pipeline.close()


def volume_drops(events: Sequence[Any]) -> list[Any]:
    return [e for e in events if e.alert.detector == "volume_drop"]


async def test_the_end_of_a_replay_is_not_an_outage(analyzer: Analyzer, tmp_path: Path) -> None:
    path = write_gz(tmp_path / "r.jsonl.gz", scenario(1764115200.0 + 600))
    mono = FakeMonotonic()
    pace = Pace()
    stage = AlertStage(monotonic=mono, pace=pace)
    events: list[Any] = []
    stage.add_listener(events.append)
    await run_replay(analyzer, path, stage, pace)
    # The service's ticker keeps running long after the recording ended.
    for _ in range(20):
        mono.t += 60
        stage.tick_wall()
    assert volume_drops(events) == []
    assert stage.manager.open_alerts() == [] or all(
        a.detector != "volume_drop" for a in stage.manager.open_alerts()
    )


async def test_a_live_feed_that_goes_silent_still_raises_volume_drop(
    analyzer: Analyzer,
) -> None:
    rows = scenario(1764115200.0 + 600)
    mono = FakeMonotonic()
    stage = AlertStage(monotonic=mono, pace=Pace())  # no replay: the room is live
    events: list[Any] = []
    stage.add_listener(events.append)
    stage(analyze(analyzer, rows))
    for _ in range(60):
        mono.t += 1
        stage.tick_wall()
    drops = volume_drops(events)
    assert [e.kind for e in drops][:1] == ["open"]
    assert 0 < drops[0].alert.started_at - rows[-1]["ts"] <= 60


async def test_a_gap_in_a_fast_replay_is_judged_in_record_time(analyzer: Analyzer) -> None:
    rows = scenario(1764115200.0 + 600)
    mono = FakeMonotonic()
    pace = Pace()
    pace.set(ROOM, 20.0)  # a replay at --speed 20
    stage = AlertStage(monotonic=mono, pace=pace)
    events: list[Any] = []
    stage.add_listener(events.append)
    stage(analyze(analyzer, rows))
    # One wall second is twenty seconds of record time: the gap is seen now.
    for _ in range(10):
        mono.t += 0.1
        stage.tick_wall()
    drops = volume_drops(events)
    assert [e.kind for e in drops] == ["open"]
    assert drops[0].alert.started_at - rows[-1]["ts"] <= 21


def test_replay_alerts_of_a_gap_open_at_record_time_and_resolve(tmp_path: Path) -> None:
    import subprocess
    import sys

    rows = scenario(1764115200.0 + 900)
    speed0 = ("--speed", "0")
    gap_start = 1764115200.0 + 500
    # Two minutes of silence in the middle, then the feed comes back.
    rows = [r for r in rows if not gap_start <= r["ts"] < gap_start + 120]
    last_before = max(r["ts"] for r in rows if r["ts"] < gap_start)
    first_after = min(r["ts"] for r in rows if r["ts"] >= gap_start + 120)
    path = write_gz(tmp_path / "gap.jsonl.gz", rows)
    alerts = tmp_path / "alerts.jsonl"
    result = subprocess.run(
        [sys.executable, "-m", "roomwatch", "replay", str(path), *speed0, "--alerts", str(alerts)],
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    events = [json.loads(x) for x in alerts.read_text(encoding="utf-8").splitlines()]
    drops = [e for e in events if e["alert"]["detector"] == "volume_drop"]
    assert drops[0]["type"] == "open" and drops[-1]["type"] == "resolve"
    opened = drops[0]["alert"]["started_at"]
    assert last_before + 10 <= opened <= last_before + 60
    assert drops[-1]["ts"] == first_after
    # Nothing is left open at the end of the recording.
    last_event: dict[str, str] = {}
    for e in drops:
        last_event[e["alert"]["id"]] = e["type"]
    assert set(last_event.values()) == {"resolve"}, last_event
