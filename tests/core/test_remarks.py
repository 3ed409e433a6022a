"""Stop 17 of issue 11: remarks that carry an ask cue (lexicons/asks.tsv
``remark``/``topic``, roomwatch.core.asks, roomwatch.core.classify).

The remark and taunt examples are written here from Mandarin grammar and the
labelling guide; the buyer asks and insults that must be left alone include
comments of the stop's adversarial review (its reviewer's own text, not real
traffic), which an earlier form of these rules got wrong
(bench/realtraffic/README.md, "Stop 17").
"""

from __future__ import annotations

from pathlib import Path

import pytest

from roomwatch.core.analyze import Analyzer
from roomwatch.core.asks import AskCues
from roomwatch.core.record import Comment

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cues() -> AskCues:
    return AskCues.from_file(ROOT / "lexicons" / "asks.tsv")


def _verdict(analyzer: Analyzer, text: str) -> tuple[str, tuple[str, ...]]:
    (v,) = analyzer.analyze([Comment(room="r", text=text, ts=0.0, id="1")])
    return v.label, v.reasons


@pytest.mark.parametrize(
    "text",
    ["说什么就是什么", "要什么有什么", "想吃啥吃啥", "这是什么鬼", "这是什么神仙操作",
     "这歌好听在哪里？", "笑点在哪"],
)  # fmt: skip
def test_remarks_with_an_ask_cue_are_chatter_and_say_why(analyzer: Analyzer, text: str) -> None:
    # Each is a question without the remark cue (an ask cue matches its wh-word).
    label, reasons = _verdict(analyzer, text)
    assert label == "chatter", (text, reasons)
    assert not any(r.startswith("ask:") for r in reasons), reasons
    assert any(r.startswith("remark:") for r in reasons), reasons


@pytest.mark.parametrize(
    "text",
    # a buyer or host topic keeps the ask with the model and the ask cues
    ["这就是三号吗", "居然包邮吗", "要什么码有什么码吗", "哪个好看哪个便宜", "主播在干什么",
     "小雨：红色还有吗", "哥：这个怎么卖", "张姐：这个适合油皮吗",
     "家人们，哈密瓜是不是原装的！", "这件是不是偏大", "这个是不是纯棉的",
     # the adversarial review's buyer asks, which earlier rules of stop 17 took
     "这就是纯棉的吗", "这就是九块九那个吗", "居然有大码吗", "竟然能发新疆吗",
     "这个用来干啥", "这个按钮干啥", "这是什么玩意，怎么用", "怎么一股烟味？是二手的吗",
     "收到的怎么一股怪味能用吗", "怎么会员价没了", "我不怎么会用，能教一下吗",
     "这个客服是人吗还是机器人", "姐姐这个是不是真皮的", "是不是要冷藏",
     "哪里能看哪里", "这英雄强在哪啊"],
)  # fmt: skip
def test_buyer_and_host_asks_stay_questions(analyzer: Analyzer, text: str) -> None:
    label, reasons = _verdict(analyzer, text)
    assert label == "question", (text, reasons)


@pytest.mark.parametrize(
    "text",
    ["你是个什么玩意", "主播是什么东西", "你这种人怎么还不去死",
     # the adversarial review's insults and death wishes (stop 17 reverted the
     # rules that took them to chatter)
     "小雨真蠢", "潮汕佬好贱", "湾湾好蠢", "00后真蠢", "贱b", "下贱东西",
     "祝你全家甜死在医院", "希望你美死在火葬场"],
)  # fmt: skip
def test_insults_and_death_wishes_stay_abuse(analyzer: Analyzer, text: str) -> None:
    label, reasons = _verdict(analyzer, text)
    assert label == "abuse", (text, reasons)


def test_a_remark_form_never_lowers_grievance(analyzer: Analyzer) -> None:
    assert _verdict(analyzer, "这都什么玩意儿，退钱")[0] == "grievance"


@pytest.mark.parametrize("text", ["他还是人吗", "楼上有事吗?", "你礼貌吗", "你还要脸吗"])
def test_taunts_are_rhetoric_not_choice_asks(cues: AskCues, text: str) -> None:
    cue = cues.find(text)
    assert cue.ask is None and cue.rhetoric is not None, (text, cue)


@pytest.mark.parametrize("text", ["客服是人吗", "怎么会员价没了", "我不怎么会用"])
def test_a_person_ask_and_zen_me_hui_are_no_rhetoric(cues: AskCues, text: str) -> None:
    assert cues.find(text).rhetoric is None, text


def test_a_choice_ask_needs_a_second_choice(cues: AskCues) -> None:
    assert cues.find("红色还是蓝色?").ask is not None
    assert cues.find("要红的还是。。?").ask is None  # trails off, no B
    assert cues.find("这还是原味的吗?").ask is None  # 还是 = "still"


def test_a_remark_is_only_found_next_to_no_topic(cues: AskCues) -> None:
    assert cues.find("这是什么神仙嗓子").remark is not None
    assert cues.find("这是什么神仙价格").remark is None  # 价: the goods
    assert cues.find("谁和谁在一起了").remark is None  # 和: no correlative
    assert cues.find("哪里能看哪里").remark is None  # no verb before the first 哪里


def test_a_remark_yields_to_an_ask_in_another_clause(cues: AskCues) -> None:
    # The remark's own clause may point at the thing (这是…); another clause
    # that asks or has an anchor keeps the comment with the ask cues.
    assert cues.find("这是什么鬼").remark is not None
    assert cues.find("这是什么玩意,怎么用").remark is None
    assert cues.find("这是什么鬼,你们吃过吗").remark is None
    assert cues.find("什么鬼,笑死").remark is not None


@pytest.mark.parametrize(
    "text", ["这就是传说中的高手吗", "居然是他唱的吗", "抢这个干啥", "怎么一股火药味"]
)
def test_dropped_remark_forms_are_no_remarks(cues: AskCues, text: str) -> None:
    # 这就是…吗, 居然/竟然…吗, V干啥 and 怎么一股 took buyer asks (see above).
    cue = cues.find(text)
    assert cue.remark is None, (text, cue)
