"""Stop 17 of issue 11: remarks that carry an ask cue (lexicons/asks.tsv
``remark``/``topic``, roomwatch.core.classify); the 是不是 guess bar, the
adjective-insult rule and the hyperbolic 死 were reverted after an
adversarial review, and the asks and insults they took are tests here.

Every example is written here from Mandarin grammar and the labelling guide;
none comes from the real-traffic file. Each verdict test was checked to fail
on the code before stop 17 (bench/realtraffic/README.md, "Stop 17").
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
    ["说什么就是什么", "要什么有什么", "想吃啥吃啥", "要多少有多少", "这是什么鬼",
     "这都什么玩意儿", "这是什么神仙操作", "这就是传说中的高手吗", "居然是他唱的吗",
     "抢这个干啥", "站那儿干什么", "怎么一股火药味", "这歌好听在哪里？", "笑点在哪"],
)  # fmt: skip
def test_remarks_with_an_ask_cue_are_chatter(analyzer: Analyzer, text: str) -> None:
    label, reasons = _verdict(analyzer, text)
    assert label == "chatter", (text, reasons)
    assert not any(r.startswith("ask:") for r in reasons), reasons


@pytest.mark.parametrize(
    "text",
    # a buyer or host topic keeps the ask with the model and the ask cues
    ["这就是三号吗", "这就是你们家的爆款吗", "居然包邮吗", "咋有股怪味，能退吗",
     "要什么码有什么码吗", "哪个好看哪个便宜", "主播在干什么",
     # a name and a colon address the host as often as they quote (stop 15, 17)
     "小雨：红色还有吗", "哥：这个怎么卖", "张姐：这个适合油皮吗", "阿杰:这双鞋多大码",
     # 是不是 about the goods, or about a thing pointed at
     "家人们，哈密瓜是不是原装的！", "这件是不是偏大", "这个是不是纯棉的",
     # an adversarial review's buyer asks that a 是不是 guess bar took (reverted)
     "姐姐这个是不是真皮的", "是不是要冷藏"],
)  # fmt: skip
def test_buyer_and_host_asks_stay_questions(analyzer: Analyzer, text: str) -> None:
    label, reasons = _verdict(analyzer, text)
    assert label == "question", (text, reasons)


def test_a_remark_form_never_lowers_abuse_or_grievance(analyzer: Analyzer) -> None:
    for text in ("你是个什么玩意", "主播是什么东西", "你这种人怎么还不去死"):
        assert _verdict(analyzer, text)[0] == "abuse", text
    assert _verdict(analyzer, "这都什么玩意儿，退钱")[0] == "grievance"


@pytest.mark.parametrize("text", ["他还是人吗", "楼上有事吗?", "你礼貌吗"])
def test_taunts_are_rhetoric_not_choice_asks(cues: AskCues, text: str) -> None:
    cue = cues.find(text)
    assert cue.ask is None and cue.rhetoric is not None, (text, cue)


def test_a_choice_ask_needs_a_second_choice(cues: AskCues) -> None:
    assert cues.find("红色还是蓝色?").ask is not None
    assert cues.find("要红的还是。。?").ask is None  # trails off, no B
    assert cues.find("这还是原味的吗?").ask is None  # 还是 = "still"


def test_a_remark_is_only_found_next_to_no_topic(cues: AskCues) -> None:
    assert cues.find("这就是高手的日常吗").remark is not None
    assert cues.find("这就是新款吗").remark is None  # 款: the goods
    assert cues.find("主播干啥呢").remark is None  # the host
    assert cues.find("谁和谁在一起了").remark is None  # 和: no correlative


@pytest.mark.parametrize(
    "text",
    ["你好蠢啊", "主播真贱", "这个主播真下贱", "你贱不贱啊", "蠢货主播", "贱人滚", "滚",
     # an adversarial review's insults and death wishes that an adjective-insult
     # rule and a hyperbolic 死 in the curse pattern took to chatter (reverted)
     "小雨真蠢", "潮汕佬好贱", "湾湾好蠢", "00后真蠢", "贱b", "下贱东西",
     "祝你全家甜死在医院", "希望你美死在火葬场"],
)  # fmt: skip
def test_insults_at_someone_stay_abuse(analyzer: Analyzer, text: str) -> None:
    label, reasons = _verdict(analyzer, text)
    assert label == "abuse", (text, reasons)
