"""Evidence rules after the model: what a label needs, and what becomes of a
verdict without it (roomwatch.core.classify.Classifier.predict_batch).

A label other than chatter needs evidence a person would accept (the labelling
guide): its own lexicon hits or patterns (:data:`LABEL_EVIDENCE`), or features
that the classifier found strong enough. These helpers hold the rules that
are about the text rather than the model's numbers: a lone word with a
question mark, an ask to the room's own people about the goods or the show,
and demoting an unevidenced verdict to chatter.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from roomwatch.core.asks import AskCues
from roomwatch.core.cuelist import CueList
from roomwatch.core.lexicon import Hit
from roomwatch.core.model import LABELS

__all__ = [
    "GOODS_OR_SHOW",
    "LABEL_EVIDENCE",
    "ROOM_ROLES",
    "asks_the_room",
    "demote_unevidenced",
    "lone_word_with_mark",
]

_CHATTER = LABELS.index("chatter")

# An ask about the goods or the show (price, link, size, shipping, stock, deals,
# colour, shelf life, after-sales, whether they have it: 有没有大码; when the show
# goes on), as the guide lists the host's questions. Only such an ask turns a
# verdict the model leaned to abuse, spam or grievance into a question
# (Classifier.predict_batch).
GOODS_OR_SHOW = re.compile(
    r"钱|价|链接|[0-9一二三四五六七八九十几]号|码|尺|寸|发货|快递|邮|运费|库存|货|优惠|券"
    r"|颜色|色号|规格|保质|过期|售后|退|换|有没有|播|更新|上新|几点|时候"
)
# The room's own people and the show, as the labelling guide names them ("the
# host, the seller, the uploader"): a target of an abuse verdict only by the
# model's n-grams, never by an insult (see asks_the_room).
ROOM_ROLES = re.compile(
    r"主播|播主|up主|up|博主|老板|掌柜|店家|客服|助理|小编|家人们|观众|下播|开播|别播|直播"
)
# A lone word with a question mark ("小可爱？", "老王头？") is an echo or a reaction,
# not an ask (labelling guide: "a single word with '？' → chatter"): a question
# verdict whose only question evidence is "?" and whose text is one word
# (sentence-final particles and punctuation aside) goes to chatter.
_FINAL_PARTICLES = frozenset("啊呀嘛吧哦哇呢吗么诶欸嗯")
_LONE_WORD = 4
_NOT_CONTENT = re.compile(r"[^\w]|_")
# What keeps a short "X？" an ask: a wh-word, a verb making it a proposition, an
# A-not-A tail (包邮不？), or a buyer topic the guide lists (price, link, size,
# shipping, stock, colour: "价格？", "链接？").
_PROPOSITION = re.compile(
    r"什么|啥|谁|哪|几|多少|多久|多大|多长|怎|咋|是|有|在|能|会|要|[不没]$"
    r"|价|钱|链接|尺|码|发货|快递|运费|邮|库存|货|优惠|券|颜色|色号|规格|保质"
)
LABEL_EVIDENCE: dict[int, frozenset[str]] = {
    LABELS.index("question"): frozenset({"lex:question", "pat:ask_spec"}),
    LABELS.index("grievance"): frozenset({"lex:grievance"}),
    # Profanity alone (他妈的, 你妈 as an intensifier) is no evidence of abuse: with
    # nothing else the abuse verdict rests on n-grams and needs their bar.
    LABELS.index("abuse"): frozenset({"lex:insult", "lex:sexual", "pat:curse"}),
    LABELS.index("spam"): frozenset(
        {
            "lex:ad",
            "pat:phone",
            "pat:qq",
            "pat:wechat",
            "pat:url",
            "pat:taokouling",
            "pat:digits",
            "pat:cnnum",
            "pat:search_id",
            "pat:domain_ad",
        }
    ),
}


def lone_word_with_mark(hits: Sequence[Hit], text: str) -> bool:
    """Whether the only question evidence is "?" and the text is a lone word: at most
    _LONE_WORD characters once punctuation and final particles are dropped, and
    nothing of _PROPOSITION."""
    if any(h.evidence == "pat:ask_spec" for h in hits):
        return False
    terms = [h.term for h in hits if h.evidence == "lex:question"]
    if not terms or any(t != "?" for t in terms):
        return False
    content = _NOT_CONTENT.sub("", text).rstrip("".join(_FINAL_PARTICLES))
    return len(content) <= _LONE_WORD and _PROPOSITION.search(content) is None


def asks_the_room(asks: AskCues, targets: CueList, text: str) -> str | None:
    """The ask (``ask:<cue>``) if ``text`` is an ask about the goods or the show
    to the room's own people that names nobody else ("主播几点下播", the guide's
    "主播明天还播吗"): an ask cue about them (:data:`GOODS_OR_SHOW`), no
    rhetorical form, no target once the room's roles are taken out. Such an
    n-gram-only abuse verdict (no insult, curse or sexual term) is no abuse: the
    model's abuse n-grams here are the room's own words (主播, 下播). Any other
    ask keeps the verdict: harassment and insults come as questions too
    ("主播狗叫什么", "私下加钱能不能看", "主播胸多大") and the lexicons do not
    name every insult the model knows."""
    # (A mark in their place, so that no new word forms across it: "这助理是狗吧"
    # must not read as "这是…吧".)
    if targets.find(ROOM_ROLES.sub("\x00", text)) is not None:
        return None
    cue = asks.find(text)
    if cue.ask is None or cue.rhetoric is not None or not GOODS_OR_SHOW.search(cue.ask):
        return None
    return "ask:" + cue.ask


def demote_unevidenced(
    chosen: np.ndarray,
    probs: np.ndarray,
    evidenced: np.ndarray,
    hits: Sequence[Sequence[Hit]],
    weak: dict[int, str],
    rows: np.ndarray,
) -> None:
    """Make chatter of the ``rows`` whose verdict has neither evidencing features
    nor a hit of its label's evidence (``weak:<label>`` in their reasons)."""
    for i in np.flatnonzero(rows & (chosen != _CHATTER) & ~evidenced).tolist():
        label_i = int(chosen[i])
        wanted = LABEL_EVIDENCE[label_i]
        if any(h.evidence in wanted for h in hits[i]):
            continue
        probs[i, _CHATTER] += probs[i, label_i]
        probs[i, label_i] = 0.0
        chosen[i] = _CHATTER
        weak[i] = "weak:" + LABELS[label_i]
