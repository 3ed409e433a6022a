"""Threats and sexual harassment of the host go to the moderator's review queue
(abuse) with the threat as a reason, while buyer asks with the same words stay
questions (issue #11 item 4, stop 17; lexicons/patterns.tsv, the ``curse`` line).

Before stop 17 the threats and harassment below went to the host's question
queue (主播几点下班，我去堵你, 主播内裤什么颜色, 能脱了吗) or to chatter, where
nobody sees them (你在哪，我带刀过去, 你女儿在哪上学, 主播你是处吗).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from roomwatch.core.analyze import Analyzer
from roomwatch.core.record import Comment

_PATTERNS = Path(__file__).resolve().parents[2] / "lexicons" / "patterns.tsv"


def _verdict(analyzer: Analyzer, text: str) -> tuple[str, tuple[str, ...]]:
    (v,) = analyzer.analyze([Comment(room="r", text=text, ts=0.0, id="1")])
    return v.label, v.reasons


THREATS = [
    # (comment, the threat shown in the reasons; normalised: "，" is ",")
    ("主播几点下班，我去堵你", "我去堵你"),
    ("你家在哪，我去弄你", "我去弄你"),
    ("你是哪里人，我去砍你", "我去砍你"),
    ("你在哪，我带刀过去", "我带刀过去"),
    ("主播下播后在哪，我想跟着你回家", "我想跟着你回家"),
    ("你家地址多少，我去找你算账", "我去找你算账"),
    ("再播一次试试，我去找你", "再播一次试试,我去找你"),
    ("我知道你家在哪", "我知道你家在哪"),
    ("主播住在哪个小区，晚上等着", "主播住在哪个小区"),
    ("你女儿在哪上学", "你女儿在哪上学"),
    ("主播今晚我就去堵你", "我就去堵你"),
    ("我明天去砍你", "我明天去砍你"),
    ("我要捅你", "我要捅你"),
    ("我带着刀过来找你", "我带着刀过来"),
    ("我就在你家楼下", "我就在你家楼下"),
    ("我在小区门口等着你", "我在小区门口等着你"),
    ("我知道你住哪", "我知道你住哪"),
    ("主播家住哪个小区", "主播家住哪个小区"),
    ("你孩子在哪读书", "你孩子在哪读书"),
    ("你爸妈住在哪", "你爸妈住在哪"),
    ("我要跟踪你", "我要跟踪你"),
    ("等着我去找你", "等着我去找你"),
    ("你家在哪我去找你", "你家在哪我去找你"),
    ("我要人肉你", "人肉你"),
]

HARASSMENT = [
    ("主播内裤什么颜色", "主播内裤什么颜色"),
    ("主播穿的什么颜色内衣", "主播穿的什么颜色内衣"),
    ("能脱了吗", "能脱了吗"),
    ("什么时候脱", "什么时候脱"),
    ("主播你是处吗", "你是处吗"),
    ("主播胸是不是假的，给我看看", "主播胸是不是假的,给我看看"),
    ("主播的内裤是什么颜色？", "主播的内裤是什么颜色"),
    ("你穿的啥颜色内衣", "你穿的啥颜色内衣"),
    ("什么时候脱衣服", "什么时候脱衣服"),
    ("主播脱光给我看", "主播脱光"),
    ("你还是处女吗", "你还是处女吗"),
    ("你胸好大给我看看", "你胸好大给我看看"),
]


@pytest.mark.parametrize(("text", "threat"), THREATS + HARASSMENT)
def test_threats_and_harassment_are_abuse_with_the_threat_as_reason(
    analyzer: Analyzer, text: str, threat: str
) -> None:
    label, reasons = _verdict(analyzer, text)
    assert label == "abuse", reasons
    assert f"pattern:curse:{threat}" in reasons


@pytest.mark.parametrize(
    "text",
    [
        # The brief's live-commerce asks with the same words (lingerie and
        # clothing rooms, the show's hours, where the goods ship from).
        "这款内裤有什么颜色",
        "内衣有几个颜色",
        "这件能脱卸吗",
        "几点下播",
        "主播明天还播吗",
        "主播住哪个城市发货",
        "你家店在哪",
        "发货地在哪",
        # The same words near the harassment forms.
        "这个内裤有几个颜色可以选",
        "主播身上这件内衣什么颜色",
        "主播穿的这款内衣有几个色",
        "主播，内裤什么颜色显白",
        "主播穿的内衣是几号链接",
        "主播穿的什么颜色，我想要同款",
        "你家内裤什么颜色",
        "主播内裤什么色号有货",
        "这个会脱色吗",
        "外套能脱下来单穿吗",
        "这款能不能脱水",
        "再脱一件看看里面",
        "主播住在哪，发货快吗",
        "退货地址多少",
        "主播几点下班",
        "等多久能发货",
        "胸围90穿什么码",
        "这个胸针多少钱",
        "这个刀多少钱",
        "你家在哪个城市？",
        "主播老家在哪",
    ],
)
def test_buyer_asks_with_the_same_words_stay_questions(analyzer: Analyzer, text: str) -> None:
    label, reasons = _verdict(analyzer, text)
    assert label == "question", reasons
    assert not any(r.startswith("pattern:curse:") for r in reasons)


@pytest.mark.parametrize(
    "text",
    [
        "我去，这也太帅了",
        "我知道这首歌",
        "跟着你买了好多次了",
        "猫咪好可爱我想带你回家",
        "帮我砍一刀",
        "主角最后被捅了一刀好惨",
        "我去堵车了",
        "我是处女座",
        "现在你还是处男哈哈",
        "等着我去找你买",
        "人肉叉烧包好香",
        "我想揍你哈哈哈",
        "下次你给我等着哈哈",
        "主播的胸针给我看看",
        "主播胸这里的蕾丝给我看看",
        "主播把外套脱了看看里面那件",
    ],
)
def test_chatter_with_the_same_words_is_no_threat(analyzer: Analyzer, text: str) -> None:
    label, reasons = _verdict(analyzer, text)
    assert label != "abuse", reasons
    assert not any(r.startswith("pattern:curse:") for r in reasons)


def test_the_curse_prefilter_is_truthful() -> None:
    # Lexicon skips the pattern on a text without any of its "requires"
    # characters: every match must hold one, or the skip would lose a threat.
    (line,) = [ln for ln in _PATTERNS.read_text(encoding="utf-8").splitlines()
               if ln.startswith("curse\t")]  # fmt: skip
    _, rx, requires = line.split("\t")
    curse = re.compile(rx)
    texts = [t for t, _ in THREATS + HARASSMENT] + ["祝你出门被车撞", "你家在哪个小区?"]
    found = 0
    for text in texts:
        for m in curse.finditer(text.replace("，", ",").replace("？", "?")):
            found += 1
            assert set(m.group(0)) & set(requires), m.group(0)
    assert found >= len(texts)
