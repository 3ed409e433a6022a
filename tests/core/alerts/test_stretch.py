"""A quiet room's window stretches to its pace (``window_min_comments``).

An officials' 助农 stream sends about 25 comments a minute: 8 in the default
20-second window, too few for a complaint wave to clear a detector's floor.
"""

from __future__ import annotations

import random

from roomwatch.core.alerts import AlertConfig, AlertManager
from roomwatch.core.alerts.state import held

from .helpers import MOULD, ROOM, T0, calm, kinds, obs, run, wave

QUIET = 25 / 60  # comments a second


def _quiet_room(seconds: float, *, seed: int = 5) -> list:
    return calm(T0, T0 + seconds, rate=QUIET, seed=seed)


def test_the_window_fits_the_pace() -> None:
    cfg = AlertConfig()
    assert cfg.span_for(QUIET) == 96  # 40 comments at 25 a minute
    assert cfg.span_for(5.0) == 20  # a busy room keeps window_seconds
    assert cfg.span_for(0.01) == 120  # ... and a dead one max_window_seconds
    assert AlertConfig(window_min_comments=0).span_for(QUIET) == 20
    assert AlertConfig(window_seconds=60).span_for(5.0) == 60


def test_a_complaint_wave_in_a_quiet_room_is_seen() -> None:
    onset = T0 + 1200
    stream = _quiet_room(1800) + wave(
        onset, onset + 360, 7 / 60, MOULD, label="grievance", sentiment=-0.8, prefix="g"
    )
    events = run(AlertManager(), stream, T0 + 1800)
    opens = [e for e in events if e.kind == "open"]
    assert [e.alert.detector for e in opens] == ["grievance_topic"], [
        e.alert.summary for e in opens
    ]
    alert = opens[0].alert
    assert opens[0].ts - onset <= 120
    assert 80 <= alert.evidence.window_seconds <= 120
    assert f"近{alert.evidence.window_seconds:g}秒" in alert.summary

    # The same room with a fixed 20-second window never sees it.
    fixed = run(AlertManager(AlertConfig(window_min_comments=0)), stream, T0 + 1800)
    assert "open" not in kinds(fixed, "grievance_topic")


def test_a_quiet_room_with_scattered_complaints_stays_quiet() -> None:
    rng = random.Random(9)
    stream = _quiet_room(7200, seed=6)
    t = T0 + 300
    while t < T0 + 7200:  # one complaint every three minutes or so
        stream.append(
            obs(t, rng.choice(MOULD), label="grievance", sentiment=-0.8, user=f"s{int(t)}")
        )
        t += rng.expovariate(1 / 180)
    events = run(AlertManager(), stream, T0 + 7200)
    assert [e.alert.summary for e in events if e.kind == "open"] == []


def test_the_window_shrinks_when_the_room_gets_busy_and_not_with_every_comment() -> None:
    m = AlertManager()
    quiet = _quiet_room(1200)
    spans = []
    for minute in range(20):
        start, end = T0 + 60 * minute, T0 + 60 * (minute + 1)
        run(m, [o for o in quiet if start < o.comment.ts <= end], end, start)
        spans.append(m._rooms[ROOM].span)
    settled = spans[5:]
    assert min(settled) >= 80 and max(settled) <= 120, spans
    assert len(set(settled)) <= 3, spans  # it moves when the pace moves by a quarter
    busy = calm(T0 + 1200, T0 + 2400, rate=3.0, seed=8)
    run(m, busy, T0 + 2400, T0 + 1200)
    assert m._rooms[ROOM].span == 20


def test_a_grown_window_counts_what_it_holds_and_a_shrunk_one_lets_go_at_once() -> None:
    m = AlertManager()
    quiet = _quiet_room(600)
    grown_at = None
    for o in quiet:
        before = m._rooms[ROOM].span if ROOM in m._rooms else 20
        run(m, [o], o.comment.ts, o.comment.ts - 1)
        room = m._rooms[ROOM]
        if grown_at is None and room.span > before:
            grown_at = room.sec
            # It held 20 seconds when it grew: it says so until it fills up.
            assert held(room) == 20 < room.span
    assert grown_at is not None
    room = m._rooms[ROOM]
    assert held(room) == room.span  # ten minutes on, full
    busy = calm(T0 + 600, T0 + 1500, rate=3.0, seed=8)
    shrank = False
    for o in busy:
        before = room.span
        run(m, [o], o.comment.ts, o.comment.ts - 1)
        if room.span < before:
            shrank = True
            # The seconds it let go have left it at once: its running sums
            # are those of the buckets in the shorter window.
            first = room.sec - room.span + 1
            assert room.buckets[0][0] >= first
            assert room.window["n"] == sum(c.get("n", 0) for _, c in room.buckets)
    assert shrank and room.span == 20
