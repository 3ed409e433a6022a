"""LagWatch: when a room's end-to-end lag deserves an alert (pure, time passed in)."""

from __future__ import annotations

from roomwatch.core.lag import CONFIRM, LagWatch


def test_one_late_record_is_no_alarm_but_a_streak_is() -> None:
    watch = LagWatch(30.0)
    assert watch.observe("r", 500.0, 1.0) is None  # one straggler
    assert watch.observe("r", 1.0, 2.0) is None  # the streak is broken
    events = [watch.observe("r", 45.0, 3.0 + i) for i in range(CONFIRM + 2)]
    high = [e for e in events if e is not None]
    assert len(high) == 1 and high[0].kind == "high"
    assert high[0].room == "r" and high[0].lag_s == 45.0 and high[0].at == 3.0 + CONFIRM - 1
    assert "45.0" in high[0].message and "30" in high[0].message
    assert watch.high_rooms == ("r",)


def test_recovers_only_under_half_the_threshold_for_a_streak() -> None:
    watch = LagWatch(30.0)
    for i in range(CONFIRM):
        watch.observe("r", 40.0, float(i))
    # Under the threshold but above half of it: still high.
    assert all(watch.observe("r", 20.0, 10.0 + i) is None for i in range(5))
    events = [watch.observe("r", 2.0, 20.0 + i) for i in range(CONFIRM)]
    assert [e.kind for e in events if e is not None] == ["normal"]
    assert watch.high_rooms == ()
    # Nothing is kept for a healthy room.
    assert watch._rooms == {}


def test_rooms_are_independent_and_zero_turns_it_off() -> None:
    watch = LagWatch(10.0)
    for i in range(CONFIRM):
        watch.observe("slow", 60.0, float(i))
        watch.observe("fast", 0.2, float(i))
    assert watch.high_rooms == ("slow",)
    off = LagWatch(0.0)
    assert all(off.observe("r", 1e6, float(i)) is None for i in range(10))


def test_an_old_recording_posted_live_is_a_backfill_not_a_lag() -> None:
    # A year-old log posted to /ingest opened a critical "roomwatch is at
    # fault" alert at the comms staff's chat.
    watch = LagWatch(60.0)
    year = 365 * 86400.0
    assert all(watch.observe("r", year, float(t)) is None for t in range(10))
    assert watch.high_rooms == ()
    # A fetcher hours behind still alerts; a backfill neither opens nor clears it.
    events = [watch.observe("r", 3 * 3600.0, float(t)) for t in range(3)]
    assert events[-1] is not None and events[-1].kind == "high"
    assert all(watch.observe("r", year, 10.0 + t) is None for t in range(5))
    assert watch.high_rooms == ("r",)
