"""The alert stage's work grows with comments, not with rooms x seconds (issue #14, item 2).

A sparse many-room recording (200 rooms, comments spread over days) and a
busy room with short silences are replayed through the real analyzer and
:class:`AlertStage`; the manager's :class:`~roomwatch.core.alerts.quiet.Work`
counters say how many full ticks and baseline updates it took, and every
detector's ``evaluate`` is counted. Counted, not timed.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest

from roomwatch.core.alerts import (
    abuse_raid,
    grievance_topic,
    negative_spike,
    volume_drop,
    volume_surge,
    watchlist,
)
from roomwatch.core.alerts.window import EmptyRun
from roomwatch.core.analyze import Analyzer
from roomwatch.core.record import Comment
from roomwatch.stages.alert import AlertStage

T0 = 1_764_115_200.0
TEXTS = (
    "主播好",
    "来了来了",
    "今天播到几点",
    "这个好看",
    "哈哈哈哈",
    "支持一下",
    "下次再来",
    "晚上好",
)


def sparse(rooms: int, comments: int, days: float, seed: int = 5) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = [
        {
            "room": f"room-{rng.randrange(rooms)}",
            "text": rng.choice(TEXTS),
            "ts": T0 + rng.uniform(0, days * 86400),
            "id": f"c{i}",
            "user": {"id": f"u{rng.randrange(500)}"},
            "kind": "comment",
        }
        for i in range(comments)
    ]
    rows.sort(key=lambda r: r["ts"])
    return rows


def replay(analyzer: Analyzer, rows: list[dict[str, Any]]) -> tuple[AlertStage, int]:
    stage = AlertStage()
    results = list(analyzer.analyze([Comment.from_dict(r, received_at=0.0) for r in rows]))
    for i in range(0, len(results), 64):
        stage(results[i : i + 64])
    return stage, len(results)


def per_second_ticks(rows: list[dict[str, Any]]) -> int:
    """The ticks the old stage made: every second of each room's gaps, up to 300 a gap."""
    last: dict[str, int] = {}
    ticks = 0
    for r in rows:
        second = int(r["ts"])
        if r["room"] in last and second > last[r["room"]]:
            gap = second - last[r["room"]]
            ticks += min(gap, 300) + (gap > 300)
        last[r["room"]] = max(second, last.get(r["room"], second))
    return ticks


def test_work_is_proportional_to_comments_not_to_seconds_spanned(analyzer: Analyzer) -> None:
    rows = sparse(rooms=200, comments=2000, days=3)
    stage, n = replay(analyzer, rows)
    work = stage.manager.work
    # The old way: about 300 full ticks per comment here.
    assert per_second_ticks(rows) > 200 * n
    # Now: at most one full tick (the jump over a long gap) and a few
    # baseline updates per comment; the rest of the silence is skipped.
    assert work.ticks <= n
    assert work.steps <= 3 * n
    assert work.skipped > 200 * n

    # Ten times the span, the same comments: no more work.
    longer = [dict(r, ts=T0 + (r["ts"] - T0) * 10) for r in rows]
    stage10, _ = replay(analyzer, longer)
    total = work.ticks + work.steps
    assert stage10.manager.work.ticks <= n
    assert stage10.manager.work.ticks + stage10.manager.work.steps <= 1.1 * total

    # Twice the comments over the same span: about twice the work.
    denser, n2 = replay(analyzer, sparse(rooms=200, comments=4000, days=3, seed=6))
    assert n2 == 2 * n
    assert denser.manager.work.ticks + denser.manager.work.steps <= 2.5 * (work.ticks + work.steps)


def test_more_rooms_cost_no_more_per_comment(analyzer: Analyzer) -> None:
    counts = []
    for rooms in (10, 100, 1000):
        stage, n = replay(analyzer, sparse(rooms=rooms, comments=2000, days=3))
        work = stage.manager.work
        counts.append((work.ticks + work.steps) / n)
    # A few units of work per comment whatever the number of rooms.
    assert max(counts) <= 5.0, counts


DETECTORS = (abuse_raid, grievance_topic, negative_spike, volume_drop, volume_surge, watchlist)


@pytest.fixture
def evaluations(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Calls of each detector's ``evaluate`` (the manager looks them up per call)."""
    counts: Counter[str] = Counter()
    for module in DETECTORS:
        name = module.__name__.rsplit(".", 1)[1]

        def counting(*args: Any, _real: Any = module.evaluate, _name: str = name) -> None:
            counts[_name] += 1
            _real(*args)

        monkeypatch.setattr(module, "evaluate", counting)
    return counts


def busy(comments: int, stretch: float = 1.0, seed: int = 9) -> list[dict[str, Any]]:
    """One room with a comment every 2-4 s (x ``stretch``): warm, and busy
    enough that its feed going silent would be an outage."""
    rng = random.Random(seed)
    rows, t = [], T0
    for i in range(comments):
        rows.append(
            {
                "room": "busy",
                "text": rng.choice(TEXTS),
                "ts": t,
                "id": f"b{i}",
                "user": {"id": f"u{rng.randrange(500)}"},
                "kind": "comment",
            }
        )
        t += rng.uniform(2.0, 4.0) * stretch
    return rows


def test_detector_evaluations_follow_comments_not_seconds(
    analyzer: Analyzer, evaluations: Counter[str]
) -> None:
    # A busy room's short silences: the feed can't be called down before
    # outage_silence_seconds (and 8 expected gaps), so no second of them is
    # ticked. The old catch-up ticked each (about 3 volume_drop evaluations
    # per comment here, and 36,669 full ticks for 20,000 real comments).
    rows = busy(1500)
    stage, n = replay(analyzer, rows)
    assert per_second_ticks(rows) > 2 * n
    assert stage.manager.work.ticks == 0
    assert evaluations["volume_drop"] == 0
    per_comment = sum(evaluations.values()) / n
    assert per_comment <= 2.0, evaluations

    # Gaps half as long again (still short of an outage): the same work.
    evaluations.clear()
    stretched, _ = replay(analyzer, busy(1500, stretch=1.5))
    assert stretched.manager.work.ticks == 0
    assert sum(evaluations.values()) / n <= 1.05 * per_comment

    # Sparse rooms over days: a few evaluations per comment, however long the span.
    evaluations.clear()
    sparse_rows = sparse(rooms=200, comments=2000, days=3)
    _, m = replay(analyzer, sparse_rows)
    sparse_evals = sum(evaluations.values())
    assert sparse_evals <= 2 * m
    evaluations.clear()
    replay(analyzer, [dict(r, ts=T0 + (r["ts"] - T0) * 10) for r in sparse_rows])
    assert sum(evaluations.values()) <= 1.1 * sparse_evals


def test_a_silence_is_one_window_entry_not_one_per_second(analyzer: Analyzer) -> None:
    stage, _ = replay(analyzer, sparse(rooms=20, comments=400, days=1))
    rooms = stage.manager._rooms
    assert rooms
    # These rooms are quiet: once they have a pace, their windows stretch.
    assert any(room.span == stage.config.max_window_seconds for room in rooms.values())
    for room in rooms.values():
        window = room.span
        # At most one entry per second with comments, plus runs and the newest.
        assert len(room.buckets) <= 2 * window + 2
        covered = sum(c.n if isinstance(c, EmptyRun) else 1 for _, c in room.buckets)
        assert covered <= window + 1
