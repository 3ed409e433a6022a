"""The gap watch, synchronously: times in, decisions out."""

from __future__ import annotations

from roomwatch.sources.bilibili.gap import Gap, GapWatch


def test_a_gap_runs_from_the_last_data_to_the_next() -> None:
    watch = GapWatch(alert_after_s=60)
    watch.start(100.0)
    assert watch.data(100.5) == Gap(0.5, alerted=False)  # the first data after the start
    assert watch.data(130.0) is None  # no loss in between: no gap
    watch.lost()
    assert watch.due(150.0) is None  # 20 s: not yet
    assert watch.due(190.0) == 60.0  # the alert is due once...
    assert watch.due(250.0) is None  # ... and only once
    watch.lost()  # another failed attempt changes nothing
    assert watch.data(300.0) == Gap(170.0, alerted=True)
    assert watch.due(400.0) is None  # data flows: no gap under way


def test_a_short_gap_raises_nothing() -> None:
    watch = GapWatch(alert_after_s=60)
    watch.start(0.0)
    watch.data(1.0)
    watch.lost()
    assert watch.due(10.0) is None
    assert watch.data(12.0) == Gap(11.0, alerted=False)
