"""The sans-I/O parts: raid keys, review queue, user rings, room stats, rate limits, config."""

from __future__ import annotations

import pytest

from roomwatch.config.moderation import ModerationConfig
from roomwatch.moderation.outbound import LogOutbound, WebhookOutbound, build_outbound
from roomwatch.moderation.review import (
    LABELS,
    ReviewItem,
    ReviewQueue,
    RoomStats,
    UserHistory,
    raid_key,
)
from roomwatch.ratelimit import RateLimiter


def item(i: int, room: str = "r", ts: float = 0.0, text: str = "x") -> ReviewItem:
    return ReviewItem(
        id=f"c-{i}",
        room=room,
        ts=ts or float(i),
        text=text,
        user_id=f"u{i}",
        user_name="n",
        user_level=1,
        label="abuse",
        confidence=0.9,
        scores={"abuse": 0.9},
        sentiment=-0.8,
        reasons=("lexicon:insult:x",),
        model="m",
        raid=raid_key(text),
    )


def test_raid_key_ignores_digits_punctuation_spaces_and_case() -> None:
    assert raid_key("加V 123 看片!!") == raid_key("加v456看片") == raid_key("加Ｖ７８９ 看片😀")
    assert raid_key("加V 看片") != raid_key("加V 看电影")
    assert len(raid_key("字" * 1000)) == 48


def test_review_queue_is_bounded_per_room_and_restores_in_time_order() -> None:
    q = ReviewQueue({"abuse", "spam"}, max_per_room=3)
    evicted = [e for i in range(1, 6) for e in q.add(item(i))]
    assert evicted == ["c-1", "c-2"]
    assert [i.id for i in q.items("r")] == ["c-3", "c-4", "c-5"]
    assert q.add(item(9, room="other")) == []
    assert len(q) == 4
    popped = q.pop("r", "c-4")
    assert popped is not None and q.get("r", "c-4") is None
    q.restore(popped)
    assert [i.id for i in q.items("r")] == ["c-3", "c-4", "c-5"]
    assert q.pop("nowhere", "c-1") is None


def test_user_history_keeps_the_last_few_per_user_and_drops_idle_users() -> None:
    h = UserHistory(per_user=2, max_users=2)
    for i in range(3):
        h.add("r", "a", {"id": f"a{i}"})
    assert [r["id"] for r in h.recent("r", "a")] == ["a2", "a1"]
    assert [r["id"] for r in h.recent("r", "a", before="a2")] == ["a1"]
    h.add("r", "b", {"id": "b0"})
    h.add("r", "c", {"id": "c0"})  # "a" was least recently active
    assert h.recent("r", "a") == [] and len(h) == 2
    h.add("r", "", {"id": "anon"})
    assert len(h) == 2


def test_room_stats_rate_mood_and_series() -> None:
    s = RoomStats(rate_window_s=10, mood_window_s=60, bucket_s=10, minutes=1)
    for i in range(100):  # 10 comments/s for 10 s, mood -0.5
        s.add(1000.0 + i / 10, "abuse" if i % 2 else "chatter", -0.5)
    out = s.summary(1010.0)
    assert out["rate"] == pytest.approx(9.0, abs=1.0)
    assert out["mood"] == pytest.approx(-0.5)
    series = s.series()
    assert series[0][0] == 1000.0
    assert series[0][1 + LABELS.index("abuse")] == 50 and series[0][-1] == 100
    assert s.summary(2000.0) == {"rate": 0.0, "mood": None, "total": 100, "newest": 1009.9}
    for t in range(1010, 1200, 10):
        s.add(float(t), "spam", 0.0)
    assert len(s.series()) == 6  # one minute of 10 s buckets
    s.add(100.0, "spam", 0.0)  # far too old: counted in total, not charted
    assert len(s.series()) == 6


def test_rate_limiter_token_bucket_per_key() -> None:
    rl = RateLimiter(60)  # 1 per second, bursts of 60
    assert all(rl.allow("a", 0.0) for _ in range(60))
    assert not rl.allow("a", 0.0)
    assert rl.retry_after("a") == pytest.approx(1.0)
    assert rl.allow("b", 0.0)
    assert rl.allow("a", 1.0) and not rl.allow("a", 1.0)
    assert rl.allow("a", 100.0)


def test_outbound_follows_the_config() -> None:
    """The [moderation] table itself is checked by the schema (tests/config)."""
    assert isinstance(build_outbound(ModerationConfig()), LogOutbound)
    hook = build_outbound(ModerationConfig(outbound="webhook", webhook_url="http://x/y"))
    assert isinstance(hook, WebhookOutbound) and hook.retries == 2
