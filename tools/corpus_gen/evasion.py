"""Evasion spellings of abusive comments, for ``test_evasion.jsonl``."""

from __future__ import annotations

import random

from .abuse import CURSES, INSULTS, INSULTS_EVADED
from .data import load
from .vocab import REGION_PEOPLE

_D = load("evasion")

EVASION_MAP: tuple[tuple[str, tuple[str, ...]], ...] = _D["EVASION_MAP"]
FULLWIDTH = {
    c: chr(ord(c) + 0xFEE0) for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
}
# simplified -> traditional for characters common in abusive comments (own table, so
# the tool needs no converter library)
_TRAD = str.maketrans(
    "这个们说话傻头脑残垃圾废贱滚丑猪狗骗东西弱蠢货杂种畜渣电视样长还开纯恶心难听闭嘴别卖给种没"
    "吗吧么让摸约钱晚脱罩陪睡单扭转过亲乡广湖农穷鬼带孩残疾瘸娘炮哑聋瞎剩矮老气见经发爷妈爹条叫脸",
    "這個們說話傻頭腦殘垃圾廢賤滾醜豬狗騙東西弱蠢貨雜種畜渣電視樣長還開純惡心難聽閉嘴別賣給種沒"
    "嗎吧麼讓摸約錢晚脫罩陪睡單扭轉過親鄉廣湖農窮鬼帶孩殘疾瘸娘砲啞聾瞎剩矮老氣見經發爺媽爹條叫臉",
)


def _to_traditional(text: str) -> str:
    return text.translate(_TRAD)


_PRIMARY_TARGETS = frozenset(
    {w for w in INSULTS + CURSES + INSULTS_EVADED if not w.isascii() and len(w) >= 2}
    | {p for p, _ in EVASION_MAP if len(p) >= 2}
)
# words an evasion variant should disguise: insults first, then other attack words
TARGET_WORDS = tuple(
    sorted(
        {w for w in INSULTS + CURSES if len(w) >= 2 and w.isascii() is False}
        | {p for p, _ in EVASION_MAP if len(p) >= 2}
        | {
            "骗子",
            "奸商",
            "穷逼",
            "恶心",
            "猪脑子",
            "狗叫",
            "去死",
            "下播",
            "肥婆",
            "娘炮",
            "瘸子",
            "黑鬼",
            "基佬",
            "土狗",
            "滚出去",
            "偷井盖",
            "素质",
            "弄死",
            "砍死",
            "打死",
            "撞死",
            "勾引",
            "罩杯",
            "屁股",
            "睡一晚",
            "丑八怪",
            "癞蛤蟆",
            "黄脸婆",
            "大饼脸",
            "畜生",
            "人渣",
            "是猪",
            "像猪",
            "像条狗",
            "是狗",
            "蠢得",
            "死胖子",
            "丑死",
            "恶不恶心",
            "辣眼睛",
            "穷鬼",
            "穷酸",
            "土包子",
            "脏死",
            "哑巴",
            "聋子",
            "瞎子",
            "老东西",
            "剩女",
            "矮子",
            "没屁眼",
            "被车撞",
            "暴毙",
            "毁容",
            "绝症",
            "倒霉",
            "嫁不出去",
            "早点死",
            "残疾人",
            "刁民",
            "没一个好东西",
            "好东西",
            "都是",
            "就知道",
            "就会",
            "女人",
            "摸一下",
            "多少钱一晚",
            "脱了",
            "低一点",
            "掀起来",
            "黑丝",
            "扭一个",
            "收拾你",
            "小心",
            "全家",
            "砸了",
            "人肉",
            "等着",
            "穷山恶水",
            "回炉重造",
            "浪费空气",
            "没带脑子",
            "漏网之鱼",
        }
        | set(REGION_PEOPLE)
        | {w for w in INSULTS_EVADED if not w.isascii() and len(w) >= 2}
        | {"傻子", "看着就来气", "还有脸", "也配"},
        key=lambda w: (w not in _PRIMARY_TARGETS, -len(w), w),
    )
)


def _is_han(c: str) -> bool:
    return "\u4e00" <= c <= "\u9fff"


def evasion_variant(text: str, rng: random.Random) -> str:
    """Return an evasion-spelled variant of an abusive comment (never equal to ``text``).

    Substitutions target the abusive word itself: homophones / pinyin / initials /
    emoji look-alikes from ``EVASION_MAP``, separators inside the word, repeated
    characters; whole-text transforms are traditional characters and full-width
    letters.
    """
    primary: list[str] = []
    for plain, subs in EVASION_MAP:
        if plain in text:
            primary.extend(text.replace(plain, s, 1) for s in subs)
    secondary: list[str] = []
    word = next((w for w in TARGET_WORDS if w in text), "")
    if word:
        i = text.index(word)
        sep = (" ", ".", "_", "*", "·", "/", "-")[rng.randrange(7)]
        secondary.append(text[:i] + sep.join(word) + text[i + len(word) :])
        k = i + rng.randrange(len(word))
        secondary.append(text[:k] + text[k] * 3 + text[k + 1 :])
    else:
        pairs = [i for i in range(len(text) - 1) if _is_han(text[i]) and _is_han(text[i + 1])]
        if pairs:
            j = pairs[rng.randrange(len(pairs))]
            secondary.append(text[: j + 1] + "·" + text[j + 1 :])
    if any(c.isascii() and c.isalpha() for c in text):
        secondary.append("".join(FULLWIDTH.get(c, c) for c in text))
    trad = _to_traditional(text)
    if trad != text:
        secondary.append(trad)
    primary = [c for c in dict.fromkeys(primary) if c != text]
    secondary = [c for c in dict.fromkeys(secondary) if c != text]
    pool = primary if primary and rng.random() < 0.6 else (secondary or primary)
    if not pool:
        return text + text[-1] * 2
    return pool[rng.randrange(len(pool))]
