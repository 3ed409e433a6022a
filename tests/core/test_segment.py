"""Segmentation with a private jieba tokenizer and the roomwatch user dictionary."""

from __future__ import annotations

import math
from pathlib import Path

import jieba
import pytest

from roomwatch.core.errors import ModelError
from roomwatch.core.segment import Segmenter

LEXICONS = Path(__file__).resolve().parents[2] / "lexicons"


@pytest.fixture(scope="module")
def seg() -> Segmenter:
    return Segmenter.from_dir(LEXICONS)


def test_user_dictionary_words_stay_whole(seg: Segmenter) -> None:
    assert seg.cut("多少钱包邮吗") == ("多少钱", "包邮", "吗")
    assert seg.cut("家人们上链接了吗") == ("家人们", "上链接", "了", "吗")
    assert "几号链接" in seg.cut("主播几号链接啊")


def test_private_tokenizer(seg: Segmenter) -> None:
    assert seg.tokenizer is not jieba.dt
    assert seg.tokenizer.FREQ.get("上链接")


def test_ascii_runs_and_spaces(seg: Segmenter) -> None:
    assert seg.cut("iphone12 pro 多少钱") == ("iphone12", "pro", "多少钱")
    assert seg.cut("") == ()
    assert seg.cut("  ") == ()


def test_tokens_cover_the_text(seg: Segmenter) -> None:
    text = "主播这个几号链接啊？家人们！！退货怎么办 abc-123"
    assert "".join(seg.cut(text)) == text.replace(" ", "")


def test_cut_batch_matches_cut(seg: Segmenter) -> None:
    texts = ["大麻烦", "口交通", "你妈妈做的饭"]
    assert seg.cut_batch(texts) == [seg.cut(t) for t in texts]
    assert seg.cut("大麻烦") == ("大", "麻烦")


def test_construction_is_cached() -> None:
    a = Segmenter.from_dir(LEXICONS)
    b = Segmenter.from_dir(LEXICONS)
    assert a.tokenizer is b.tokenizer


def test_missing_userdict(tmp_path: Path) -> None:
    with pytest.raises(ModelError):
        Segmenter.from_dir(tmp_path)


def test_tokenizer_is_built_on_demand_and_agrees(tmp_path: Path) -> None:
    # A fresh user dictionary (new cache key): the tokenizer is not kept after
    # the word table is built, and comes back with the same words when asked.
    userdict = tmp_path / "userdict.txt"
    userdict.write_text("上链接 2000 v\n# comment\n几号链接\n", encoding="utf-8")
    seg = Segmenter.from_dir(tmp_path)
    assert seg._dict._tokenizer is None
    assert seg.cut("上链接几号链接") == ("上链接", "几号链接")
    tokenizer = seg.tokenizer
    assert tokenizer is seg.tokenizer
    assert tokenizer.FREQ["上链接"] == 2000
    assert tokenizer.FREQ.get("几号链接")
    # The word table holds every word and prefix of the tokenizer, each with
    # its log probability (NaN for a prefix only), and nothing else.
    words = list(tokenizer.FREQ)
    got = seg._dict.table.lookup([*words, "不是一个词吧", "zzqx"])
    total = math.log(tokenizer.total)
    want = [math.log(f) - total if f else math.nan for f in tokenizer.FREQ.values()]
    assert [repr(v) for v in got] == [repr(v) for v in want] + ["None", "None"]


def test_repeated_runs_in_new_texts(seg: Segmenter) -> None:
    # Word runs are cached across texts; a run must cut the same wherever it is.
    first = seg.cut("主播多少钱包邮吗")
    assert seg.cut("主播多少钱包邮吗？abc 主播多少钱包邮吗") == (
        *first,
        "？",
        "abc",
        *first,
    )
