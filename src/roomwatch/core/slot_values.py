"""The slot values a question names (link, size, height, colour, region, price …).

Link, day, size, grade, height, weight, colour, region, spec, price and who,
plus reading Chinese numerals (:func:`chinese_number`).

:func:`find_slots` returns them with the text where their spans are blanked,
so the intent rules and the topic (in :mod:`roomwatch.core.slots`) see only
what is left. See :mod:`roomwatch.core.slots` for what each slot holds and how
slots decide folding.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

__all__ = ["chinese_number", "find_slots"]


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
# 一百二斤, 九十斤, 一百二十斤; run over the text with taken spans masked, so
# that the 六五 of 一米六五 is not read as the start of a weight.
_CN_WEIGHT_RE: Final = re.compile(
    r"(?<![零一二两三四五六七八九十百])([一二两三四五六七八九十百]{2,5})\s*(斤|公斤)(?!装)"
)
_CN_HUNDRED_TENS_RE: Final = re.compile(r"([一二两三])百([一二三四五六七八九])")
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
    if len(values) == 1:
        return next(iter(values))
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
    if value.isdigit():
        number = int(value)
    else:
        tens = _CN_HUNDRED_TENS_RE.fullmatch(value)  # 一百二 is 120, not 102
        if tens:
            number = _CN_DIGITS[tens.group(1)] * 100 + _CN_DIGITS[tens.group(2)] * 10
        else:
            number = chinese_number(value) or 0
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

_SIZE_CONTEXT_RE: Final = re.compile(
    r"码|穿|尺码|身高|体重|合适|偏大|偏小|号型|多大号|什么号|啥号|裤|衣|裙|鞋"
)


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


def find_slots(text: str) -> tuple[dict[str, str], str]:
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
            if "size" in slots:  # a shoe size as well: "38码还是m"
                sizes.update(slots["size"].split(","))
            slots["size"] = _join(sizes)
    if not spans:
        return slots, text
    out = list(text)
    for start, end in spans:
        out[start:end] = _SLOT_MARK * (end - start)
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
        if "weight" not in slots and "斤" in text:
            masked = list(text)
            for start, end in spans:
                masked[start:end] = _SLOT_MARK * (end - start)
            found = _CN_WEIGHT_RE.search("".join(masked))
            w = _weight(found.group(1), found.group(2)) if found else None
            if found and w:
                slots["weight"] = w
                spans.append(found.span())
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
        slots["link"] = ",".join(map(str, sorted(links)))
    for m in _DAY_RE.finditer(text) if "号" in text or "日" in text else ():
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
