"""Moods stated in so many words: sour is negative, warm is not (lexicons/sour.txt, warm.txt)."""

from __future__ import annotations

from pathlib import Path

from roomwatch.core.analyze import SOUR_SENTIMENT, WARM_SENTIMENT, Analyzer, read_terms
from roomwatch.core.record import Comment


def _sentiments(analyzer: Analyzer, texts: list[str]) -> list[float]:
    comments = [Comment(room="r", text=t, ts=0.0, id=str(i)) for i, t in enumerate(texts)]
    return [v.sentiment for v in analyzer.analyze(comments)]


def test_a_room_turning_sour_in_so_many_words_reads_negative(analyzer: Analyzer) -> None:
    # (Written for this test; the head alone reads some of them as neutral.)
    texts = ["等了一晚上，等了个寂寞", "说好的优惠呢", "又在画饼", "真 心 寒"]
    assert all(s <= SOUR_SENTIMENT for s in _sentiments(analyzer, texts))


def test_a_term_is_not_found_across_punctuation_and_the_rest_is_left_alone(
    analyzer: Analyzer,
) -> None:
    # 白等 is no term here: 表白，等一下.
    [split] = _sentiments(analyzer, ["表白，等一下再说"])
    assert split > SOUR_SENTIMENT
    happy, plain = _sentiments(analyzer, ["苹果好甜，已回购", "几号链接"])
    assert happy > 0.3 and plain > SOUR_SENTIMENT


def test_the_terms_file_reads_longest_first_and_a_missing_file_is_no_rule(
    tmp_path: Path,
) -> None:
    path = tmp_path / "sour.txt"
    path.write_text("# a comment\n失望\n太失望\n\n", encoding="utf-8")
    pattern = read_terms(path)
    assert pattern is not None
    found = pattern.search("真的太失望了")
    assert found is not None and found.group(0) == "太失望"
    assert read_terms(tmp_path / "none.txt") is None
    (tmp_path / "empty.txt").write_text("# nothing\n", encoding="utf-8")
    assert read_terms(tmp_path / "empty.txt") is None


def test_care_and_praise_a_review_head_misreads_are_not_negative(analyzer: Analyzer) -> None:
    # Tiredness and a hoarse voice are complaints in a product review; said
    # to an official selling the county's apples they are care.
    texts = ["县长别太累了，注意身体", "嗓子都哑了，喝口水吧", "没有官架子，点赞"]
    assert all(s >= WARM_SENTIMENT for s in _sentiments(analyzer, texts))
    # A sour phrase wins over a warm one in the same comment.
    [mixed] = _sentiments(analyzer, ["辛苦了，但是说好的优惠呢"])
    assert mixed <= SOUR_SENTIMENT
