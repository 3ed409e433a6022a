"""Slot, intent and topic extraction for folding host questions."""

from __future__ import annotations

import logging
import re
import unicodedata
from typing import Any

import pytest

from roomwatch.core.slots import INTENTS, QuestionFeatures, chinese_number, extract

_EMOJI_RE = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0f\u200d]+")


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    for word in ("多少钱", "包邮", "几号链接", "上链接"):
        tk.add_word(word)
    return tk


# Just enough traditional → simplified for the cases below.
_T2S = str.maketrans("號鏈錢郵嗎價", "号链钱邮吗价")


@pytest.fixture(scope="module")
def feats(tokenizer: Any) -> Any:
    def run(raw: str) -> QuestionFeatures:
        text = unicodedata.normalize("NFKC", raw).lower().translate(_T2S)
        text = _EMOJI_RE.sub("", text).strip()
        return extract(text, tuple(t for t in tokenizer.lcut(text) if t.strip()))

    return run


@pytest.mark.parametrize(
    ("text", "value"),
    [("3", 3), ("三", 3), ("十", 10), ("十二", 12), ("二十", 20), ("二十三", 23), ("两", 2)],
)
def test_chinese_number(text: str, value: int) -> None:
    assert chinese_number(text) == value


def test_chinese_number_rejects_other_text() -> None:
    assert chinese_number("三个") is None


@pytest.mark.parametrize(
    "text",
    [
        "3号链接多少钱",
        "三号多少钱？",
        "3号价格",
        "#3多少钱",
        "链接3多少钱",
        "第三个多少钱",
        "3號鏈接多少錢",
    ],
)
def test_link_number_in_any_spelling(feats: Any, text: str) -> None:
    assert feats(text).slots == {"link": "3"}


def test_two_digit_link(feats: Any) -> None:
    assert feats("十二号多少钱").slots["link"] == "12"
    assert feats("12号链接怎么卖").slots["link"] == "12"


def test_a_date_is_not_a_link(feats: Any) -> None:
    f = feats("3号发货吗")
    assert "link" not in f.slots
    assert (f.intent, f.aspect) == ("shipping", "when")


def test_colour_and_letter_size(feats: Any) -> None:
    assert dict(feats("黑色S码还有吗").slots) == {"colour": "黑", "size": "s"}
    assert dict(feats("白的s码有吗").slots) == {"colour": "白", "size": "s"}
    assert feats("xl码有吗").slots["size"] == "xl"


def test_body_measurements_in_several_spellings(feats: Any) -> None:
    expected = {"height": "160", "weight": "110"}
    assert dict(feats("身高160体重110穿什么码").slots) == expected
    assert dict(feats("160/110穿什么码").slots) == expected
    assert dict(feats("1米6 55公斤穿多大").slots) == expected


def test_shoe_size_number(feats: Any) -> None:
    assert feats("38码偏大吗").slots["size"] == "38"


def test_region(feats: Any) -> None:
    assert feats("新疆包邮吗").slots == {"region": "新疆"}
    assert feats("偏远地区包邮吗").slots == {"region": "偏远"}
    assert feats("包邮吗").slots == {}


def test_pack_size_and_price(feats: Any) -> None:
    assert feats("5斤装多少钱").slots == {"spec": "5斤"}
    assert feats("十斤装多少钱").slots == {"spec": "10斤"}
    assert feats("9块9的是几号链接").slots == {"price": "9.9"}
    assert feats("¥39的是几号").slots == {"price": "39"}
    assert feats("9.9的是几号").slots == {"price": "9.9"}


def test_who_may_use_it(feats: Any) -> None:
    assert feats("孕妇能吃吗").slots == {"who": "孕妇"}
    assert feats("小孩子可以吃吗").slots == {"who": "儿童"}
    assert feats("孕妇能吃吗").signature != feats("小孩能吃吗").signature


@pytest.mark.parametrize(
    ("text", "intent", "aspect"),
    [
        ("多少钱", "price", "how_much"),
        ("有没有优惠券", "price", "discount"),
        ("包不包邮", "shipping", "fee"),
        ("什么时候发货", "shipping", "when"),
        ("几天能到", "shipping", "arrive"),
        ("发什么快递", "shipping", "courier"),
        ("什么码合适", "size", "fit"),
        ("偏大还是偏小", "size", "run"),
        ("还有货吗", "stock", "have"),
        ("什么时候补货", "stock", "restock"),
        ("保质期多久", "shelf_life", "life"),
        ("配料表有什么", "ingredients", "food"),
        ("是不是正品", "authenticity", "genuine"),
        ("怎么吃", "usage", "eat"),
        ("能退吗", "after_sales", "return"),
        ("下一个是什么", "next_drop", "next"),
        ("几号链接", "link", "which"),
        ("上链接", "link", "up"),
        ("拿近点看看", "show_me", "close_up"),
        ("主播哪里人", "other", "other"),
    ],
)
def test_intent_and_aspect(feats: Any, text: str, intent: str, aspect: str) -> None:
    f = feats(text)
    assert (f.intent, f.aspect) == (intent, aspect)
    assert f.intent in INTENTS


def test_a_not_a_folds_to_a(feats: Any) -> None:
    assert feats("包不包邮") == feats("包邮吗")
    assert feats("苹果甜不甜").topic == feats("苹果甜吗").topic == {"苹果", "甜"}


def test_topic_keeps_the_product_and_drops_fillers(feats: Any) -> None:
    assert feats("主播这个苹果多少钱呀").topic == {"苹果"}
    assert feats("苹果多少钱").topic != feats("橙子多少钱").topic
    assert feats("3号链接多少钱").topic == frozenset()


def test_typos_dialect_and_emoji(feats: Any) -> None:
    plain = feats("多少钱")
    for text in ("多少前", "几多钱", "好多钱", "多少钱🤔🤔", "多钱"):
        assert feats(text).signature == plain.signature, text
        assert feats(text).topic == plain.topic, text
    assert feats("包油吗").signature == feats("包邮吗").signature


def test_second_question_in_one_comment(feats: Any) -> None:
    f = feats("3号多少钱包邮吗")
    assert f.secondary
    assert f.words != feats("3号包邮吗").words
    # ...but a phrase that only restates the first does not count.
    assert not feats("运费多少").secondary
    assert not feats("运费多少钱").secondary
    assert not feats("还有优惠吗").secondary


def test_signature_carries_all_slots(feats: Any) -> None:
    assert feats("黑色s码还有吗").signature != feats("白色s码还有吗").signature
    assert feats("3号多少钱").signature != feats("5号多少钱").signature
