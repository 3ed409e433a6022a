"""Slot, intent and topic extraction for folding host questions."""

from __future__ import annotations

import logging
import re
import unicodedata
from typing import Any

import pytest

from roomwatch.core.slot_values import chinese_number
from roomwatch.core.slots import INTENTS, QuestionFeatures, extract

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
        "3#多少钱",
        "3＃链接多少钱",
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


def test_a_date_is_a_day_slot(feats: Any) -> None:
    assert feats("3号发货吗").slots == {"day": "3"}
    assert feats("3号之前能到吗").slots == {"day": "3"}
    assert feats("3号发货吗").signature != feats("5号发货吗").signature


def test_several_links_sizes_colours_and_regions_are_all_kept(feats: Any) -> None:
    assert feats("3号5号多少钱").slots == {"link": "3,5"}
    assert feats("5号和3号哪个好").slots == {"link": "3,5"}
    assert feats("12号和3号多少钱").slots == {"link": "3,12"}
    assert feats("穿m还是l").slots == {"size": "l,m"}
    assert feats("黑色还是白色好看").slots == {"colour": "白,黑"}
    assert feats("西藏和新疆能发吗").slots == {"region": "新疆,西藏"}


def test_colour_and_letter_size(feats: Any) -> None:
    assert dict(feats("黑色S码还有吗").slots) == {"colour": "黑", "size": "s"}
    assert dict(feats("白的s码有吗").slots) == {"colour": "白", "size": "s"}
    assert feats("xl码有吗").slots["size"] == "xl"


def test_body_measurements_in_several_spellings(feats: Any) -> None:
    expected = {"height": "160", "weight": "110"}
    assert dict(feats("身高160体重110穿什么码").slots) == expected
    assert dict(feats("160/110穿什么码").slots) == expected
    assert dict(feats("1米6 55公斤穿多大").slots) == expected


def test_bare_and_spelled_out_heights_in_sizing_questions(feats: Any) -> None:
    assert feats("160穿多大码").slots == {"height": "160"}
    assert feats("165能穿吗").slots == {"height": "165"}
    assert feats("一米六穿什么码").slots == {"height": "160"}
    assert feats("一米六五穿什么码").slots == {"height": "165"}
    # Not a height: no sizing words, or a weight.
    assert "height" not in feats("160块多少钱").slots
    assert feats("150斤穿什么码").slots == {"weight": "150"}


def test_big_medium_small_as_a_variant_not_a_degree(feats: Any) -> None:
    assert feats("大的多少钱").slots == {"grade": "大"}
    assert feats("小号多少钱").slots == {"grade": "小"}
    assert feats("中杯多少钱").slots == {"grade": "中"}
    assert feats("大果多少钱").signature != feats("小果多少钱").signature
    for text in ("多大码", "偏小吗", "最大的多少钱", "小孩能吃吗"):
        assert "grade" not in feats(text).slots, text


def test_a_slot_inside_you_ma_asks_for_stock(feats: Any) -> None:
    for text in ("有黑色吗", "有m码吗", "有3号吗", "有大的吗", "有没有黑色的"):
        assert (feats(text).intent, feats(text).aspect) == ("stock", "have"), text
    assert feats("有黑色吗").signature == feats("黑色有吗").signature
    # An intent phrase inside is not a slot: 有运费吗 asks the fee.
    assert feats("有运费吗").signature == feats("包邮吗").signature


def test_a_question_made_of_filler_words_keeps_them(feats: Any) -> None:
    assert feats("大吗").ask
    assert feats("大吗").topic == feats("大不大").topic == {"大"}
    assert feats("大吗").topic != feats("快吗").topic


def test_weights_in_words(feats: Any) -> None:
    assert dict(feats("一米六五一百二斤多大号").slots) == {"height": "165", "weight": "120"}
    assert feats("一百二十斤穿什么码").slots == {"weight": "120"}
    assert feats("九十斤能穿吗").slots == {"weight": "90"}
    assert "weight" not in feats("两斤多少钱").slots


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
        ("怎么买", "link", "how"),
        ("怎么下单", "link", "how"),
        ("什么时候过期", "shelf_life", "life"),
        ("有效期多久", "shelf_life", "life"),
        ("几月份生产的", "shelf_life", "date"),
        ("哪年生产的", "shelf_life", "date"),
        ("穿m还是l", "size", "fit"),
        # Shipping to a named place: whether and for how much is one aspect.
        ("新疆能发吗", "shipping", "area"),
        ("发新疆吗", "shipping", "area"),
        ("新疆发货吗", "shipping", "area"),
        ("发货到新疆吗", "shipping", "area"),
        ("新疆包邮吗", "shipping", "area"),
        ("新疆能到吗", "shipping", "area"),
        ("新疆什么时候发货", "shipping", "when"),
        ("新疆几天能到", "shipping", "arrive"),
        ("新疆什么快递", "shipping", "courier"),
        ("能发顺丰吗", "shipping", "courier"),
        ("能送货上门吗", "shipping", "door"),
        ("有冷链吗", "shipping", "cold"),
        ("是产地直发吗", "shipping", "origin"),
        ("有检测报告吗", "authenticity", "report"),
        ("是国产的吗", "authenticity", "origin"),
        ("是正规厂家的吗", "authenticity", "genuine"),
        ("选哪个规格", "size", "spec"),
        ("多大号合适", "size", "fit"),
        ("购物车第几个", "link", "which"),
        ("在哪下单", "link", "which"),
        ("干嘛用的", "usage", "use"),
        ("上链接", "link", "up"),
        ("拿近点看看", "show_me", "close_up"),
        ("主播哪里人", "other", "哪"),
        ("苹果甜吗", "other", "other"),
    ],
)
def test_intent_and_aspect(feats: Any, text: str, intent: str, aspect: str) -> None:
    f = feats(text)
    assert (f.intent, f.aspect) == (intent, aspect)
    assert f.intent in INTENTS


def test_region_shipping_leaves_no_verb_in_the_topic(feats: Any) -> None:
    for text in ("发新疆吗", "寄新疆吗", "发货到新疆吗", "新疆发不发", "新疆包邮吗"):
        f = feats(text)
        assert f.signature == ("shipping.area", (("region", "新疆"),)), text
        assert f.topic == frozenset(), text


def test_a_region_that_is_not_about_shipping_stays_put(feats: Any) -> None:
    assert feats("主播新疆人吗").intent == "other"
    assert feats("新疆的苹果甜吗").intent == "other"


def test_other_questions_keep_their_question_word_as_aspect(feats: Any) -> None:
    assert feats("主播哪里人").aspect == feats("主播是哪的人").aspect == "哪"
    assert feats("主播多大了").aspect == "多大"
    assert feats("苹果是什么品种").aspect == feats("苹果啥品种").aspect == "什么"
    # Not in the topic, where "什么时候抽奖" and "什么色号" would share a word.
    assert feats("什么时候抽奖").topic.isdisjoint(feats("什么色号").topic)
    # ...and a known intent does not need one.
    assert feats("多少钱").aspect == "how_much"


@pytest.mark.parametrize(
    "text",
    [
        "路过看看",
        "随便看看",
        "进来看看",
        "我再看看",
        "先看看吧",
        "来了",
        "路过",
        "打卡",
        "在吗",
        "？？？",
        "来了来了",
        "主播我来了",
        "宝宝我路过看看",
    ],
)
def test_comments_that_ask_nothing(feats: Any, text: str) -> None:
    assert not feats(text).ask


@pytest.mark.parametrize(
    "text",
    ["看看", "给我看看", "3号看看", "主播再看看", "主播哪里人", "苹果甜吗", "3号", "怎么下单"],
)
def test_asks(feats: Any, text: str) -> None:
    assert feats(text).ask


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


def test_first_characters_of_a_pattern() -> None:
    from roomwatch.core.regex_heads import first_chars as _heads

    assert _heads(r"包邮|运费") == {"包", "运"}
    assert _heads(r"(?<![候天久号])能发|可以发") == {"能", "可"}
    assert _heads(r"(?:什么|啥)(?:能)?发货?|发货时间") == {"什", "啥", "发"}
    assert _heads(r"[七7]天|能退") == {"七", "7", "能"}
    assert _heads(r"(?:多|好)?钱") == {"多", "好", "钱"}
    # Unknown or able to match nothing: no filter.
    assert _heads(r"\d+号") is None
    assert _heads(r"(?:的)?") is None
    assert _heads(r".{0,4}没发") is None


def test_rule_prefilter_changes_nothing(feats: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import json
    from pathlib import Path

    import roomwatch.core.slots as slots

    fold = Path(__file__).resolve().parents[2] / "corpus" / "fold"
    texts = [
        json.loads(line)["text"]
        for name in ("intents.jsonl", "holdout.jsonl", "meaning.jsonl")
        for line in (fold / name).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    filtered = [feats(t) for t in texts]
    monkeypatch.setattr(slots, "_RULE_MASK_ALWAYS", (1 << len(slots._RULE_RES)) - 1)
    every_rule = [feats(t) for t in texts]
    for text, a, b in zip(texts, filtered, every_rule, strict=True):
        assert (a.signature, a.words, a.ask) == (b.signature, b.words, b.ask), text
