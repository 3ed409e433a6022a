"""Global caps on the per-room moderation buffers (issue #12's 1,000-room soak).

Each room's review queue, moderator backlog and mood chart is bounded per
room; these tests fill many rooms past the bound across all rooms and check
that the total stays bounded, the evictions are counted (and, for review
items, shown to the moderators), and the newest room keeps everything.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
from prometheus_client import CollectorRegistry

from roomwatch.authz import Authz, Gate, RefusalLog
from roomwatch.config import ModerationConfig
from roomwatch.core.analyze import Analyzer
from roomwatch.moderation.review import ReviewItem, ReviewQueue
from roomwatch.moderation.runtime import Moderation
from roomwatch.service import Service
from roomwatch.stages.clock import RoomClocks
from roomwatch.stages.flag import FlagStage

from ..conftest import TOKENS, make_settings
from ..stages.test_pure_stages import HELPER, T0, FakeClock, verdict
from ..support.wait import wait_for
from .support import ingest

ABUSE = ["你就是个傻逼", "主播是傻逼吧", "滚吧你这个傻逼"]


def discarded(registry: CollectorRegistry, component: str, reason: str) -> float:
    value = registry.get_sample_value(
        "roomwatch_component_discarded_events_total",
        {"component_kind": "transform", "component_id": component, "reason": reason},
    )
    return value or 0.0


def item(room: str, n: int) -> ReviewItem:
    return ReviewItem.from_verdict(verdict("abuse", "傻子", room=room, ts=T0 + n, n=n))


def test_review_queue_total_is_bounded_and_the_least_recently_active_room_pays() -> None:
    q = ReviewQueue({"abuse"}, max_per_room=5, max_total=12)
    for r in range(10):
        for n in range(5):
            assert q.add(item(f"r{r}", r * 10 + n)) == []  # never past the per-room cap
    assert len(q) == 12
    spilled = q.take_spilled()
    assert len(spilled) == 50 - 12 and q.take_spilled() == []
    # Oldest rooms first, each room's oldest item first.
    assert [i.id for i in spilled[:6]] == [f"r0-{n}" for n in range(5)] + ["r1-10"]
    assert [i.id for i in q.items("r9")] == [f"r9-{90 + n}" for n in range(5)]
    assert q.rooms == ("r7", "r8", "r9")
    # A room that gets a new item becomes the most recently active one.
    q.add(item("r7", 99))
    assert [i.id for i in q.take_spilled()] == ["r8-80"]
    assert len(q) == 12 and q.items("r7")[-1].id == "r7-99"
    # Popping keeps the count right, and an emptied room is forgotten.
    for it in q.items("r8"):
        assert q.pop("r8", it.id) is not None
    assert len(q) == 8 and "r8" not in q.rooms


def test_flag_backlog_total_is_bounded_and_counted() -> None:
    dropped: list[int] = []
    flag = FlagStage(backlog=5, total=12, on_discard=dropped.append)
    for r in range(10):
        flag([verdict("abuse", "傻子", room=f"r{r}", n=r * 10 + n) for n in range(5)])
    assert flag.kept == 12 and sum(dropped) == 50 - 12
    snaps = {s["room"]: s["verdicts"] for s in flag.snapshot(_Everyone())}
    assert set(snaps) == {"r7", "r8", "r9"}
    assert [v["id"] for v in snaps["r9"]] == [f"r9-{90 + n}" for n in range(5)]
    assert sum(len(v) for v in snaps.values()) == 12


class _Everyone:
    token = HELPER

    def wants(self, room: str | None) -> bool:
        return True


def moderation(clock: FakeClock, registry: CollectorRegistry, **caps: Any) -> Moderation:
    return Moderation(
        ModerationConfig(),
        gate=Gate(Authz([HELPER]), RefusalLog()),
        registry=registry,
        clocks=RoomClocks(clock),
        **caps,
    )


def test_stats_rooms_are_bounded_and_the_newest_room_keeps_its_chart() -> None:
    registry = CollectorRegistry()
    mod = moderation(FakeClock(), registry, max_stats_rooms=50)
    for r in range(200):
        mod([verdict("chatter", "哈哈", room=f"r{r}", n=r)])
    assert len(mod.stats) == 50
    assert list(mod.stats)[-1] == "r199" and "r149" not in mod.stats
    assert discarded(registry, "moderation", "stats_rooms_cap") == 150
    assert mod.stats["r199"].total == 1
    assert {e.room for e in mod.publish_stats()} == {f"r{r}" for r in range(150, 200)}


def test_publish_stats_work_follows_the_busy_room_not_the_idle_ones() -> None:
    clock = FakeClock()
    mod = moderation(clock, CollectorRegistry())
    for r in range(1000):
        mod([verdict("chatter", "哈哈", room=f"idle-{r}", ts=T0, n=r)])
    first = mod.publish_stats()
    assert len(first) == 1000  # every room's first frame goes out
    # Past the rate and mood windows the idle rooms' frames stop changing:
    # one last frame (rate 0), then they are no longer visited.
    clock.now += 62.0
    last = mod.publish_stats()
    assert len(last) == 1000 and all(e.message["rate"] == 0 for e in last)
    before = mod.stats_visits
    ticks = 30
    for t in range(ticks):
        clock.now += 1.0
        mod([verdict("chatter", "好看", room="busy", ts=T0 + 63 + t, n=5000 + t)])
        frames = mod.publish_stats()
        assert [e.room for e in frames] == ["busy"]
    work = mod.stats_visits - before
    # One visit to the busy room a tick, and at most one look at the oldest
    # room (to forget it once it has been quiet for 1.5 h).
    assert ticks <= work <= 2 * ticks
    assert frames[0].message["rate"] > 0


def test_an_idle_room_is_forgotten_after_an_hour_and_a_half() -> None:
    clock = FakeClock()
    mod = moderation(clock, CollectorRegistry())
    mod([verdict("chatter", "哈哈", room="quiet", ts=T0, n=1)])
    mod.publish_stats()
    clock.now += 62.0
    mod.publish_stats()
    assert "quiet" in mod.stats
    clock.now += 30 * 60 + 3600
    assert mod.publish_stats() == [] and "quiet" not in mod.stats


async def test_many_rooms_past_the_review_cap_over_a_real_websocket(
    analyzer: Analyzer, tmp_path: Path
) -> None:
    cap, rooms, per_room = 20, 10, 5
    settings = make_settings(
        store={"path": str(tmp_path / "rw.sqlite3")},
        limits={"max_review_items": cap},
    )
    service = Service(settings, analyzer=analyzer, registry=CollectorRegistry())
    mod = service.moderation
    async with service:
        base = service.url.replace("http", "ws")
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(f"{base}/ws/stream?token={TOKENS['moderator']}") as ws,
        ):
            assert json.loads((await ws.receive(timeout=5)).data)["type"] == "hello"
            assert json.loads((await ws.receive(timeout=5)).data)["type"] == "snapshot"
            records = [
                {
                    "room": f"room-{r}",
                    "text": ABUSE[n % len(ABUSE)],
                    "ts": T0 + r * per_room + n,
                    "id": f"room-{r}-{n}",
                    "user": {"id": f"u{r}-{n}", "name": "观众"},
                }
                for r in range(rooms)
                for n in range(per_room)
            ]
            await ingest(service, records)
            added: list[str] = []
            removed: list[dict[str, Any]] = []
            while len(added) < len(records) or len(added) - len(removed) > cap:
                m = json.loads((await ws.receive(timeout=10)).data)
                review = m.get("review", m) if m["type"] in ("batch", "review") else {}
                added += [i["id"] for i in review.get("added", [])]
                removed += review.get("removed", [])
        assert len(added) == len(records)  # every one classified abuse and queued
        assert len(mod.queue) == cap
        # Every eviction was told to the moderators, and counted.
        assert len(removed) == len(records) - cap
        assert all(r["reason"] == "evicted" and r["cap"] == "global" for r in removed)
        assert {r["id"] for r in removed} | {
            i.id for room in mod.queue.rooms for i in mod.queue.items(room)
        } == set(added)
        await wait_for(
            lambda: (
                discarded(service.metrics.registry, "moderation", "review_total_cap")
                == len(records) - cap
            )
        )
        # The newest rooms are intact; the oldest lost everything first.
        newest = f"room-{rooms - 1}"
        assert [i.id for i in mod.queue.items(newest)] == [f"{newest}-{n}" for n in range(per_room)]
        assert mod.queue.items("room-0") == []
        flag = service.graph.flag
        assert flag is not None and flag.kept == len(records)  # under its own cap
