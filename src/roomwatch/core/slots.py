"""What a viewer's question is about: intent, slots and topic words.

The host's question queue folds questions that ask the same thing. This module
turns one question (its normalised text and its jieba tokens) into
:class:`QuestionFeatures`:

``intent`` and ``aspect``
    A coarse intent from a fixed list (:data:`INTENTS`: price, shipping, size,
    stock, shelf_life, ingredients, authenticity, usage, after_sales,
    next_drop, link, show_me, other) and a finer aspect inside it
    (``shipping`` → ``fee`` / ``when`` / ``arrive`` / ``courier`` / ``area``;
    ``link`` → ``which`` number / ``how`` to buy / put it ``up``).
    Two questions with different aspects never fold: "包邮吗" and
    "什么时候发货" are both about shipping but need different answers.
    Shipping to a named region is one aspect, ``area``, whether it asks if
    the shop ships there or if it is free there ("发新疆吗", "新疆发货吗",
    "新疆包邮吗"): the host answers both with one sentence ("新疆能发, 补 10 元
    运费"). A time word keeps ``when`` ("新疆什么时候发货") and a duration
    keeps ``arrive`` ("新疆几天到"). Free shipping with no place named stays
    ``fee``.

``slots``
    The values that make two otherwise identical questions different:
    ``link`` (3号 / 三号 / 3号链接 / #3 / 3# / 链接3 / 第三个 → ``"3"``),
    ``day`` (the 3 of "3号发货吗", a date), ``size`` (S/M/L/XL, 38码), ``grade``
    (大的 / 小号 / 中杯 → ``"大"`` / ``"小"`` / ``"中"``),
    ``height`` / ``weight`` (身高160 / 1米6 / 一米六 / 160穿多大 / 110斤 / 55kg, in
    cm and 斤), ``colour`` (黑色 / 黑的 → ``"黑"``), ``region`` (新疆, 偏远地区 →
    ``"偏远"``), ``spec`` (5斤装, 2箱), ``price`` (9.9元, 9块9, 九块九, ¥39) and
    ``who`` (孕妇 / 怀孕 → ``"孕妇"``, 小孩 / 孩子 / 宝宝能… → ``"儿童"``, 老人, 糖尿病,
    敏感肌). A question naming several links, sizes, colours or regions keeps
    them all, sorted and comma-separated ("3号和5号" → ``"3,5"``).
    Slots must be *equal* for two questions to fold: link 3 never folds with
    link 5 (nor with "3号和5号"), and 新疆包邮吗 never folds with 包邮吗.

``topic``
    The content words left once intent phrases, slot spans, fillers (主播, 请问,
    这个 …) and particles are gone, e.g. ``{"苹果"}`` for "这个苹果多少钱".
    Questions fold when their topics are similar enough (the queue uses the
    Jaccard index); an empty topic matches only an empty topic. An ``other``
    question's question words become its aspect (``哪``, ``什么``, ``几`` …,
    canonical and comma-joined), since they are often all that tells
    "主播哪里人" from "主播多大了".

``ask``
    False for a comment that asks the host nothing even if the classifier
    called it a question: a viewer saying what they do ("路过看看", "我再看看",
    "来了", "打卡"), or an ``other`` question with no slot, topic or question
    word left ("在吗", "???"). The queue makes no item for it.

``secondary``
    Aspects of further intents in the same comment ("3号多少钱包邮吗" asks price
    first and shipping second). They take part in the topic comparison as
    ``@shipping.fee`` words, so a double question does not fold into a single
    one.

Extraction runs regular expressions over the normalised text (which the
pipeline has lower-cased, made half-width and simplified) and filters the
tokens it is given; it never tokenises by itself. "A不A" forms (包不包邮,
甜不甜, 有没有, 是不是) are folded to "A" first.

The slot values are found by :mod:`roomwatch.core.slot_values`; this module
holds the intents, the topic and the adjustments that combine them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from roomwatch.core.intent_rules import (
    ADDRESS_RE,
    ARRIVE_TIME_RE,
    ASK_WORD_CANON,
    ASK_WORD_RE,
    BROWSE_CHARS_RE,
    BROWSE_RE,
    COURIER_NAME_RE,
    FILLER_RE,
    IMPLIED,
    NOT_CJK_RE,
    RULES,
    SHIP_TIME_RE,
    SHIP_VERB_RE,
    SHIP_WORDS_RE,
    STOP_WORDS,
    WEAK_RULES,
)
from roomwatch.core.regex_heads import first_chars
from roomwatch.core.slot_values import find_slots

__all__ = [
    "INTENTS",
    "QuestionFeatures",
    "extract",
    "with_products",
]

INTENTS: Final = (
    "price",
    "shipping",
    "size",
    "stock",
    "shelf_life",
    "ingredients",
    "authenticity",
    "usage",
    "after_sales",
    "next_drop",
    "link",
    "show_me",
    "other",
)


@dataclass(frozen=True, slots=True)
class QuestionFeatures:
    """What one question asks, as far as folding is concerned."""

    intent: str
    aspect: str
    slots: Mapping[str, str]
    topic: frozenset[str]
    secondary: frozenset[str] = frozenset()
    #: False when the comment asks the host nothing: a viewer saying what they
    #: do themselves ("路过看看", "随便看看", "来了", "打卡"), or an "other"
    #: question with no slot, topic or question word left ("在吗", "???").
    #: The queue makes no item for it.
    ask: bool = True
    #: Questions fold only when their signatures are equal: intent.aspect and
    #: every slot.
    signature: tuple[str, tuple[tuple[str, str], ...]] = field(
        init=False, repr=False, compare=False
    )
    #: Topic words plus ``@intent.aspect`` for secondary questions: what the
    #: similarity compares.
    words: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        key = (f"{self.intent}.{self.aspect}", tuple(sorted(self.slots.items())))
        object.__setattr__(self, "signature", key)
        words = self.topic
        if self.secondary:
            words = words | {f"@{a}" for a in self.secondary}
        object.__setattr__(self, "words", words)


# --------------------------------------------------------------------------
# Intents (the phrase tables are in roomwatch.core.intent_rules)


_RULE_RES: Final = tuple((intent, aspect, re.compile(p)) for intent, aspect, p in RULES)


def _rule_masks() -> tuple[dict[str, int], int]:
    """Per character, a bit mask of the rules that can start a match with it;
    and the mask of rules whose first characters are unknown (always tried)."""
    by_char: dict[str, int] = {}
    always = 0
    for n, (_, _, p) in enumerate(RULES):
        heads = first_chars(p)
        if heads is None:
            always |= 1 << n
            continue
        for ch in heads:
            by_char[ch] = by_char.get(ch, 0) | 1 << n
    return by_char, always


_RULE_MASK_BY_CHAR, _RULE_MASK_ALWAYS = _rule_masks()
_WEAK_RES: Final = tuple((intent, aspect, re.compile(p)) for intent, aspect, p in WEAK_RULES)
# Folds 包不包邮 → 包邮, 甜不甜 → 甜, 有没有 → 有, 好吃不好吃 → 好吃.
_A_NOT_A_RE: Final = re.compile(r"([\u4e00-\u9fff]{1,2})[不没]\1")
_PLACEHOLDER_RE: Final = re.compile(r"emoji:[a-z_]+|emo(?:pos|neg|lol|ask|neu)")

_STOP: Final = frozenset(STOP_WORDS.split())

_MAX_TOPIC_WORDS: Final = 12


def _collapse(text: str) -> str:
    if "不" in text or "没" in text:
        text = _A_NOT_A_RE.sub(r"\1", text)
    if "emo" in text:
        text = _PLACEHOLDER_RE.sub(" ", text)
    return text


def _intent(residual: str) -> tuple[str, str, list[str], str]:
    """Primary intent and aspect, secondary aspects and the residual text."""
    primary: tuple[str, str] | None = None
    secondary: list[str] = []
    # Only the rules that can start with a character of the text, in order.
    mask = _RULE_MASK_ALWAYS
    for ch in set(residual):
        mask |= _RULE_MASK_BY_CHAR.get(ch, 0)
    while mask:
        low = mask & -mask
        mask ^= low
        intent, aspect, rx = _RULE_RES[low.bit_length() - 1]
        if rx.search(residual) is None:
            continue
        if primary is None:
            primary = (intent, aspect)
        elif intent != primary[0] and (f"{primary[0]}.{primary[1]}", intent) not in IMPLIED:
            secondary.append(f"{intent}.{aspect}")
        residual = rx.sub("|", residual)
    for intent, aspect, rx in _WEAK_RES:
        if rx.search(residual) is None:
            continue
        if primary is None:
            primary = (intent, aspect)
        residual = rx.sub("|", residual)
    if primary is None:
        return "other", "other", secondary, residual
    return primary[0], primary[1], secondary, residual


_SPLIT_RE: Final = re.compile(r"[^\u4e00-\u9fffa-z]+")


def _topic(residual: str, tokens: Sequence[str]) -> frozenset[str]:
    words: set[str] = set()
    rest = residual
    for raw in tokens:
        token = _collapse(raw).strip() if ("不" in raw or "没" in raw) else raw
        if not token or token not in rest:
            continue
        if token in _STOP:
            rest = rest.replace(token, "|", 1)
            continue
        if not any("\u4e00" <= ch <= "\u9fff" or "a" <= ch <= "z" for ch in token):
            continue
        if token.startswith("emo"):
            continue
        if len(token) == 1 and not ("\u4e00" <= token <= "\u9fff"):
            continue
        words.add(token)
        rest = rest.replace(token, "|", 1)
        if len(words) >= _MAX_TOPIC_WORDS:
            return frozenset(words)
    # Whatever content the tokens did not cover (a token that spanned a slot or
    # an intent phrase, or a jieba split that differs from ours) is kept as runs.
    for run in _SPLIT_RE.split(rest):
        if not run:
            continue
        # Strip particles and fillers from the ends of the run.
        while run and run[-1] in _STOP:
            run = run[:-1]
        while run and run[0] in _STOP:
            run = run[1:]
        # A lone character left over (the tail of a word an intent phrase cut
        # into, like 格 of 价格 after 什么价) carries no meaning of its own.
        if len(run) > 1 and run not in _STOP and not run.startswith("emo"):
            words.add(run)
            if len(words) >= _MAX_TOPIC_WORDS:
                break
    return frozenset(words)


# --------------------------------------------------------------------------
# Meaning-level adjustments after the rules: shipping to a named region is
# one aspect, "other" questions keep their question words, and a comment that
# asks nothing is marked so (see the module docstring).


def _region_shipping(intent: str, aspect: str, collapsed: str, residual: str) -> bool:
    if intent == "shipping":
        if aspect in ("fee", "area"):
            return True
        if aspect == "when":
            return SHIP_TIME_RE.search(collapsed) is None
        if aspect == "arrive":
            return ARRIVE_TIME_RE.search(collapsed) is None
        return False
    return intent == "other" and SHIP_VERB_RE.search(residual) is not None


def _is_browsing(collapsed: str) -> bool:
    bare = NOT_CJK_RE.sub("", collapsed)
    address = ADDRESS_RE.match(bare)  # anchored: linear even on "主播主播…"
    if address is not None:
        bare = bare[address.end() :]
    return BROWSE_CHARS_RE.fullmatch(bare) is not None and BROWSE_RE.search(bare) is not None


# "Can they?" beside a who slot (敏感肌可以吗, 孕妇行不行, 老人呢): not 有儿童款吗, 给孩子买的.
_SUITS_RE: Final = re.compile(r"可以|能|行|适合|呢")


def extract(text: str, tokens: Sequence[str]) -> QuestionFeatures:
    """Features of one question: ``text`` is normalised, ``tokens`` its jieba cut."""
    collapsed = _collapse(text)
    slots, residual = find_slots(collapsed)
    intent, aspect, secondary, residual = _intent(residual)
    if "region" in slots and _region_shipping(intent, aspect, collapsed, residual):
        intent, aspect = "shipping", "area"
        residual = SHIP_WORDS_RE.sub("|", residual)
    elif (intent, aspect) == ("shipping", "area") and COURIER_NAME_RE.search(collapsed):
        aspect = "courier"  # 能发顺丰吗
    elif intent == "other" and "穿" in residual and slots.keys() & {"size", "height", "weight"}:
        intent, aspect = "size", "fit"  # "穿m还是l", "160穿哪个"
        residual = residual.replace("穿", "|")
    elif intent == "other" and "who" in slots and _SUITS_RE.search(residual):
        intent, aspect = "usage", "suit"  # "敏感肌可以吗": whether it suits them
    topic = _topic(residual, tokens)
    if intent == "other":
        marks = {ASK_WORD_CANON.get(w, w) for w in ASK_WORD_RE.findall(residual)}
        if marks:
            # In the aspect, not the topic: a topic of question words alone
            # would pull every "什么…" question into one item.
            aspect = ",".join(sorted(marks))
        elif not topic and not slots:
            # Only stop words left ("大吗", "快不快"): they are the question.
            rest = FILLER_RE.sub("", NOT_CJK_RE.sub("", residual))
            if rest:
                topic = frozenset({rest})
    empty = aspect == "other" and not slots and not topic
    ask = not empty and not _is_browsing(collapsed)
    return QuestionFeatures(
        intent=intent,
        aspect=aspect,
        slots=MappingProxyType(slots),
        topic=topic,
        secondary=frozenset(secondary),
        ask=ask,
    )


def with_products(feats: QuestionFeatures, text: str, products: Sequence[str]) -> QuestionFeatures:
    """``feats`` with a ``product`` slot: the room's products that ``text`` names.

    ``products`` are a room's product names in normalised spelling
    (``[rooms."<room>"] products``). A product inside a longer one that is
    also named counts as the longer one (苹果 in 冰糖心苹果); several are
    sorted and comma-joined, like the other slots. Topic words that are part
    of a named product leave the topic, since the slot now says it: two
    questions about different products never fold, and two about the same
    one fold however it was cut.
    """
    found = {p for p in products if p and p in text}
    if not found:
        return feats
    named = sorted(p for p in found if not any(p != q and p in q for q in found))
    slots = dict(feats.slots)
    slots["product"] = ",".join(named)
    topic = frozenset(w for w in feats.topic if not any(w in p for p in named))
    return QuestionFeatures(
        intent=feats.intent,
        aspect=feats.aspect,
        slots=MappingProxyType(slots),
        topic=topic,
        secondary=feats.secondary,
        ask=feats.ask,
    )
