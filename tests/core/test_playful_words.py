"""Words on the insult list used as motion verbs or exclamations are chatter
(lexicons/terms/allow.txt, evasion.tsv), while the insult itself still counts."""

from __future__ import annotations

import pytest

from roomwatch.core.analyze import Analyzer
from roomwatch.core.record import Comment


def _verdict(analyzer: Analyzer, text: str) -> tuple[str, tuple[str, ...]]:
    (v,) = analyzer.analyze([Comment(room="r", text=text, ts=0.0, id="1")])
    return v.label, v.reasons


@pytest.mark.parametrize("text", ["小猫在地上打滚", "我滚进被窝了", "卧操"])
def test_motion_verbs_and_exclamations_are_not_insults(analyzer: Analyzer, text: str) -> None:
    label, reasons = _verdict(analyzer, text)
    assert label == "chatter", reasons
    assert "lexicon:insult:滚" not in reasons


@pytest.mark.parametrize("text", ["滚", "你给我滚", "滚出去"])
def test_go_away_is_still_an_insult(analyzer: Analyzer, text: str) -> None:
    assert _verdict(analyzer, text)[0] == "abuse"


def _hits(analyzer: Analyzer, text: str) -> set[str]:
    (v,) = analyzer.analyze([Comment(room="r", text=text, ts=0.0, id="1")])
    return {r for r in v.reasons if r.startswith("lexicon:")}


@pytest.mark.parametrize(
    ("text", "term"),
    [("他妈的你妈太好听了", "你妈"), ("好了好了闭嘴吧", "闭嘴"), ("这有个屁用", None),
     ("笨蛋猫猫", "笨蛋")],
)  # fmt: skip
def test_intensifiers_and_playful_words_are_profanity_not_insults(
    analyzer: Analyzer, text: str, term: str | None
) -> None:
    # Issue 11: 你妈 alone, 闭嘴, 个屁 and 笨蛋 are as often intensifiers or
    # affection as insults; they are profanity (evidence, not an insult).
    hits = _hits(analyzer, text)
    assert not any(h.startswith("lexicon:insult:") for h in hits), hits
    if term is not None:
        assert f"lexicon:profanity:{term}" in hits


@pytest.mark.parametrize(
    ("text", "term"),
    [("笑nm呢", "笑你妈"), ("你装nm", "装你妈"), ("高丽棒子滚", "高丽棒子"),
     ("一群倭寇", "倭寇"), ("那个鬼佬", "鬼佬"), ("fuck you", "操you")],
)  # fmt: skip
def test_curse_shapes_and_slurs_are_insults(analyzer: Analyzer, text: str, term: str) -> None:
    assert f"lexicon:insult:{term}" in _hits(analyzer, text)


@pytest.mark.parametrize("text", ["苞米棒子好甜", "玉米棒子三块钱", "棒子面粥"])
def test_corn_is_not_a_slur(analyzer: Analyzer, text: str) -> None:
    assert not any(h.startswith("lexicon:insult:") for h in _hits(analyzer, text))


@pytest.mark.parametrize("text", ["你妈这也能赢", "你妈这么快", "他妈的太好听了"])
def test_profanity_alone_is_not_abuse_evidence(analyzer: Analyzer, text: str) -> None:
    # The guide: swearing used as an intensifier with no target is chatter. A
    # profanity hit alone does not carry an abuse verdict the model is unsure of
    # (real3 called the first two abuse at 0.57 and 0.58 on lexicon:profanity:你妈).
    label, reasons = _verdict(analyzer, text)
    assert label == "chatter", reasons
    assert any(r.startswith("lexicon:profanity:") for r in reasons), reasons
