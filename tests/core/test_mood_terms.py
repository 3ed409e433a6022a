"""Moods stated in so many words: sour is negative, warm is not (core/moods.py)."""

from __future__ import annotations

from pathlib import Path

from roomwatch.core.analyze import Analyzer
from roomwatch.core.moods import SOUR_SENTIMENT, WARM_SENTIMENT, MoodTerms, read_terms
from roomwatch.core.record import Comment
from roomwatch.core.shed import DEEPEST, Screen


def _sentiments(analyzer: Analyzer, texts: list[str]) -> list[float]:
    comments = [Comment(room="r", text=t, ts=0.0, id=str(i)) for i, t in enumerate(texts)]
    return [v.sentiment for v in analyzer.analyze(comments)]


def test_a_room_turning_sour_in_so_many_words_reads_negative(analyzer: Analyzer) -> None:
    # (Written for this test; the head alone reads some of them as neutral.)
    texts = ["等了一晚上，等了个寂寞", "说好的优惠呢", "又是割韭菜", "真 心 寒"]
    assert all(s <= SOUR_SENTIMENT for s in _sentiments(analyzer, texts))


def test_a_phrase_is_not_found_across_punctuation_nor_after_a_negation(
    analyzer: Analyzer,
) -> None:
    moods = analyzer.moods
    assert "脱粉" in moods.sour and "无语" in moods.sour
    # 无语 is no term in 无，语文: punctuation splits; 永不脱粉 is loyalty.
    split, loyal = _sentiments(analyzer, ["有无，语文课本也有", "永不脱粉！主播加油"])
    assert split > SOUR_SENTIMENT and loyal > SOUR_SENTIMENT
    happy, plain = _sentiments(analyzer, ["苹果好甜，已回购", "几号链接"])
    assert happy > 0.3 and plain > SOUR_SENTIMENT


def test_care_and_praise_a_review_head_misreads_are_not_negative(analyzer: Analyzer) -> None:
    # Tiredness and a hoarse voice are complaints in a product review; said
    # to an official selling the county's apples they are care.
    texts = ["县长别太累了，注意身体", "嗓子都哑了，喝口水吧", "没有官架子，点赞"]
    assert all(s >= WARM_SENTIMENT for s in _sentiments(analyzer, texts))
    # A sour phrase wins over a warm one in the same comment ...
    [mixed] = _sentiments(analyzer, ["辛苦了，但是说好的优惠呢"])
    assert mixed <= SOUR_SENTIMENT
    # ... and a complaint that opens politely keeps the head's reading.
    [polite] = analyzer.analyze([Comment(room="r", text="主播辛苦了，但是质量太差了要退款", ts=0)])
    assert polite.label == "grievance" and polite.sentiment < 0


def test_a_sour_phrase_is_a_cue_the_overload_screen_keeps(analyzer: Analyzer) -> None:
    screen = Screen.of(analyzer)
    assert screen.level("等了个寂寞", "r") == DEEPEST
    assert Screen(analyzer.classifier).level("等了个寂寞", "r") < DEEPEST


def test_the_terms_file_and_the_longest_phrase(tmp_path: Path) -> None:
    path = tmp_path / "sour.txt"
    path.write_text("# a comment\n失望\n太失望\n\n失望\n", encoding="utf-8")
    assert read_terms(path) == ("失望", "太失望")
    assert read_terms(tmp_path / "none.txt") == ()
    moods = MoodTerms(sour=read_terms(path))
    assert MoodTerms().sour == () and moods.sour == ("失望", "太失望")
