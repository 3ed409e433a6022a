"""Normalisation: width, case, script, emotes, repeats and evasion spellings."""

from __future__ import annotations

from pathlib import Path

import pytest

from roomwatch.core.errors import ModelError
from roomwatch.core.normalize import Normalized, Normalizer, trie_pattern

LEXICONS = Path(__file__).resolve().parents[2] / "lexicons"


@pytest.fixture(scope="module")
def norm() -> Normalizer:
    return Normalizer.from_dir(LEXICONS)


def test_returns_normalized_value(norm: Normalizer) -> None:
    out = norm("主播好")
    assert out == Normalized("主播好", ())


def test_fullwidth_and_lower(norm: Normalizer) -> None:
    out = norm("ＡＢＣ１２３？")
    assert out.text == "abc123?"
    assert "fullwidth" in out.applied and "lower" in out.applied


def test_traditional_to_simplified(norm: Normalizer) -> None:
    out = norm("這個東西質量怎麼樣")
    assert out.text == "这个东西质量怎么样"
    assert "t2s" in out.applied


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("哈哈哈哈哈哈哈", "哈哈哈"),
        ("6666666", "666"),
        ("哈哈哈", "哈哈哈"),
        ("发货了吗？？？？", "发货了吗??"),
        ("!!!!!", "!!"),
    ],
)
def test_repeats(norm: Normalizer, raw: str, expected: str) -> None:
    assert norm(raw).text == expected


def test_emotes_become_category_words(norm: Normalizer) -> None:
    out = norm("主播好美[比心][比心]")
    assert out.text == "主播好美 emopos emopos"
    assert "emote:比心" in out.applied
    # Unknown bracketed text is not an emote and stays.
    assert norm("[第二件半价]").text == "[第二件半价]"


def test_emoji(norm: Normalizer) -> None:
    assert norm("太好吃了😂").text == "太好吃了 emolol"
    out = norm("发货🚚")
    assert out.text == "发货" and "emoji" in out.applied


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("傻 逼主播", "傻逼主播"),
        ("s.b", "傻逼"),
        ("傻_b", "傻逼"),
        ("你是sb吗", "你是傻逼吗"),
        ("你是ＳＢ", "你是傻逼"),
        ("煞笔", "傻逼"),
        ("沙比", "傻逼"),
        ("傻b", "傻逼"),
        ("sha bi", "傻逼"),
        ("nmsl", "你妈死了"),
        ("cnm", "操你妈"),
        ("草泥马", "操你妈"),
        ("你🐎", "你妈"),
        ("tmd 烦死了", "他妈的 烦死了"),
        ("傻😀逼", "傻逼"),
        ("你就是个傻*", "你就是个傻逼"),
        ("傻**", "傻逼"),
        ("啥b玩意", "傻逼玩意"),
        ("笑nm呢", "笑你妈呢"),
        ("装nm", "装你妈"),
        ("nmd", "你妈的"),
        ("dsb", "大傻逼"),
    ],
)
def test_evasion(norm: Normalizer, raw: str, expected: str) -> None:
    out = norm(raw)
    assert out.text == expected
    assert any(a.startswith("evasion:") for a in out.applied)


def test_evasion_records_variant_and_canonical(norm: Normalizer) -> None:
    assert norm("煞笔").applied == ("evasion:煞笔→傻逼",)


@pytest.mark.parametrize(
    "raw",
    [
        "去 sb.com 看看",  # part of a domain
        "型号tmd-2000",  # product code
        "xsb123",  # inside an id
        "草莓多少钱",  # 草 alone is not folded
        "草 笑死",
        "沙比较多",  # guarded homophone
        "你马上发货吧",  # 你马 is not 你妈
        "usb接口",  # sb inside a word (dsb itself is 大傻逼)
        "dsbx",
        "5nm工艺",  # nanometre
        "7 nm",
        "啥比赛",  # guarded homophone
    ],
)
def test_evasion_false_positives(norm: Normalizer, raw: str) -> None:
    out = norm(raw)
    assert not any(a.startswith("evasion:") for a in out.applied), out


def test_whitespace_collapses(norm: Normalizer) -> None:
    assert norm("  主播   好  ").text == "主播 好"


def test_trie_pattern_prefers_longer() -> None:
    import re

    rx = re.compile(trie_pattern(["ab", "abc", "b"]))
    assert rx.match("abc") is not None and rx.match("abc").group(0) == "abc"  # type: ignore[union-attr]
    assert rx.match("b") is not None


def test_bad_lexicon_dir(tmp_path: Path) -> None:
    with pytest.raises(ModelError):
        Normalizer.from_dir(tmp_path)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("废·物", "废物"),
        ("杂*种", "杂种"),
        ("儍逼", "傻逼"),
        ("衮", "滚"),
        ("🐷头", "猪头"),
        ("加 微 信", "加微信"),
        ("ｓｂ", "傻逼"),
    ],
)
def test_more_evasion(norm: Normalizer, raw: str, expected: str) -> None:
    assert norm(raw).text == expected


def test_sentence_punctuation_is_not_a_separator(norm: Normalizer) -> None:
    # "你，妈妈说" is two clauses, not an evasion of 你妈.
    assert norm("你，妈妈说").text == "你,妈妈说"
