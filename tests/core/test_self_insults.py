"""Stop 21: common insults the lexicon lacked, and an insult said of oneself.

The insults were written without reading any real traffic (lexicons/terms/insult.txt,
"Added in stop 21"); an insult the speaker calls themselves is self-mockery, not
abuse, when the comment addresses nobody else (roomwatch.core.evidence.insult_not_aimed).
The comments here were written for these tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from roomwatch.core.analyze import Analyzer
from roomwatch.core.evidence import insult_not_aimed
from roomwatch.core.normalize import Normalizer
from tests.support.verdicts import label_and_reasons as _verdict

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("text", "term"),
    [("主播低能", "低能"), ("楼上杠精", "杠精"), ("你个键盘侠", "键盘侠"),
     ("主播是个伪君子", "伪君子"), ("up主脑子进水了", "脑子进水"), ("楼上巨婴", "巨婴")],
)  # fmt: skip
def test_common_insults_are_abuse(analyzer: Analyzer, text: str, term: str) -> None:
    label, reasons = _verdict(analyzer, text)
    assert label == "abuse", (text, reasons)
    assert f"lexicon:insult:{term}" in reasons


@pytest.mark.parametrize(
    "text", ["我真是个低能", "我是傻逼", "本菜逼终于上分了", "我今天脑子进水了"]
)
def test_an_insult_at_oneself_is_chatter(analyzer: Analyzer, text: str) -> None:
    label, reasons = _verdict(analyzer, text)
    assert label == "chatter", (text, reasons)
    assert not any(r.startswith("lexicon:insult") for r in reasons), reasons


def test_insult_not_aimed_needs_the_speaker_and_nobody_else() -> None:
    assert insult_not_aimed("我真是个低能", "低能")
    assert not insult_not_aimed("我是傻逼你也是", "傻逼")  # someone else addressed
    assert not insult_not_aimed("主播我是傻子", "傻子")
    assert not insult_not_aimed("笑死我了这低能", "低能")  # 我 is the object: someone else is
    assert not insult_not_aimed("傻逼", "傻逼")
    assert not insult_not_aimed("我好蠢", "傻逼")  # the term is not in the text


@pytest.mark.parametrize(
    ("raw", "folded"),
    [("傻批", "傻逼"), ("菜b", "菜逼"), ("cnmb", "操你妈"), ("王八旦", "王八蛋")],
)
def test_new_evasion_spellings_fold(raw: str, folded: str) -> None:
    norm = Normalizer.from_dir(ROOT / "lexicons")
    assert norm(raw).text == folded


@pytest.mark.parametrize("raw", ["啥批次", "b站", "菜b站", "windows nt", "麻痹大意"])
def test_new_evasion_spellings_leave_ordinary_text(raw: str) -> None:
    norm = Normalizer.from_dir(ROOT / "lexicons")
    assert not any(a.startswith("evasion:") for a in norm(raw).applied), raw


@pytest.mark.parametrize(
    "text",
    ["很快就到你家门口", "快递到你家要三天", "我知道你家产品好", "不买你会后悔的", "粉丝们线下见",
     "渣女风外套好看", "笨猪跳好刺激", "不是个东西是两件", "这是啥批货", "维c你妈妈也能吃吗",
     "狗b超做完了", "衣服脱了以后挂起来", "没长脑子的我又下单了"],
)  # fmt: skip
def test_shop_talk_is_no_abuse(analyzer: Analyzer, text: str) -> None:
    # A live-commerce review (stop 21) found these words in buyers' and fans'
    # talk: threat and harassment forms and a few insults and spellings were
    # taken back (see lexicons/README.md), as in stop 17.
    label, reasons = _verdict(analyzer, text)
    assert label != "abuse", (text, reasons)


@pytest.mark.parametrize(
    "text",
    [
        "“你算什么东西”这句台词太帅了",
        "《傻逼的一生》",
        '他说"你个傻逼"然后走了',
        "我这种废物只能看别人打游戏",
    ],
)
def test_a_quoted_insult_or_one_at_oneself_is_chatter(analyzer: Analyzer, text: str) -> None:
    # A quoted line, a title, or the speaker's self-mockery: the dropped insult's
    # n-grams (the model read it) are no evidence either, whatever target is named.
    label, reasons = _verdict(analyzer, text)
    assert label == "chatter", (text, reasons)


def test_an_insult_outside_the_quotes_still_counts() -> None:
    assert not insult_not_aimed("某些“专家”就是傻逼", "傻逼")
    assert insult_not_aimed("“傻逼”这个词不文明", "傻逼")


@pytest.mark.parametrize(
    "text",
    ["你就是个“傻逼”", "主播是个“伪君子”", "我觉得客服是傻逼", "我觉得张三是傻逼", "本地人都是傻逼",
     "我服了。客服傻逼", "别烦我傻逼", "离我远点傻逼"],
)  # fmt: skip
def test_a_code_reviews_aimed_insults_stay_abuse(analyzer: Analyzer, text: str) -> None:
    # Stop 21's code review: emphasis quotes around the insult, 我 as the judge
    # rather than the judged, 本 of 本地, a clause after 。, 我 as an object.
    label, reasons = _verdict(analyzer, text)
    assert label == "abuse", (text, reasons)
