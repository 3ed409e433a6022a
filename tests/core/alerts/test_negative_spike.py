"""negative_spike: the room's mood turns."""

from __future__ import annotations

from collections import deque

from roomwatch.core.alerts import (
    AlertConfig,
    AlertEvent,
    AlertManager,
    negative_spike,
)
from roomwatch.core.alerts.lifecycle import Lifecycle

from .helpers import (
    ROOM,
    SOUR,
    T0,
    calm,
    fill,
    hit,
    kinds,
    learned_room,
    run,
    wave,
)


def test_negative_spike_fires_with_evidence() -> None:
    m = AlertManager()
    onset = T0 + 180
    observations = calm(T0, T0 + 300) + wave(
        onset, onset + 60, 2.5, SOUR, label="chatter", sentiment=-0.7, prefix="s"
    )
    events = run(m, observations, T0 + 300)
    opens = [e for e in events if e.kind == "open"]
    assert [e.alert.detector for e in opens] == ["negative_spike"]
    alert = opens[0].alert
    assert opens[0].ts - onset <= 15
    assert alert.evidence.share is not None and alert.evidence.share >= 0.25
    assert alert.evidence.baseline_share is not None and alert.evidence.baseline_share < 0.1
    assert 1 <= len(alert.evidence.samples) <= 5
    assert all(s.sentiment <= -0.3 for s in alert.evidence.samples)
    assert "负面" in alert.summary and ROOM in alert.summary
    assert kinds(events, "negative_spike").count("resolve") == 1


def test_negative_spike_quiet_in_calm_and_happy_flash_sale() -> None:
    m = AlertManager()
    flash = calm(T0 + 200, T0 + 320, rate=8.0, seed=3, negative_share=0.0)
    events = run(m, calm(T0, T0 + 500, seed=4) + flash, T0 + 500)
    assert events == []


def test_negative_spike_quiet_during_warmup() -> None:
    m = AlertManager()
    observations = wave(T0, T0 + 40, 3.0, SOUR, label="chatter", sentiment=-0.8, prefix="s")
    assert run(m, observations, T0 + 40) == []


def test_mood_turn_words_do_not_open_a_topic_cluster() -> None:
    # Some of a mood turn is labelled grievance and shares words ("失望"):
    # that cluster is the negative spike's incident, not a second alert.
    m = AlertManager()
    onset = T0 + 200
    letdown = ("太让人 失望 了", "令人 失望 透顶", "让人 失望 主播")
    toks = {t: tuple(t.split()) for t in letdown}
    observations = (
        calm(T0, T0 + 400)
        + wave(onset, onset + 70, 2.0, SOUR, label="chatter", sentiment=-0.8, prefix="s")
        + wave(
            onset + 5,
            onset + 70,
            0.8,
            letdown,
            label="grievance",
            sentiment=-0.8,
            prefix="l",
            tokens=toks,
        )
    )
    events = run(m, observations, T0 + 400)
    assert [e.alert.detector for e in events if e.kind == "open"] == ["negative_spike"]


# ----------------------------------------------------------------- the module itself


def test_evaluate_fires_on_unexplained_negatives_only() -> None:
    cfg = AlertConfig()
    room = learned_room(rate=2.0, counts={"neg": 0.1})  # 5 % negative
    now = room.now
    fill(room, {"n": 40, "neg": 20, "nfree": 20})
    for i in range(20):
        room.negatives.append(hit(now - i / 2, f"s{i}", "越看越生气"))
    events: list[AlertEvent] = []
    negative_spike.evaluate(Lifecycle(cfg), room, now, events)
    assert [(e.kind, e.alert.detector) for e in events] == [("open", "negative_spike")]
    ev = events[0].alert.evidence
    assert ev.count == 20 and ev.share == 0.5
    assert ev.baseline_share is not None and ev.baseline_share < 0.1

    # The same negatives, all in a topic that is forming: the topic's, not a mood turn.
    claimed = learned_room(rate=2.0, counts={"neg": 0.1})
    fill(claimed, {"n": 40, "neg": 20, "tn:质量问题": 20})
    claimed.topics["质量问题"] = deque(
        hit(now - i / 2, f"g{i}", "发霉了", topic="质量问题") for i in range(20)
    )
    events = []
    negative_spike.evaluate(Lifecycle(cfg), claimed, now, events)
    assert events == []
