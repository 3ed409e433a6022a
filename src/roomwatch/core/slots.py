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
    ``day`` (the 3 of "3号发货吗", a date), ``size`` (S/M/L/XL, 38码),
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
    Jaccard index); an empty topic matches only an empty topic. In an
    ``other`` question the question words stay, as ``?哪`` / ``?什么`` / ``?几``
    …, since they are often all that tells "主播哪里人" from "主播多大了".

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
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

__all__ = [
    "INTENTS",
    "QuestionFeatures",
    "chinese_number",
    "extract",
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
# Numbers

_CN_DIGITS: Final = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "幺": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}


def chinese_number(text: str) -> int | None:
    """Read a small number written in digits or Chinese numerals (up to 999).

    >>> chinese_number("三"), chinese_number("十二"), chinese_number("二十三")
    (3, 12, 23)
    """
    if text.isdigit():
        return int(text)
    total = 0
    current = 0
    seen = False
    for ch in text:
        if ch in _CN_DIGITS:
            current = current * 10 + _CN_DIGITS[ch] if current and not seen else _CN_DIGITS[ch]
            seen = False
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
            seen = True
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
            seen = True
        else:
            return None
    return total + current


# --------------------------------------------------------------------------
# Slots

_NUM: Final = r"(\d{1,3}|[零〇一二两三四五六七八九十幺]{1,3})"
# A "3号" followed by one of these is a date ("3号发货"), not a link number.
_DATE_WORDS: Final = r"发|到货|之前|以前|前|后|开|晚上|早上|上午|下午|中午|当天|那天|左右"
_DATE_AFTER: Final = rf"(?!{_DATE_WORDS})"
_LINK_RES: Final = (
    re.compile(rf"第{_NUM}(?:个|款|件|号)(?:链接|链|宝贝|商品|产品)?"),
    re.compile(rf"(?:链接|连接|小黄车|车)\s*{_NUM}(?:号)?(?![\d斤克箱])"),
    re.compile(r"[#＃]\s*(\d{1,3})(?:号)?(?:链接|连接)?"),
    re.compile(r"(?<![\d.])(\d{1,3})\s*[#＃](?:链接|连接)?"),
    re.compile(rf"{_NUM}\s*号{_DATE_AFTER}(?:链接|连接|宝贝|商品|产品|款)?"),
    re.compile(r"(?<![\d.])(\d{1,2})\s*(?:链接|连接)"),
)
# The "3号" that _DATE_AFTER keeps from being a link is a day of the month:
# "3号发货吗" and "5号发货吗" ask about different days.
_DAY_RE: Final = re.compile(
    rf"(?<![\d#＃第]){_NUM}\s*(?:号|日)(?={_DATE_WORDS})(?:之前|以前|前|之后|以后|后|左右)?"
)

_SIZE_LETTER_RE: Final = re.compile(
    r"(?<![a-z0-9])(xxxxl|xxxl|xxl|xl|xs|[2-6]xl|s|m|l)(?![a-z])\s*(?:码|号)?"
)
_SIZE_NUMBER_RE: Final = re.compile(r"(?<![\d.])(\d{2,3})\s*(?:码|号码)")
_HEIGHT_RES: Final = (
    re.compile(r"身高\s*(1[0-9]{2}|1\.\d{1,2}|1米\d{1,2})\s*(?:cm|厘米|公分)?"),
    re.compile(r"(?<![\d.])(1[2-9]\d)\s*(?:cm|厘米|公分)"),
    re.compile(r"(?<![\d.])(1\.[4-9]\d?)\s*(?:米|m)(?![a-z])"),
    re.compile(r"(?<![\d.])([1一]米[4-9四五六七八九][\d零一二三四五六七八九]?)"),
)
# A bare 140-199 in a sizing question is a height: "160穿多大码", "165能穿吗".
_BARE_HEIGHT_RE: Final = re.compile(
    r"(?<![\d.])(1[4-9]\d)(?![\d.]|\s*(?:斤|kg|公斤|千克|元|块|码|号|g|克|ml|毫升|cm|厘米|公分|米|m))"
)
_CN_DIGIT_TABLE: Final = str.maketrans("零一二三四五六七八九", "0123456789")
_WEIGHT_EXPLICIT_RE: Final = re.compile(r"体重\s*(\d{2,3})\s*(斤|kg|公斤|千克)?")
_WEIGHT_RE: Final = re.compile(r"(?<![\d.])(\d{2,3})\s*(斤|kg|公斤|千克)(?!装)")
_BODY_PAIR_RE: Final = re.compile(
    r"(?<![\d.])(1[4-9]\d)\s*[/,，、\s]\s*(\d{2,3})\s*(斤|kg|公斤)?(?![\d.码])"
)
_SPEC_RE: Final = re.compile(
    r"(?<![\d.])(\d+(?:\.\d+)?|[一二两三四五六七八九十半]{1,2})\s*"
    r"(斤|kg|公斤|千克|g|克|箱|盒|袋|瓶|包|罐|件|个|只|条|枚|ml|毫升|l|升)装"
    r"|(?<![\d.])(\d+(?:\.\d+)?)\s*(斤|kg|公斤|箱|盒|袋|瓶|罐)(?=的|那|一|多少|几|怎么|价格|价钱|要|拍)"
)
_PRICE_RE: Final = re.compile(
    r"[¥￥]\s*(\d+(?:\.\d+)?)"
    r"|(?<![\d.])(\d+(?:\.\d+)?|[一二两三四五六七八九十百]{1,4})\s*(?:元|块钱|块|米)"
    r"([\d一二三四五六七八九])?(?![\d斤克])"
    r"|(?<![\d.])(\d{1,4}\.\d{1,2})(?![\d.]|\s*(?:米|m|斤|kg|公斤|cm|寸|l|升))"
)

_COLOURS: Final = (
    "雾霾蓝|藏青|藏蓝|酒红|军绿|墨绿|奶白|米白|米黄|奶油|天蓝|浅蓝|深蓝|浅灰|深灰|宝蓝|玫红|"
    "豆沙|香槟|焦糖|卡其|咖啡|杏|驼|橙|银|金|黑|白|红|蓝|绿|黄|紫|粉|灰|棕|咖|米"
)
_COLOUR_RE: Final = re.compile(
    rf"(?<![\d\u4e00-\u9fff])({_COLOURS})(?:色|的|款)"
    rf"|(?<![\d])({_COLOURS})色"
    rf"|(?<![\d\u4e00-\u9fff])({_COLOURS})(?=\s*(?:xxxl|xxl|xl|xs|s|m|l|\d{{2,3}}码))"
)

_REGIONS: Final = (
    "偏远地区|偏远山区|偏远|港澳台|内蒙古|内蒙|黑龙江|新疆|西藏|青海|宁夏|甘肃|海南|"
    "北京|天津|上海|重庆|河北|山西|辽宁|吉林|江苏|浙江|安徽|福建|江西|山东|河南|湖北|"
    "湖南|广东|广西|四川|贵州|云南|陕西|台湾|香港|澳门|国外|海外|东北|西北"
)
_WHO: Final = (
    ("儿童", r"小孩子|小孩|孩子|儿童|小朋友|小宝宝|宝宝(?=能|可以|吃|用|喝)|婴儿|幼儿"),
    ("孕妇", r"孕妇|怀孕|孕期|备孕|哺乳期|坐月子|月子"),
    ("老人", r"老人家|老人|老年人|老年|爸妈|父母"),
    ("糖尿病", r"糖尿病|血糖高|控糖的人"),
    ("敏感肌", r"敏感肌|过敏体质|皮肤敏感"),
)
_WHO_RES: Final = tuple((value, re.compile(p)) for value, p in _WHO)
_REGION_RE: Final = re.compile(rf"({_REGIONS})(?:地区|省|自治区)?")
_REGION_CANON: Final = {
    "偏远地区": "偏远",
    "偏远山区": "偏远",
    "内蒙古": "内蒙",
    "海外": "国外",
}


def _join(values: set[str]) -> str:
    """One slot value for several mentions: "3号和5号" asks about both."""
    return ",".join(sorted(values))


def _height(raw: str) -> str | None:
    raw = raw.translate(_CN_DIGIT_TABLE)
    if "米" in raw:
        head, _, tail = raw.partition("米")
        if not tail:
            return None
        cm = int(head) * 100 + (int(tail) * 10 if len(tail) == 1 else int(tail))
    elif "." in raw:
        cm = round(float(raw) * 100)
    else:
        cm = int(raw)
    return str(cm) if 100 <= cm <= 220 else None


def _weight(value: str, unit: str | None) -> str | None:
    number = int(value)
    if unit in {"kg", "公斤", "千克"}:
        number *= 2
    return str(number) if 40 <= number <= 400 else None


def _price(match: re.Match[str]) -> str | None:
    if match.group(1) is not None:
        value = float(match.group(1))
    elif match.group(4) is not None:
        value = float(match.group(4))
    else:
        whole = match.group(2)
        number = chinese_number(whole) if not whole[0].isdigit() else None
        value = float(whole) if whole[0].isdigit() else float(number or 0)
        if value <= 0:
            return None
        tenth = match.group(3)
        if tenth is not None:  # 9块9
            value += (int(tenth) if tenth.isdigit() else _CN_DIGITS.get(tenth, 0)) / 10
    return f"{value:g}"


# Big, medium or small as a variant ("大果", "小号", "有大的吗", "中杯"), not
# as a degree ("多大", "最大的", "偏小").
_GRADE_RE: Final = re.compile(
    r"(?<![多最太很挺偏较比么好其])(特大|超大|加大|大|中|小)"
    r"(?:号|码|的|个|款|(?=份|杯|瓶|盒|包|只|颗|袋|箱|碗|桶|罐|支|条|瓣|果|规格))"
)
_GRADE_CANON: Final = {"超大": "特大"}

_SIZE_CONTEXT_RE: Final = re.compile(r"码|穿|尺码|身高|体重|合适|偏大|偏小|号型|裤|衣|裙|鞋")


def _first_chars(*patterns: str) -> frozenset[str]:
    """Characters one of which must occur for any of ``patterns`` to match.

    Only for plain alternations of literals (lookarounds allowed): used to
    skip regular expressions that cannot match, which is most of them.
    """
    out: set[str] = set()
    for pattern in patterns:
        for alternative in pattern.split("|"):
            head = alternative.lstrip("(?:=!<")
            if not head or not ("\u4e00" <= head[0] <= "\u9fff"):
                raise ValueError(f"not a literal alternation: {pattern!r}")
            out.add(head[0])
    return frozenset(out)


_REGION_CHARS: Final = _first_chars(_REGIONS)
_WHO_CHARS: Final = _first_chars(*(p for _, p in _WHO))
_COLOUR_CHARS: Final = _first_chars(_COLOURS)
_GRADE_CHARS: Final = frozenset("大中小")
_NUMBER_CHARS: Final = frozenset("0123456789零〇一二两三四五六七八九十百幺半")
_LETTERS: Final = frozenset("abcdefghijklmnopqrstuvwxyz")


# Slot spans are blanked with this, intent phrases with "|": the rules can tell
# "有黑色吗" (a slot inside 有…吗) from "有运费吗" (an intent phrase inside).
_SLOT_MARK: Final = "\x1f"


def _slots(text: str) -> tuple[dict[str, str], str]:
    """Extract slots and return them with ``text`` where their spans are blanked."""
    slots: dict[str, str] = {}
    spans: list[tuple[int, int]] = []
    chars = set(text)

    def taken(start: int, end: int) -> bool:
        return any(start < e and s < end for s, e in spans)

    if not chars.isdisjoint(_REGION_CHARS):
        regions = set()
        for m in _REGION_RE.finditer(text):
            regions.add(_REGION_CANON.get(m.group(1), m.group(1)))
            spans.append(m.span())
        if regions:
            slots["region"] = _join(regions)
    if not chars.isdisjoint(_WHO_CHARS):
        for who, rx in _WHO_RES:
            for m in rx.finditer(text):
                if "who" not in slots:
                    slots["who"] = who
                spans.append(m.span())
    if not chars.isdisjoint(_NUMBER_CHARS):
        _numeric_slots(text, slots, spans, taken)
    if not chars.isdisjoint(_COLOUR_CHARS):
        colours = set()
        for m in _COLOUR_RE.finditer(text):
            if taken(*m.span()):
                continue
            colours.add(m.group(1) or m.group(2) or m.group(3))
            spans.append(m.span())
        if colours:
            slots["colour"] = _join(colours)
    if not chars.isdisjoint(_GRADE_CHARS):
        grades = set()
        for m in _GRADE_RE.finditer(text):
            if taken(*m.span()):
                continue
            grades.add(_GRADE_CANON.get(m.group(1), m.group(1)))
            spans.append(m.span())
        if grades:
            slots["grade"] = _join(grades)
    if not chars.isdisjoint(_LETTERS):
        sizes = set()
        for m in _SIZE_LETTER_RE.finditer(text):
            if taken(*m.span()):
                continue
            sizes.add(m.group(1))
            spans.append(m.span())
        if sizes:
            slots["size"] = _join(sizes | set(slots.get("size", "").split(",")) - {""})
    if not spans:
        return slots, text
    out = list(text)
    for start, end in spans:
        for i in range(start, end):
            out[i] = _SLOT_MARK
    return slots, "".join(out)


def _numeric_slots(
    text: str,
    slots: dict[str, str],
    spans: list[tuple[int, int]],
    taken: Callable[[int, int], bool],
) -> None:
    """Slots that hold a number: body, pack size, shoe size, link and price."""
    size_context = _SIZE_CONTEXT_RE.search(text) is not None
    pair = _BODY_PAIR_RE.search(text)
    if pair and size_context:
        h = _height(pair.group(1))
        w = _weight(pair.group(2), pair.group(3))
        if h and w:
            slots["height"], slots["weight"] = h, w
            spans.append(pair.span())
    for rx in _HEIGHT_RES:
        for m in rx.finditer(text):
            if taken(*m.span()):
                continue
            h = _height(m.group(1))
            if h and "height" not in slots:
                slots["height"] = h
                spans.append(m.span())
    if size_context and "height" not in slots:
        for m in _BARE_HEIGHT_RE.finditer(text):
            if not taken(*m.span()):
                slots["height"] = m.group(1)
                spans.append(m.span())
                break
    for m in _WEIGHT_EXPLICIT_RE.finditer(text):
        w = _weight(m.group(1), m.group(2))
        if w and "weight" not in slots and not taken(*m.span()):
            slots["weight"] = w
            spans.append(m.span())
    if size_context:
        for m in _WEIGHT_RE.finditer(text):
            if taken(*m.span()):
                continue
            w = _weight(m.group(1), m.group(2))
            if w and "weight" not in slots:
                slots["weight"] = w
                spans.append(m.span())
    for m in _SPEC_RE.finditer(text):
        if taken(*m.span()):
            continue
        number = m.group(1) if m.group(1) is not None else m.group(3)
        unit = m.group(2) if m.group(2) is not None else m.group(4)
        value = chinese_number(number)
        amount = str(value) if value is not None else number
        if "spec" not in slots:
            slots["spec"] = f"{amount}{unit}"
        spans.append(m.span())
    sizes = set()
    for m in _SIZE_NUMBER_RE.finditer(text):
        if taken(*m.span()):
            continue
        sizes.add(m.group(1))
        spans.append(m.span())
    if sizes:
        slots["size"] = _join(sizes)
    links: set[int] = set()
    for rx in _LINK_RES:
        for m in rx.finditer(text):
            if taken(*m.span()):
                continue
            value = chinese_number(m.group(1))
            if value is None or value == 0 or value > 200:
                continue
            links.add(value)
            spans.append(m.span())
    if links:
        slots["link"] = ",".join(str(n) for n in sorted(links))
    for m in _DAY_RE.finditer(text):
        if taken(*m.span()):
            continue
        value = chinese_number(m.group(1))
        if value is not None and 1 <= value <= 31 and "day" not in slots:
            slots["day"] = str(value)
            spans.append(m.span())
    for m in _PRICE_RE.finditer(text):
        if taken(*m.span()):
            continue
        price = _price(m)
        if price is None:
            continue
        if "price" not in slots:
            slots["price"] = price
        spans.append(m.span())


# --------------------------------------------------------------------------
# Intents

# (intent, aspect, pattern). The first rule that matches is the primary intent;
# the order runs from specific to general.
_RULES: Final[tuple[tuple[str, str, str], ...]] = (
    ("after_sales", "insurance", r"运费险"),
    (
        "after_sales",
        "damage",
        r"坏果|坏了|烂了|烂果|破损|碎了|压坏|包赔|理赔|坏的|坏掉|赔付|磕坏|漏了|变质|"
        r"怎么办|怎么处理|怎么赔|赔吗|赔不|赔么",
    ),
    (
        "after_sales",
        "return",
        r"退货|退换|退款|无理由|[七7]天|能退|可以退|包退|退吗|退么|换货|能换|包换|退回|可退",
    ),
    ("after_sales", "warranty", r"保修|质保|保固|维修|售后"),
    (
        "after_sales",
        "order",
        r"发货了吗|发货了没|还没发|怎么还没到|还没到|没收到|查物流|物流信息|单号|订单|拍了.{0,4}没发",
    ),
    (
        "authenticity",
        "genuine",
        r"正品|真的吗|真的假的|假的吗|假货|假的|正版|原装|保真|防伪|专柜|官方|旗舰|授权|真货|山寨|高仿|是真的",
    ),
    (
        "shelf_life",
        "life",
        r"保质期|保值期|保持期|保鲜期|有效期|能放多久|放多久|能放几天|放几天|能放多长|多久过期|会过期|能放|能存多久|能保存多久|保存多久|保存多长|"
        r"过期|到期",
    ),
    (
        "shelf_life",
        "date",
        r"生产日期|生产时间|什么时候生产|啥时候生产|哪天生产|几月份?(?:的|份)?生产|哪年(?:的)?生产|哪个月(?:的)?生产|"
        r"几号生产|什么时候做的|出厂日期|批次|日期",
    ),
    (
        "shelf_life",
        "fresh",
        r"新鲜吗|新鲜不|新鲜么|新鲜嘛|新鲜|现摘|现挖|现做|现杀|当天摘|今年的|新货|陈货|放了很久",
    ),
    ("shelf_life", "storage", r"怎么保存|怎么储存|怎么存|要冷藏|冷藏吗|放冰箱|冰箱|常温|冷冻"),
    ("ingredients", "nutrition", r"热量|卡路里|蛋白质|脂肪|含糖|糖分|无糖|升糖|控糖"),
    (
        "ingredients",
        "fabric",
        r"材质|面料|料子|纯棉|含棉|棉的|什么料|什么面料|起球|透气|真皮|羊毛|涤纶|聚酯",
    ),
    (
        "ingredients",
        "additive",
        r"添加剂|防腐剂|色素|香精|科技与狠活|添加|加了|加没加|打药|农药|催熟|打蜡|甜味剂",
    ),
    ("ingredients", "food", r"配料表|配料|成分|成份|什么做的|原料|纯的吗|什么原料"),
    ("size", "run", r"偏大|偏小|正码|码正|标准码|尺码准|尺码标准|掉码"),
    (
        "size",
        "fit",
        r"穿(?:什么|啥|多大|几)码?|码怎么选|尺码怎么选|怎么选码|怎么选|什么码|啥码|几码|多大码|哪个码|穿多大|穿什么|选多大|选什么|拍什么码|买什么码|拍多大|买多大|"
        r"能穿|可以穿|穿得下|穿的下|穿着|合适吗|合适|尺码|码数|码子|适合什么码",
    ),
    (
        "shipping",
        "fee",
        r"(?:运费|邮费|快递费)(?:要)?(?:多少钱?|几块钱?)|包邮|包油|包游|包由|包yo|运费|邮费|快递费|"
        r"免邮|免运费|邮不邮|要邮费",
    ),
    (
        "shipping",
        "origin",
        r"哪里发货|哪发货|从哪发|从哪里发|发货地|在哪发|哪里发的|哪儿发|哪里寄|从哪寄|哪个仓",
    ),
    (
        "shipping",
        "area",
        r"(?<![候天久号])能发|可以发|能寄|可以寄|寄不|发不|能送|送不|配送|送到|发到|寄到",
    ),
    (
        "shipping",
        "arrive",
        r"几天到|多久到|多久能到|几天能到|多长时间到|几天能收到|几天收到|多久能收到|多久收到|到货|几天能收|"
        r"能到吗|什么时候到|啥时候到",
    ),
    (
        "shipping",
        "when",
        r"(?:什么时候|啥时候|几时|几号|哪天|多久|几天|今天|当天|明天|马上)(?:能|可以|会)?发货?|发货时间|"
        r"发货快|发货吗|发货|现货吗|是现货|预售",
    ),
    (
        "shipping",
        "courier",
        r"什么快递|啥快递|哪家快递|哪个快递|发什么|顺丰|中通|圆通|韵达|申通|京东快递|邮政|ems|极兔|德邦|快递",
    ),
    (
        "price",
        "discount",
        r"优惠|券|便宜点|便宜些|便宜一点|打折|折扣|满减|减价|能便宜|少点|福利价|秒杀|红包|"
        r"买一送一|赠品|送什么|有送|团购|拼单|多买|买二",
    ),
    (
        "price",
        "how_much",
        r"多少钱|多钱|多少米|几多钱|好多钱|几块钱|几块|几钱|几元|多少元|多少块|什么价格|什么价位|价格|价钱|价位|"
        r"原价|啥价|什么价|"
        r"么价|咋卖|怎么卖|怎卖|咋个卖|怎么算|多少前|多少qian|售价|到手|单价|多少(?=一[斤箱盒件个袋瓶包])|"
        r"几个钱|多少银子",
    ),
    (
        "stock",
        "restock",
        r"补货|加库存|还补|补不|什么时候补|还会有|再补|补一点|补点|加点库存|加单",
    ),
    (
        "stock",
        "have",
        r"有货|还有吗|还有么|还有没|还有嘛|没货|(?<!链接)没了|(?<!链接)没有了|库存|卖完|抢完|售罄|还能拍|能拍吗|能拍么|有货吗|断货|"
        r"还有多少|剩多少|拍不了|拍不到|抢不到|没抢到|还剩|有吗|有么|有嘛|有没|"
        r"有\x1f+的?(?:吗|么|嘛|呢|$)",  # 有黑色吗, 有3号吗, 有大的吗: a slot inside 有…吗
    ),
    # How to buy at all (tap the cart, pick a spec) is answered differently
    # from which link number a product is on.
    (
        "link",
        "how",
        r"怎么买|怎么拍|怎么下单|怎么购买|怎样买|怎样下单|如何购买|如何下单|咋买|咋拍|咋下单|怎么抢|咋抢",
    ),
    (
        "link",
        "which",
        r"几号链接|几号连接|哪个链接|哪个号|几号|哪个是|拍哪个|拍几号|在几号|链接在哪|在哪拍|在哪买|哪里买|"
        r"去哪拍|哪里拍|哪拍|哪买|在哪个|哪一个|哪款",
    ),
    (
        "link",
        "up",
        r"上链接|链接呢|没链接|没有链接|链接没|挂链接|放链接|给个链接|发链接|链接啊|求链接|链接有|"
        r"找不到链接|没看到链接|小黄车|上车|上架|快上",
    ),
    (
        "next_drop",
        "next",
        r"下一个|下个|下一款|接下来|还有什么|还卖什么|什么时候上|啥时候上|几点上|几点开|什么时候开|"
        r"返场|还上吗|还会上|明天还|下次|什么时候再|再上|后面还|还播|几点播|明天播|什么时候播",
    ),
    (
        "show_me",
        "try_on",
        r"试穿|上身|穿上|穿一下|穿下|试一下|试下|上脚|试戴|戴一下",
    ),
    ("show_me", "open", r"切开|切一个|切一下|掰开|打开|剥开|开箱|拆开|开一个"),
    ("show_me", "taste", r"尝一下|尝尝|尝一个|吃一个|吃一下|试吃|尝个|吃个"),
    (
        "show_me",
        "close_up",
        r"拿近|拉近|近点|近一点|靠近|特写|细节|放大|看清|看不清|看不到|镜头",
    ),
    (
        "show_me",
        "look",
        r"给看|展示|再看|给我看|拍一下|照一下|看一眼|瞧瞧|转一圈|转一下|背面|侧面|反面|里面",
    ),
    (
        "usage",
        "eat",
        r"怎么吃(?:才|比较|最)?好吃|怎么吃比较好|怎么吃|咋吃|吃法|怎么喝|咋喝|喝法|直接吃|生吃|能生吃|泡水",
    ),
    (
        "usage",
        "cook",
        r"怎么做(?:才|比较|最)?好吃|怎么做|咋做|做法|怎么煮|怎么炒|怎么蒸|怎么烧|怎么弄|煮多久|蒸多久|怎么泡|怎么炖",
    ),
    ("usage", "wash", r"怎么洗|咋洗|水洗|机洗|手洗|洗了|掉色|缩水|能洗"),
    (
        "usage",
        "use",
        r"怎么用|咋用|用法|使用方法|怎么使用|一天几次|用量|一次用|怎么涂|怎么戴|怎么装",
    ),
    (
        "usage",
        "suit",
        r"适合吃|适合用|适合喝|适合|能吃|可以吃|能用|可以用|能喝|可以喝|过敏|吃了|用了",
    ),
)

# (primary aspect, secondary intent) pairs where the second only restates the
# first: "还有优惠吗" asks for a discount, not whether it is in stock.
_IMPLIED: Final = frozenset(
    {
        ("price.discount", "stock"),
        ("after_sales.insurance", "price"),
        ("stock.restock", "next_drop"),
        ("next_drop.next", "link"),
        ("link.up", "next_drop"),
        ("show_me.try_on", "size"),
    }
)

# Generic phrases that name an intent only when nothing more specific does
# ("3号多少", "黑色s码有没有", "链接"); when another rule matched first they are
# just removed, never counted as a second question.
_WEAK_RULES: Final[tuple[tuple[str, str, str], ...]] = (
    ("price", "how_much", r"(?<![有剩])多少(?:$|[呢啊吖呀\|\x1f])"),
    ("stock", "have", r"还有|有$"),
    ("link", "up", r"链接|连接"),
    ("show_me", "look", r"看看|看一下|看下"),
)

_RULE_RES: Final = tuple((intent, aspect, re.compile(p)) for intent, aspect, p in _RULES)
_WEAK_RES: Final = tuple((intent, aspect, re.compile(p)) for intent, aspect, p in _WEAK_RULES)
# Folds 包不包邮 → 包邮, 甜不甜 → 甜, 有没有 → 有, 好吃不好吃 → 好吃.
_A_NOT_A_RE: Final = re.compile(r"([\u4e00-\u9fff]{1,2})[不没]\1")
_PLACEHOLDER_RE: Final = re.compile(r"emoji:[a-z_]+|emo(?:pos|neg|lol|ask|neu)")

_STOP_WORDS: Final = """
    主播 主持 老板 老板娘 宝宝 宝宝们 宝子 宝子们 姐姐 小姐姐 哥哥 小哥哥 家人 家人们 亲 亲们 美女
    帅哥 老师 妹妹 姐 哥 大家 各位 朋友 朋友们 老铁 老铁们 兄弟 姐妹 姐妹们 咱 咱们
    请问 问问 问一下 问下 想问 想问下 想问一下 请教 我想 想 知道 问 一下 下 麻烦 帮 帮忙 请 谢谢 求
    这个 那个 这款 那款 这 那 这些 那些 个 款 件 种 样 的 地 得 了 着 过 吗 呢 啊 呀 吧 哦 么 嘛
    哈 额 嗯 诶 哎 啦 咯 呗 咧 捏 撒 嘞 噻 哇 吖 鸭 哒 滴 呐 喔 噢 嗷 哟 呦 嘻 嘿 呵 耶 唉 靠
    是 有 没 没有 不 还 也 都 就 能 可以 会 要 可 我 你 他 她 它 我们 你们 他们 人 自己
    多少 什么 啥 怎么 咋 怎样 怎么样 几 哪 哪个 哪里 哪儿 如何 是否 是不是 有没有 能不能 可不可以
    码 货 多久 多长 多长时间 几年 几个月 时间 时候 大概 大约 一般 差不多 该 应该 支持 不合适 收到
    哈哈 哈哈哈 嘿嘿 呵呵 嘻嘻 嘿 哼 666 66 加油 谢谢主播
    拍了 买了 下单 几个 月 几天 几年
    收到后 后 以后 之后 哪些 需要 需 要不要 发 用 卖 上 用的 准备 打算 想买 刚买 刚拍
    点 一点 多 大 小 快 快点 赶紧 可以吗 行吗 行不行 好吗
    现在 今天 刚才 刚刚 一直 到底 究竟 真 很 太 好 挺 蛮 非常 特别 比较 更 最 又 再 还是 或者
    和 跟 与 及 或 给 把 被 让 在 从 对 就是 一 一个 一样 买 拍 要 想要 需要 给我 告诉 说 说说
"""
_STOP: Final = frozenset(_STOP_WORDS.split())

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
    for intent, aspect, rx in _RULE_RES:
        if rx.search(residual) is None:
            continue
        if primary is None:
            primary = (intent, aspect)
        elif intent != primary[0] and (f"{primary[0]}.{primary[1]}", intent) not in _IMPLIED:
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
# Meaning-level adjustments after the rules

# Shipping to a named region, asked as "can you ship there" or "is it free
# there", gets one answer from the host ("新疆能发, 补 10 元运费" / "新疆不发"):
# one aspect, ``area``. A time word keeps ``when`` ("新疆什么时候发货") and a
# duration keeps ``arrive`` ("新疆几天到").
_SHIP_TIME_RE: Final = re.compile(
    r"什么时候|啥时候|几时|几号|哪天|几点|多久|几天|今天|当天|明天|后天|马上|时间|快|现货|预售"
)
_ARRIVE_TIME_RE: Final = re.compile(r"几天|多久|多长|什么时候|啥时候|几号|哪天|时间|快")
_SHIP_VERB_RE: Final = re.compile(r"发|寄|邮")
_SHIP_WORDS_RE: Final = re.compile(r"发货|发|寄|邮|送|运|到|货")
# Question words carry the meaning of an "other" question once the topic words
# are gone: "主播哪里人" and "主播多大了" are different questions, and neither
# is "主播在吗".
_ASK_WORD_RE: Final = re.compile(
    r"为什么|为啥|哪里|哪儿|哪|什么|啥|怎么样|怎么|怎样|咋|如何|"
    r"多少|几|谁|多大"
)
_ASK_WORD_CANON: Final = {
    "为啥": "为什么",
    "哪里": "哪",
    "哪儿": "哪",
    "啥": "什么",
    "怎么样": "怎么",
    "怎样": "怎么",
    "咋": "怎么",
    "如何": "怎么",
    "多少": "几",
}
# A viewer saying what they themselves are doing, not asking anything.
_BROWSE_RE: Final = re.compile(
    r"(?:我|就|先|再|也|来|过来|进来|路过|随便|随意|顺便|顺路|刚来|瞎|逛逛|逛|打卡|签到|报到|冒泡)+"
    r"(?:看看|看一看|看一下|看下|瞧瞧|瞅瞅|逛逛|逛一逛)?"
    r"[了吧啦呀哦哈啊嘛]*"
)
_NOT_CJK_RE: Final = re.compile(r"[^\u4e00-\u9fff]+")
# What is left of "在吗", "主播在吗", "是吗" once these are gone is nothing.
_FILLER_RE: Final = re.compile(
    r"主播|老板|宝宝|家人们|家人|大家|你们|你|我们|我|请问|问下|问一下|一下|这个|那个|这|那|"
    r"在|是|吗|呢|啊|吧|呀|哦|嘛|么|了|的|人|好|嗨|哈喽|哈|嗯|额|哎|诶"
)


def _region_shipping(intent: str, aspect: str, collapsed: str, residual: str) -> bool:
    if intent == "shipping":
        if aspect in ("fee", "area"):
            return True
        if aspect == "when":
            return _SHIP_TIME_RE.search(collapsed) is None
        if aspect == "arrive":
            return _ARRIVE_TIME_RE.search(collapsed) is None
        return False
    return intent == "other" and _SHIP_VERB_RE.search(residual) is not None


def _is_browsing(collapsed: str) -> bool:
    bare = _NOT_CJK_RE.sub("", collapsed)
    return bool(bare) and _BROWSE_RE.fullmatch(bare) is not None


def extract(text: str, tokens: Sequence[str]) -> QuestionFeatures:
    """Features of one question: ``text`` is normalised, ``tokens`` its jieba cut."""
    collapsed = _collapse(text)
    slots, residual = _slots(collapsed)
    intent, aspect, secondary, residual = _intent(residual)
    if "region" in slots and _region_shipping(intent, aspect, collapsed, residual):
        intent, aspect = "shipping", "area"
        residual = _SHIP_WORDS_RE.sub("|", residual)
    elif intent == "other" and "穿" in residual and slots.keys() & {"size", "height", "weight"}:
        intent, aspect = "size", "fit"  # "穿m还是l", "160穿哪个"
        residual = residual.replace("穿", "|")
    topic = _topic(residual, tokens)
    if intent == "other":
        marks = {_ASK_WORD_CANON.get(w, w) for w in _ASK_WORD_RE.findall(residual)}
        if marks:
            topic = topic | {f"?{w}" for w in marks}
        elif not topic and not slots:
            # Only stop words left ("大吗", "快不快"): they are the question.
            rest = _FILLER_RE.sub("", _NOT_CJK_RE.sub("", residual))
            if rest:
                topic = frozenset({rest})
    ask = not _is_browsing(collapsed) and not (intent == "other" and not slots and not topic)
    return QuestionFeatures(
        intent=intent,
        aspect=aspect,
        slots=MappingProxyType(slots),
        topic=topic,
        secondary=frozenset(secondary),
        ask=ask,
    )
