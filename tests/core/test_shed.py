"""The overload screen and degrade-mode gauge (pure, synchronous)."""

from __future__ import annotations

from roomwatch.core.analyze import TYPED_KINDS, Analyzer
from roomwatch.core.record import Comment
from roomwatch.core.shed import SHED_REASON, OverloadGauge, Screen, shed_verdict, split

from ..conftest import SAMPLES, read_recording


def _comments() -> list[Comment]:
    return [
        Comment.from_dict(row, received_at=0.0) for row in read_recording(SAMPLES / "demo.jsonl.gz")
    ]


def test_the_screen_sheds_nothing_the_full_analysis_would_label(analyzer: Analyzer) -> None:
    comments = _comments()
    screen = Screen(analyzer.classifier)
    full, shed = split(comments, analyzer.normalizer, screen, TYPED_KINDS)
    assert sorted(full + [i for i, _ in shed]) == list(range(len(comments)))
    verdicts = analyzer.analyze(comments)
    labelled = [i for i, _ in shed if verdicts[i].label != "chatter"]
    assert labelled == [], [verdicts[i].normalized.text for i in labelled[:10]]
    # It does shed: the demo's cue-less chatter (several hundred comments).
    assert len(shed) > 500
    # Platform events and blank text are never shed (the full path is cheap for them).
    assert all(comments[i].kind in TYPED_KINDS and comments[i].text.strip() for i, _ in shed)


def test_cues_keep_a_comment_on_the_full_path(analyzer: Analyzer) -> None:
    screen = Screen(analyzer.classifier)
    norm = analyzer.normalizer
    for text in ("主播这个多少钱", "加微信 abc12345", "你是傻逼吧", "客服一直不回消息", "怎么买"):
        assert screen.cued(norm(text).text, "r"), text
    # Tokens skip whitespace, so a spaced-out term is still a cue.
    assert screen.cued(norm("上 当 了").text, "r")
    assert not screen.cued(norm("哈哈哈").text, "r")
    assert not screen.cued(norm("   ").text, "r")


def test_a_shed_verdict_is_marked_chatter(analyzer: Analyzer) -> None:
    c = Comment.from_dict({"room": "r", "text": "哈哈哈", "ts": 1.0}, received_at=0.0)
    v = shed_verdict(c, analyzer.normalizer(c.text), ("m", "l", "c"))
    assert v.label == "chatter" and v.reasons == (SHED_REASON,)
    assert v.scores["chatter"] == 1.0 and v.sentiment == 0.0 and v.tokens == ()
    assert v.to_dict()["reasons"] == ["shed:overload"]


def test_the_gauge_enters_on_wait_or_depth_and_leaves_after_a_calm_hold() -> None:
    g = OverloadGauge(enter_wait_s=2.0, leave_wait_s=0.5, enter_queued=100, hold_s=5.0)
    assert g.update(1.9, 99, now=0.0) is None and not g.active
    assert g.update(2.0, 0, now=1.0) == "enter" and g.active and g.since == 1.0
    # Calm, but not for long enough; a busy batch restarts the hold.
    assert g.update(0.1, 10, now=2.0) is None
    assert g.update(1.0, 10, now=6.0) is None
    assert g.update(0.1, 10, now=7.0) is None
    assert g.update(0.1, 60, now=13.0) is None  # queue not under half of 100
    assert g.update(0.1, 10, now=14.0) is None
    assert g.update(0.1, 10, now=19.0) == "leave" and not g.active and g.since is None
    assert g.update(0.0, 100, now=20.0) == "enter"


def test_the_gauge_ignores_depth_when_its_threshold_is_zero() -> None:
    g = OverloadGauge(enter_wait_s=2.0, leave_wait_s=0.5, enter_queued=0, hold_s=0.0)
    assert g.update(0.0, 10**6, now=0.0) is None
    assert g.update(3.0, 0, now=1.0) == "enter"
    assert g.update(0.0, 10**6, now=2.0) == "leave"
