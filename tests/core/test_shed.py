"""The overload screen and degrade-mode gauge (pure, synchronous)."""

from __future__ import annotations

import dataclasses

import pytest

from roomwatch.core.analyze import TYPED_KINDS, Analyzer
from roomwatch.core.record import Comment
from roomwatch.core.shed import (
    DEEPEST,
    SHED_REASON,
    OverloadGauge,
    Screen,
    ShedCount,
    Thinner,
    shed_verdict,
    split,
)
from roomwatch.core.verdict import Verdict

from ..conftest import SAMPLES, read_recording


def _comments() -> list[Comment]:
    return [
        Comment.from_dict(row, received_at=0.0) for row in read_recording(SAMPLES / "demo.jsonl.gz")
    ]


def test_the_screen_sheds_nothing_the_full_analysis_would_label(analyzer: Analyzer) -> None:
    comments = _comments()
    screen = Screen(analyzer.classifier)
    full, shed, _ = split(comments, analyzer.normalizer, screen, TYPED_KINDS)
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


def test_the_gauge_goes_deep_when_still_behind_and_eases_back_when_calm() -> None:
    g = OverloadGauge(2.0, 0.5, enter_queued=100, hold_s=5.0, deep_after_s=3.0)
    assert g.update(0.0, 100, now=0.0) == "enter" and not g.deep
    assert g.update(0.0, 100, now=2.9) is None and not g.deep
    assert g.update(0.0, 100, now=3.0) == "deep" and g.deep and g.level == 2
    assert g.update(0.0, 100, now=5.9) is None
    assert g.update(0.0, 100, now=6.0) == "deep" and g.level == DEEPEST
    assert g.update(0.0, 100, now=60.0) is None and g.level == DEEPEST
    # Each calm hold_s: a level back up; at level 0, out.
    assert g.update(0.1, 10, now=61.0) is None
    assert g.update(0.1, 10, now=66.0) == "ease" and g.level == 2
    assert g.update(0.1, 10, now=71.0) == "ease" and g.level == 1 and not g.deep
    assert g.update(0.1, 10, now=75.9) is None
    assert g.update(0.1, 10, now=76.0) == "leave" and not g.active


def test_a_gauge_without_deep_after_never_goes_deep() -> None:
    g = OverloadGauge(2.0, 0.5, enter_queued=100, hold_s=5.0)
    assert g.update(0.0, 100, now=0.0) == "enter"
    assert g.update(0.0, 100, now=1000.0) is None and not g.deep


def test_levels_strong_evidence_weak_evidence_and_none(analyzer: Analyzer) -> None:
    screen = Screen(analyzer.classifier, 0.2)
    norm = analyzer.normalizer
    for text in ("你是傻逼吧", "加微信 abc12345", "这是什么?", "看 www.example.com", "1234567"):
        assert screen.level(norm(text).text, "r") == 3, text
    assert screen.level(norm("哈哈哈").text, "r") == 0
    assert screen.level(norm("  ").text, "r") == 0


@pytest.mark.parametrize("depth", [2, 3])
def test_deep_split_analyses_every_one_at_depth_and_one_in_n_under(
    analyzer: Analyzer, depth: int
) -> None:
    comments = _comments()
    norm = analyzer.normalizer
    screen = Screen(analyzer.classifier, 0.2)
    levels = [
        screen.level(norm(c.text).text, c.room) if c.kind in TYPED_KINDS and c.text.strip() else 3
        for c in comments
    ]
    weak = [i for i, lv in enumerate(levels) if 1 <= lv < depth]
    assert len(weak) > 100
    full, shed, seen = split(
        comments, norm, Screen(analyzer.classifier, 0.2), TYPED_KINDS, depth=depth, every=10
    )
    fulls = set(full)
    assert all(i in fulls for i, lv in enumerate(levels) if lv >= depth)
    assert sum(i in fulls for i in weak) == len(weak) // 10
    assert sorted(full + [i for i, _ in shed]) == list(range(len(comments)))
    # The screen's normalised text is handed on for the analyser.
    assert all(seen[i].text == norm(comments[i].text).text for i in seen)


def _verdict(analyzer: Analyzer, text: str, ts: float = 1.5, kind: str = "comment") -> Verdict:
    c = Comment(room="r", text=text, ts=ts, kind=kind)
    return analyzer.analyze([c])[0]


def test_the_thinner_keeps_labels_events_negatives_and_a_sample(analyzer: Analyzer) -> None:
    thin = Thinner(every=3, keep_below=-0.8)
    chatter = _verdict(analyzer, "哈哈哈")
    assert chatter.label == "chatter" and chatter.sentiment > -0.8
    assert [thin.keeps(chatter) for _ in range(6)] == [False, False, True] * 2
    question = _verdict(analyzer, "这个多少钱?")
    assert question.label == "question" and thin.keeps(question)
    assert thin.keeps(_verdict(analyzer, "进入直播间", kind="enter"))
    assert thin.keeps(dataclasses.replace(chatter, sentiment=-0.9))
    shed = shed_verdict(chatter.comment, chatter.normalized, ("m", "l", "c"))
    assert not any(thin.keeps(shed) for _ in range(6))  # never analysed: never a sample


def test_shed_counts_are_per_room_and_second(analyzer: Analyzer) -> None:
    counts: dict[tuple[str, int], ShedCount] = {}
    a = _verdict(analyzer, "哈哈哈", ts=10.2)
    b = dataclasses.replace(a, comment=dataclasses.replace(a.comment, ts=10.7), sentiment=-0.5)
    c = dataclasses.replace(a, comment=dataclasses.replace(a.comment, ts=11.0))
    for v, lag in ((a, 1.0), (b, 3.0), (c, None)):
        Thinner.count(counts, v, lag)
    first = counts["r", 10]
    assert (first.n, first.newest, first.lag_max, first.negatives) == (2, 10.7, 3.0, [-0.5])
    assert first.sentiment == a.sentiment - 0.5
    assert counts["r", 11].n == 1 and counts["r", 11].lag_max is None


def test_the_screens_ask_check_agrees_with_the_full_ask_search(analyzer: Analyzer) -> None:
    # The screen asks AskCues.has_ask (no rhetoric search); it must find an
    # ask exactly where find() does, sure asks and plain ones alike.
    asks = analyzer.classifier.ask_cues
    texts = [analyzer.normalizer(c.text).text for c in _comments() if c.text.strip()]
    texts += ["请问这个多少钱", "这首歌叫什么", "bgm是啥呀", "怎么买", "你说呢", "哈哈哈"]
    found = [t for t in texts if asks.find(t).ask is not None]
    assert len(found) > 20  # the check is not vacuous
    assert [t for t in texts if asks.has_ask(t)] == found
    # A rhetorical form alone is no ask.
    rhetoric = [t for t in texts if asks.find(t).rhetoric is not None and asks.find(t).ask is None]
    assert not any(asks.has_ask(t) for t in rhetoric)


def test_a_shed_verdict_is_shed_by_the_thinner_even_when_deep(analyzer: Analyzer) -> None:
    c = Comment.from_dict({"room": "r", "text": "哈哈哈", "ts": 1.0}, received_at=0.0)
    v = shed_verdict(c, analyzer.normalizer(c.text), ("m", "l", "c"))
    thinner = Thinner(every=1, keep_below=0.0)  # one in 1: every other chatter is kept
    assert not thinner.keeps(v) and not thinner.keeps(v, deep=True)
    # An equal reasons tuple that is not the screen's own object is shed too.
    assert not thinner.keeps(dataclasses.replace(v, reasons=(SHED_REASON,)))
