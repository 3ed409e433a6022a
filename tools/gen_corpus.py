"""Generate roomwatch's labelled live-room comment corpus (dev-time only).

Run ``python tools/gen_corpus.py [--out corpus/live] [--seed 1126]``. The output is
deterministic for a given seed: ``train.jsonl``, ``dev.jsonl``, ``test.jsonl`` and
``test_evasion.jsonl``, one JSON object per line::

    {"text": ..., "label": ..., "sentiment": -1|0|1, "domain": ..., "hard": bool}

The generator is a compositional grammar: every *family* builds a core phrase from
independent slot pools (openers, products, asks, particles, tails, emoji, typos,
dialect) and a shared finishing step adds address terms, particles, punctuation,
emoji and noise. Generalisation is measured by holding out whole families and whole
products for dev/test (see ``corpus/live/README.md``). Hand-written data is never
read here.
"""

from __future__ import annotations

import argparse
import functools
import json
import random
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "DOMAINS",
    "LABELS",
    "SPLITS",
    "Row",
    "evasion_variant",
    "generate",
    "main",
    "norm_key",
    "write_corpus",
]

LABELS = ("question", "grievance", "abuse", "spam", "chatter")
DOMAINS = ("beauty", "food", "fruit", "zhunong", "clothing", "electronics", "general")
SPLITS = ("train", "dev", "test")
MAX_PER_KEY = 2  # at most two rows per split differ only in punctuation/emoji/spacing
OWN_SHARE = 0.4  # dev/test: share of draws from held-out families (rest: held-out slots)
SPLIT_SHARE = {"train": 0.70, "dev": 0.15, "test": 0.15}
LABEL_TOTALS = {
    "question": 3600,
    "chatter": 3600,
    "grievance": 2600,
    "abuse": 2600,
    "spam": 2600,
}


@dataclass(frozen=True, slots=True)
class Row:
    text: str
    label: str
    sentiment: int
    domain: str
    hard: bool = False
    family: str = ""  # generator family (internal; not written to the corpus files)

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "label": self.label,
            "sentiment": self.sentiment,
            "domain": self.domain,
            "hard": self.hard,
        }


# ---------------------------------------------------------------------------
# Vocabulary pools
# ---------------------------------------------------------------------------

PRODUCTS: dict[str, tuple[str, ...]] = {
    "beauty": (
        "口红",
        "粉底液",
        "面膜",
        "精华",
        "防晒霜",
        "眼影盘",
        "洗面奶",
        "爽肤水",
        "面霜",
        "卸妆油",
        "气垫",
        "睫毛膏",
        "香水",
        "身体乳",
        "眉笔",
        "散粉",
        "唇釉",
        "护手霜",
        "洗发水",
        "安瓶",
        "眼霜",
        "隔离霜",
        "遮瑕",
        "腮红",
        "精华水",
        "发膜",
        "沐浴露",
    ),
    "food": (
        "螺蛳粉",
        "牛肉干",
        "辣条",
        "坚果",
        "自热火锅",
        "酸辣粉",
        "鸭脖",
        "月饼",
        "粽子",
        "纯牛奶",
        "燕麦片",
        "咖啡",
        "茶叶",
        "腊肠",
        "火腿肠",
        "饼干",
        "海苔",
        "方便面",
        "猪肉脯",
        "酸奶",
        "卤蛋",
        "鸡爪",
        "凤爪",
        "麻花",
        "芝麻丸",
        "挂面",
        "老干妈",
    ),
    "fruit": (
        "车厘子",
        "芒果",
        "草莓",
        "榴莲",
        "脐橙",
        "葡萄",
        "荔枝",
        "西瓜",
        "蓝莓",
        "猕猴桃",
        "苹果",
        "香梨",
        "水蜜桃",
        "柚子",
        "菠萝",
        "火龙果",
        "山竹",
        "哈密瓜",
        "柠檬",
        "沃柑",
        "丑橘",
        "樱桃",
        "百香果",
        "杨梅",
        "石榴",
        "冬枣",
        "椰子",
    ),
    "zhunong": (
        "苹果",
        "猕猴桃",
        "小米",
        "核桃",
        "红薯",
        "土鸡蛋",
        "蜂蜜",
        "木耳",
        "香菇",
        "大米",
        "玉米",
        "土豆",
        "红枣",
        "枸杞",
        "腊肉",
        "茶油",
        "粉条",
        "花生",
        "山药",
        "黑猪肉",
        "板栗",
        "土蜂蜜",
        "紫薯",
        "黄小米",
        "菜籽油",
        "笋干",
        "荞麦面",
    ),
    "clothing": (
        "羽绒服",
        "卫衣",
        "牛仔裤",
        "连衣裙",
        "大衣",
        "毛衣",
        "衬衫",
        "打底裤",
        "运动鞋",
        "T恤",
        "外套",
        "半身裙",
        "西装",
        "冲锋衣",
        "睡衣",
        "袜子",
        "帽子",
        "围巾",
        "马丁靴",
        "阔腿裤",
        "棉服",
        "针织衫",
        "打底衫",
        "小白鞋",
        "保暖内衣",
        "加绒裤",
        "马甲",
    ),
    "electronics": (
        "耳机",
        "充电宝",
        "手机壳",
        "数据线",
        "蓝牙音箱",
        "手机",
        "平板",
        "智能手表",
        "扫地机器人",
        "吹风机",
        "电动牙刷",
        "键盘",
        "鼠标",
        "空气炸锅",
        "榨汁机",
        "台灯",
        "充电器",
        "剃须刀",
        "投影仪",
        "电饭煲",
        "破壁机",
        "加湿器",
        "电热毯",
        "路由器",
        "行车记录仪",
        "卷发棒",
        "按摩仪",
    ),
}

HOLDOUT_MIN = 9

# Canonical phrasings named in the label guide: they are always train vocabulary and
# are never held out (a pool item containing one of these stays in train).
CORE_TERMS = frozenset(
    {
        "求链接",
        "价格",
        "几号链接",
        "链接",
        "多少钱",
        "包邮",
        "发货",
        "七天无理由",
        "正品",
        "再讲一下",
        "近一点看看",
        "试穿",
        "成分",
        "保质期",
        "尺码",
        "傻b",
        "s b",
        "煞笔",
        "沙比",
        "nmsl",
        "cnm",
        "tmd",
        "草泥马",
        "你🐎",
        "傻 逼",
        "s.b",
        "傻逼",
        "sb",
        "主播好",
        "来了来了",
        "666",
        "扣1",
        "哈哈哈",
        "买了",
        "抢到了",
        "主播好美",
        "第一次来",
        "家人们冲",
        "打卡",
        "笑死我了",
        "加V",
        "加微",
        "vx",
        "威信",
        "薇",
        "扣扣",
        "看主页",
        "刷单",
        "兼职日结",
        "代开发票",
        "来我直播间",
        "不发货",
        "没人管",
        "假货",
        "客服不回",
        "拖欠工资",
        "拆迁补偿",
        "低保",
        "路",
        "看病难",
        "村里的水",
        "烂",
        "发霉",
        "骗子",
        "滚",
        "楼上",
        "微信群",
        "大麻烦",
        "打call",
        "口交通",
    }
)


def _is_core(item: str) -> bool:
    return any(t in item for t in CORE_TERMS)


@functools.lru_cache(maxsize=4096)
def _partition(seq: tuple[str, ...], split: str) -> tuple[list[str], list[str]]:
    """(items of ``seq`` held for ``split``, core items that always stay in train)."""
    core = [x for x in seq if _is_core(x)]
    rest = [x for x in seq if not _is_core(x)]
    return [x for i, x in enumerate(rest) if _index_split(i) == split], core


# pool index -> split. Every 7th item (offset 3) is test-only, every 7th (offset 5) is
# dev-only; used for products and for every phrase pool picked with ``Ctx.hpick``.
def _index_split(index: int) -> str:
    if index % 7 == 3:
        return "test"
    if index % 7 == 5:
        return "dev"
    return "train"


PRODUCT_DOMAINS = tuple(d for d in DOMAINS if d != "general")

COLORS = (
    "黑色",
    "白色",
    "红色",
    "杏色",
    "灰色",
    "藏青",
    "粉色",
    "卡其色",
    "米白",
    "焦糖色",
    "奶茶色",
    "墨绿",
    "酒红",
    "浅蓝",
    "豆沙色",
    "燕麦色",
)
SIZES = ("S", "M", "L", "XL", "XXL", "2XL", "3XL", "均码", "36码", "38码", "40码", "42码")
ADDRESS = (
    "主播",
    "宝宝",
    "姐姐",
    "小姐姐",
    "老铁",
    "家人们",
    "美女",
    "帅哥",
    "老板",
    "哥",
    "亲",
    "姐妹们",
    "主播姐姐",
    "主播小哥哥",
    "老师",
    "大哥",
    "妹子",
    "宝子",
    "亲亲",
)
ZHUNONG_ADDRESS = ("书记", "县长", "镇长", "村长", "领导", "主任", "书记同志", "局长")
PARTICLES = (
    "啊",
    "呀",
    "呢",
    "吧",
    "哈",
    "嘛",
    "哦",
    "啦",
    "捏",
    "鸭",
    "噻",
    "撒",
    "嘞",
    "哇",
    "哟",
    "呐",
)
PUNCT = (
    "",
    "",
    "",
    "！",
    "!!",
    "？",
    "??",
    "？？？",
    "。。。",
    "~",
    "~~",
    "…",
    "!",
    "?",
    "。",
    "？",
    "?",
    "？？",
)
STATEMENT_PUNCT = (
    "",
    "",
    "",
    "",
    "！",
    "!!",
    "。。。",
    "~",
    "~~",
    "…",
    "!",
    "。",
    "！！！",
    "",
    "~",
)
EMOJI = (
    "😂",
    "🤣",
    "😍",
    "👍",
    "🙏",
    "❤️",
    "🔥",
    "😭",
    "🤔",
    "👀",
    "💯",
    "🌹",
    "😘",
    "🥰",
    "😅",
    "🙄",
    "✨",
    "🎉",
    "😁",
    "🤗",
    "😊",
    "💪",
    "👏",
    "🥺",
)
POS_EMOJI = (
    "😍",
    "👍",
    "❤️",
    "🔥",
    "💯",
    "🌹",
    "😘",
    "🥰",
    "✨",
    "🎉",
    "😁",
    "🤗",
    "👏",
    "😊",
    "💪",
)
NEG_EMOJI = ("😡", "😭", "💢", "😤", "🙄", "😠", "👎", "😞", "🤬")
EMOTES = (
    "[比心]",
    "[赞]",
    "[玫瑰]",
    "[666]",
    "[捂脸]",
    "[笑哭]",
    "[呲牙]",
    "[鼓掌]",
    "[爱心]",
    "[强]",
    "[微笑]",
    "[送心]",
    "[机智]",
    "[耶]",
    "[害羞]",
    "[色]",
    "[偷笑]",
    "[抱拳]",
)
NEG_EMOTES = ("[流泪]", "[发怒]", "[大哭]", "[抠鼻]", "[撇嘴]", "[再见]", "[白眼]", "[难过]")
PLACES = (
    "河南",
    "山东",
    "四川",
    "东北",
    "广东",
    "湖南",
    "新疆",
    "西藏",
    "内蒙",
    "云南",
    "贵州",
    "江苏",
    "浙江",
    "福建",
    "广西",
    "甘肃",
    "陕西",
    "山西",
    "安徽",
    "江西",
    "海南",
    "青海",
    "宁夏",
    "黑龙江",
    "吉林",
    "辽宁",
    "河北",
    "湖北",
    "重庆",
    "上海",
    "北京",
    "天津",
)
REGION_PEOPLE = (
    "河南人",
    "东北人",
    "安徽人",
    "上海人",
    "广东人",
    "四川人",
    "湖南人",
    "山东人",
    "新疆人",
    "福建人",
    "北京人",
    "农村人",
    "乡下人",
    "外地人",
    "南方人",
    "北方人",
)
ROOM_NAMES = (
    "小美严选",
    "阿强水果",
    "老李家特产",
    "甜甜美妆",
    "大牛数码",
    "果果鲜生",
    "花姐好物",
    "胖哥零食",
    "小雨穿搭",
    "阿飞严选",
    "老陈农场",
    "七七美妆",
    "东哥数码",
    "琳琳服饰",
    "山里娃土货",
    "丫丫百货",
)

# ---------------------------------------------------------------------------
# Context passed to families
# ---------------------------------------------------------------------------


@dataclass(slots=True)
class Ctx:
    rng: random.Random
    split: str
    products: dict[str, tuple[str, ...]]
    used_product: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    def pick(self, seq: Sequence[str]) -> str:
        return seq[self.rng.randrange(len(seq))]

    def maybe(self, p: float) -> bool:
        return self.rng.random() < p

    def opt(self, seq: Sequence[str], p: float = 0.5) -> str:
        return self.pick(seq) if self.maybe(p) else ""

    def hpick(self, seq: Sequence[str]) -> str:
        """Pick from a phrase pool whose items are partitioned between splits.

        Pools of at least ``HOLDOUT_MIN`` items lose every 7th item (offset 3) to test
        and every 7th (offset 5) to dev; train only ever sees the rest.
        """
        if len(seq) < HOLDOUT_MIN:
            return self.pick(seq)
        part, core = _partition(tuple(seq), self.split)
        if self.split == "train":
            return self.pick(part + core)
        if not part:  # nothing held out in this pool: fall back to the whole pool
            return self.pick(seq)
        self.used_product = True
        return self.pick(part)

    def product(self, domain: str) -> str:
        self.used_product = True
        return self.pick(self.products[domain])

    def domain(self, choices: Sequence[str] = PRODUCT_DOMAINS) -> str:
        return self.pick(choices)

    def num(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)


FamilyFn = Callable[[Ctx], tuple[str, int, str, bool]]


@dataclass(frozen=True, slots=True)
class Family:
    name: str
    label: str
    fn: FamilyFn
    split: str  # "train" (shared), "dev" or "test" (held out)
    weight: float


FAMILIES: list[Family] = []


def family(label: str, split: str = "train", weight: float = 1.0) -> Callable[[FamilyFn], FamilyFn]:
    def deco(fn: FamilyFn) -> FamilyFn:
        FAMILIES.append(Family(fn.__name__, label, fn, split, weight))
        return fn

    return deco


# ---------------------------------------------------------------------------
# Noise and finishing
# ---------------------------------------------------------------------------

TYPOS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("的", ("得", "地", "滴", "嘀")),
    ("在", ("再",)),
    ("再", ("在",)),
    ("什么", ("啥", "神马", "什莫", "森么", "sm")),
    ("怎么", ("咋", "怎莫", "肿么", "zm")),
    ("没有", ("木有", "没", "莫得", "冇")),
    ("喜欢", ("稀饭", "xh")),
    ("是不是", ("是8是", "是不", "系唔系")),
    ("知道", ("造", "晓得")),
    ("为什么", ("为啥", "为森么", "why")),
    ("这个", ("这", "这款", "介个", "zg")),
    ("谢谢", ("3q", "蟹蟹", "xx", "谢啦")),
    ("可以", ("阔以", "可")),
    ("好看", ("好康", "hk")),
    ("多少钱", ("多钱", "几多钱", "好多钱", "多少米", "多少$")),
    ("真的", ("真滴", "zd", "真得")),
    ("一下", ("一哈", "一下下", "下")),
    ("还有", ("海有", "还有没有")),
    ("便宜", ("便易", "pianyi")),
    ("什么时候", ("啥时候", "多会儿", "几时")),
    ("不是", ("8是", "唔系")),
    ("啊", ("阿", "a")),
    ("吗", ("嘛", "么", "ma")),
)


def _cat(*parts: object) -> str:
    return "".join(str(p) for p in parts)


def typo(ctx: Ctx, text: str, p: float = 0.25) -> str:
    if not ctx.maybe(p):
        return text
    cands = [(a, b) for a, b in TYPOS if a in text]
    if not cands:
        return text
    a, subs = cands[ctx.rng.randrange(len(cands))]
    return text.replace(a, ctx.pick(subs), 1)


def tail(ctx: Ctx, sentiment: int, p_emoji: float = 0.25, *, ask: bool = False) -> str:
    out = ctx.pick(PUNCT if ask or ctx.maybe(0.15) else STATEMENT_PUNCT)
    if ctx.maybe(p_emoji):
        pool: Sequence[str]
        if sentiment > 0:
            pool = POS_EMOJI + EMOTES
        elif sentiment < 0:
            pool = NEG_EMOJI + NEG_EMOTES
        else:
            pool = EMOJI + EMOTES
        e = ctx.pick(pool)
        out += e * (1 if ctx.maybe(0.7) else ctx.num(2, 3))
    return out


def noise(ctx: Ctx, text: str) -> str:
    r = ctx.rng.random()
    head = len(text.split("[", 1)[0])
    if r < 0.04 and head > 3:
        i = ctx.rng.randrange(1, head)
        return text[:i] + " " + text[i:]
    if r < 0.07:
        return text + text[-1] * ctx.num(1, 3) if text and text[-1].isalnum() else text
    if r < 0.10:
        return text.upper() if text.isascii() else text
    return text


_NO_PARTICLE_AFTER = set("？?！!。~…，吗嘛么呢吧不啊呀哦啦哈嘞噻撒捏鸭咩哇呐哟")


def finish(
    ctx: Ctx,
    core: str,
    sentiment: int,
    *,
    particle: float = 0.2,
    emoji: float = 0.25,
    typo_p: float = 0.25,
    ask: bool = False,
) -> str:
    text = typo(ctx, core, typo_p)
    if ctx.maybe(particle) and text and text[-1] not in _NO_PARTICLE_AFTER:
        text += ctx.pick(PARTICLES)
    if not text or text[-1] not in "？?！!。~…":
        text += tail(ctx, sentiment, emoji, ask=ask)
    elif ctx.maybe(emoji):
        text += tail(ctx, sentiment, 1.0, ask=ask).lstrip("！!？?。~…，")
    return noise(ctx, text).strip()


def addr(ctx: Ctx, domain: str, p: float = 0.35) -> str:
    if not ctx.maybe(p):
        return ""
    pool = ZHUNONG_ADDRESS + ADDRESS[:4] if domain == "zhunong" else ADDRESS
    sep = ctx.hpick(("", "，", ",", " ", "！", "~"))
    return ctx.pick(pool) + sep


# ---------------------------------------------------------------------------
# question
# ---------------------------------------------------------------------------

Q_PREFIX = (
    "请问",
    "问下",
    "想问一下",
    "打扰一下",
    "问一哈",
    "弱弱问一句",
    "问问",
    "请问一下",
    "那个",
    "诶",
    "哎",
    "我想问",
    "求问",
    "麻烦问下",
    "咨询一下",
    "",
)
PRICE_ASK = (
    "多少钱",
    "什么价",
    "咋卖",
    "怎么卖",
    "啥价",
    "价格多少",
    "多钱",
    "几多钱",
    "到手价多少",
    "现在什么价格",
    "一单多少",
    "好多钱",
    "点卖",
    "今天啥价",
    "卖几块",
    "活动价多少",
    "直播间价格多少",
)
PRICE_UNIT = (
    "一斤",
    "一箱",
    "一盒",
    "一瓶",
    "一件",
    "一套",
    "两件",
    "一袋",
    "五斤",
    "十斤",
    "一提",
    "一份",
    "",
)


@family("question", weight=3.0)
def q_price(ctx: Ctx) -> tuple[str, int, str, bool]:
    d = ctx.domain()
    p = ctx.product(d)
    form = ctx.num(0, 4)
    if form == 0:
        core = f"{ctx.opt(Q_PREFIX)}{p}{ctx.opt(PRICE_UNIT, 0.4)}{ctx.hpick(PRICE_ASK)}"
    elif form == 1:
        core = _cat(
            p,
            ctx.hpick(
                (
                    "有券吗",
                    "有优惠吗",
                    "能便宜点不",
                    "满减吗",
                    "还能再便宜吗",
                    "有赠品吗",
                    "送什么",
                    "买二送一吗",
                    "拍两件有优惠吗",
                    "有没有优惠券",
                    "领券后多少",
                )
            ),
        )
    elif form == 2:
        core = _cat(
            ctx.hpick(
                (
                    "刚才那个",
                    "左边那个",
                    "右边那个",
                    "手上那个",
                    "后面那个",
                    "这个",
                    "那个",
                    "桌上那个",
                )
            ),
            ctx.opt(("" + p,), 0.3),
            ctx.hpick(PRICE_ASK),
        )
    elif form == 3:
        core = _cat(
            p,
            ctx.hpick(("和", "跟", "比")),
            ctx.product(d),
            ctx.hpick(("哪个便宜", "价格一样吗", "差多少钱", "一起买多少")),
        )
    else:
        core = _cat(
            ctx.hpick(("原价", "日常价", "平时", "直播间", "旗舰店")),
            ctx.hpick(("多少", "卖多少", "什么价")),
            "，",
            ctx.hpick(("现在呢", "今天呢", "直播间呢", "到手呢")),
        )
    if ctx.maybe(0.08):  # excited ask: "太好看了吧多少钱！！" -> positive question
        gush = ctx.hpick(
            (
                "太好看了吧",
                "好喜欢",
                "哇好美",
                "心动了",
                "爱了爱了",
                "绝了",
                "好想要",
                "这个好",
                "种草了",
                "馋哭了",
            )
        )
        return finish(ctx, gush + core, 1, ask=True, emoji=0.5), 1, d, False
    return addr(ctx, d) + finish(ctx, core, 0, ask=True), 0, d, False


@family("question", weight=2.5)
def q_link(ctx: Ctx) -> tuple[str, int, str, bool]:
    d = ctx.domain()
    n = ctx.num(1, 88)
    form = ctx.num(0, 5)
    if form == 0:
        core = _cat(
            ctx.product(d),
            ctx.hpick(
                (
                    "是几号链接",
                    "几号",
                    "在几号",
                    "是哪个链接",
                    "链接在哪",
                    "在小黄车第几个",
                    "是购物车第几个",
                )
            ),
        )
    elif form == 1:
        core = _cat(
            n,
            "号链接",
            ctx.hpick(
                (
                    "多少钱",
                    "是什么",
                    "还有吗",
                    "是啥",
                    "是哪个颜色",
                    "几斤",
                    "有券吗",
                    "能用吗",
                    "是刚才那个吗",
                )
            ),
        )
    elif form == 2:
        core = ctx.hpick(
            (
                "链接在哪",
                "链接呢",
                "上链接没",
                "怎么拍",
                "在哪买",
                "怎么下单",
                "哪里拍",
                "链接没看到",
                "小黄车里哪个",
                "找不到链接",
                "咋买",
                "在哪下单",
            )
        )
    elif form == 3:
        core = _cat(
            ctx.hpick(("刚才讲的", "手上这个", "刚刚那个", "第一个", "上一个")),
            ctx.hpick(("几号链接", "是几号", "链接是多少号", "在哪个链接")),
        )
    elif form == 4:
        core = (
            f"{n}号和{n + ctx.num(1, 9)}号{ctx.hpick(('有啥区别', '哪个好', '一样吗', '哪个划算'))}"
        )
    else:
        core = _cat(
            ctx.hpick(("要拍", "我要买", "想要")),
            ctx.product(d),
            ctx.hpick(("拍哪个", "点哪个", "几号", "选哪个规格")),
        )
    return addr(ctx, d, 0.25) + finish(ctx, core, 0, ask=True), 0, d, False


@family("question", weight=1.5)
def q_stock(ctx: Ctx) -> tuple[str, int, str, bool]:
    d = ctx.domain()
    form = ctx.num(0, 3)
    if form == 0:
        core = _cat(
            ctx.opt((ctx.product(d),), 0.6),
            ctx.hpick(
                (
                    "还有货吗",
                    "还有吗",
                    "补货吗",
                    "啥时候补货",
                    "还能拍吗",
                    "卖完了吗",
                    "库存多少",
                    "还剩多少",
                    "还会上吗",
                )
            ),
        )
    elif form == 1:
        core = _cat(
            ctx.pick(COLORS),
            ctx.pick(SIZES),
            ctx.hpick(("还有吗", "有货吗", "没了吗", "啥时候有", "能补吗")),
        )
        d = "clothing"
    elif form == 2:
        core = (
            f"没抢到{ctx.hpick(('还会上吗', '还补吗', '能再上一点吗', '还有机会吗', '等下还有吗'))}"
        )
    else:
        core = _cat(
            ctx.num(2, 9),
            "号",
            ctx.hpick(("没货了？", "怎么显示已售罄", "是不是没库存了", "还加库存吗")),
        )
    return addr(ctx, d, 0.3) + finish(ctx, core, 0, ask=True), 0, d, False


@family("question", weight=1.5)
def q_size(ctx: Ctx) -> tuple[str, int, str, bool]:
    h = ctx.num(148, 188)
    w = ctx.num(80, 200)
    p = ctx.product("clothing")
    form = ctx.num(0, 4)
    if form == 0:
        core = _cat(
            ctx.hpick(("身高", "我", "本人", "")),
            h,
            ctx.hpick(("", "，", " ")),
            ctx.hpick(("体重", "")),
            w,
            ctx.hpick(("斤", "", "斤重")),
            ctx.hpick(
                ("穿什么码", "穿多大", "拿哪个码", "选几码", "穿M还是L", "能穿吗", "什么尺码")
            ),
        )
    elif form == 1:
        core = _cat(
            p,
            ctx.hpick(
                (
                    "偏大还是偏小",
                    "码数标准吗",
                    "有XL吗",
                    "尺码准吗",
                    "是宽松的吗",
                    "有大码吗",
                    "长度到哪",
                    "会不会短",
                )
            ),
        )
    elif form == 2:
        core = _cat(
            ctx.hpick(("胖子", "微胖", "梨形身材", "小个子", "腿粗", "肩宽")),
            ctx.hpick(("能穿吗", "穿着好看吗", "适合吗", "选哪个码")),
        )
    elif form == 3:
        core = _cat(
            "腰围",
            ctx.hpick(("二尺", "2尺", "两尺")),
            ctx.num(1, 8),
            ctx.hpick(("拿哪个码", "穿几码", "选多大")),
        )
    else:
        core = _cat(
            "一米",
            ctx.hpick(("五", "六", "六五", "七", "七五", "八")),
            ctx.hpick(("一百二", "一百四", "九十", "一百六", "一百", "一百八")),
            "斤",
            ctx.hpick(("穿啥码", "多大号", "能穿吗")),
        )
    return addr(ctx, "clothing", 0.3) + finish(ctx, core, 0, ask=True), 0, "clothing", False


@family("question", weight=1.8)
def q_shipping(ctx: Ctx) -> tuple[str, int, str, bool]:
    d = ctx.domain()
    form = ctx.num(0, 4)
    if form == 0:
        core = ctx.hpick(
            (
                "包邮吗",
                "什么时候发货",
                "几天能到",
                "发什么快递",
                "偏远地区发吗",
                "顺丰吗",
                "今天拍明天发吗",
                "从哪里发货",
                "几天发货",
                "发货快吗",
                "能发顺丰吗",
                "是现货吗",
                "预售几天",
                "发哪个快递",
                "48小时发货吗",
                "快递到家吗",
            )
        )
    elif form == 1:
        core = _cat(
            ctx.pick(PLACES),
            ctx.hpick(
                (
                    "包邮吗",
                    "能发吗",
                    "发货吗",
                    "几天到",
                    "运费多少",
                    "也包邮吗",
                    "能到吗",
                    "加邮费吗",
                )
            ),
        )
    elif form == 2:
        core = _cat(
            ctx.product(d),
            ctx.hpick(
                (
                    "怎么发货",
                    "用什么包装",
                    "路上会坏吗",
                    "有冷链吗",
                    "发货会压坏吗",
                    "是产地直发吗",
                    "几天能到",
                )
            ),
        )
    elif form == 3:
        core = _cat(
            ctx.hpick(("现在拍", "今晚拍", "刚拍的", "拍了")),
            ctx.hpick(("什么时候发", "几号发货", "啥时候到", "多久到")),
        )
    else:
        core = _cat(
            ctx.hpick(("可以", "能")),
            ctx.hpick(
                ("改地址吗", "指定快递吗", "送到驿站吗", "发到村里吗", "送货上门吗", "货到付款吗")
            ),
        )
    return addr(ctx, d, 0.3) + finish(ctx, core, 0, ask=True), 0, d, False


@family("question", weight=1.2)
def q_aftersales(ctx: Ctx) -> tuple[str, int, str, bool]:
    d = ctx.domain()
    form = ctx.num(0, 2)
    if form == 0:
        core = ctx.hpick(
            (
                "七天无理由吗",
                "能退吗",
                "支持七天无理由退换吗",
                "有运费险吗",
                "不合适能退吗",
                "可以换码吗",
                "退货运费谁出",
                "拆封了能退吗",
                "有售后吗",
            )
        )
    elif form == 1:
        core = _cat(
            ctx.product(d),
            ctx.hpick(
                (
                    "坏了包赔吗",
                    "保修多久",
                    "质保几年",
                    "过敏能退吗",
                    "坏果包赔吗",
                    "有保障吗",
                    "能退换吗",
                    "有发票吗",
                )
            ),
        )
    else:
        core = _cat(
            ctx.hpick(("收到", "到货", "拆开")),
            ctx.hpick(("坏的", "压坏了", "不喜欢", "尺码不对")),
            ctx.hpick(("怎么办", "给退吗", "能赔吗", "包退吗")),
        )
    return addr(ctx, d, 0.25) + finish(ctx, core, 0, ask=True), 0, d, False


@family("question", weight=2.0)
def q_usage(ctx: Ctx) -> tuple[str, int, str, bool]:
    d = ctx.domain()
    p = ctx.product(d)
    asks = {
        "beauty": (
            "敏感肌能用吗",
            "孕妇能用吗",
            "成分是什么",
            "含酒精吗",
            "适合干皮吗",
            "油皮能用吗",
            "多少毫升",
            "会闷痘吗",
            "什么色号",
            "持久吗",
            "会不会拔干",
            "学生党适合吗",
            "保质期多久",
            "有香味吗",
            "男生能用吗",
            "怎么用",
            "早上用还是晚上用",
        ),
        "food": (
            "辣不辣",
            "保质期多久",
            "小孩能吃吗",
            "糖尿病能吃吗",
            "配料表有啥",
            "要冷藏吗",
            "一包多少克",
            "孕妇能吃吗",
            "有添加剂吗",
            "怎么煮",
            "甜不甜",
            "是什么口味",
            "减肥能吃吗",
            "生产日期是哪天",
            "有几包",
        ),
        "fruit": (
            "甜不甜",
            "酸不酸",
            "几斤一箱",
            "多大的果",
            "一箱几个",
            "是今年的新果吗",
            "能放几天",
            "要冷藏吗",
            "果径多少",
            "是什么品种",
            "是产地的吗",
            "熟了吗",
            "孕妇能吃吗",
            "带箱吗",
            "净重还是毛重",
        ),
        "zhunong": (
            "是今年的新货吗",
            "是农家自己种的吗",
            "怎么吃",
            "能放多久",
            "有没有打农药",
            "是散养的吗",
            "是纯的吗",
            "有没有添加",
            "怎么保存",
            "是本地的吗",
            "一斤几个",
            "是新米吗",
            "是土法做的吗",
            "哪个村的",
            "老人能吃吗",
        ),
        "clothing": (
            "会不会起球",
            "掉色吗",
            "是纯棉的吗",
            "厚不厚",
            "含绒量多少",
            "透气吗",
            "能机洗吗",
            "起静电吗",
            "什么面料",
            "冬天穿冷不冷",
            "会缩水吗",
            "有里衬吗",
            "显胖吗",
            "掉毛吗",
            "有弹力吗",
        ),
        "electronics": (
            "续航多久",
            "支持快充吗",
            "兼容苹果吗",
            "防水吗",
            "噪音大吗",
            "功率多大",
            "能连蓝牙吗",
            "保修多久",
            "多少毫安",
            "重不重",
            "能带上飞机吗",
            "是什么接口",
            "有几个档",
            "耗电吗",
            "能连手机吗",
        ),
    }
    form = ctx.num(0, 2)
    if form == 0:
        core = f"{ctx.opt(Q_PREFIX, 0.3)}{p}{ctx.pick(asks[d])}"
    elif form == 1:
        core = f"{ctx.pick(asks[d])}{ctx.opt(('', '？' + ctx.pick(asks[d])), 0.2)}"
    else:
        core = _cat(
            ctx.hpick(("我", "我家", "我妈", "我老公", "孩子", "老人", "我婆婆")),
            ctx.pick(
                ("能吃", "可以吃", "适合吃", "适合")
                if d in ("food", "fruit", "zhunong")
                else ("能用", "适合", "可以用", "能穿" if d == "clothing" else "用得了")
            ),
            p,
            "吗",
        )
    return addr(ctx, d, 0.3) + finish(ctx, core, 0, ask=True), 0, d, False


@family("question", weight=1.0)
def q_authentic(ctx: Ctx) -> tuple[str, int, str, bool]:
    d = ctx.domain()
    core = _cat(
        ctx.opt((ctx.product(d),), 0.5),
        ctx.hpick(
            (
                "是正品吗",
                "是真的吗",
                "有防伪吗",
                "是旗舰店吗",
                "是不是原装的",
                "是国产的吗",
                "是官方的吗",
                "保真吗",
                "是正规厂家的吗",
                "有检测报告吗",
                "是品牌授权的吗",
                "能查真伪吗",
            )
        ),
    )
    return addr(ctx, d, 0.3) + finish(ctx, core, 0, ask=True), 0, d, False


@family("question", weight=1.0)
def q_timing(ctx: Ctx) -> tuple[str, int, str, bool]:
    d = ctx.domain()
    form = ctx.num(0, 2)
    if form == 0:
        core = ctx.hpick(
            (
                "下一个上什么",
                "几点开始抢",
                "还会返场吗",
                "明天还播吗",
                "福袋什么时候开",
                "几点上新",
                "什么时候抽奖",
                "下播前还上吗",
                "今晚播到几点",
                "啥时候开价",
            )
        )
    elif form == 1:
        core = _cat(
            ctx.hpick(("什么时候上", "啥时候讲", "一会有", "今天有没有", "等下上不上", "还上不上")),
            ctx.product(d),
        )
    else:
        core = _cat(
            ctx.product(d),
            ctx.hpick(("几点上", "什么时候上架", "今天还有吗", "排在第几个", "下周还有吗")),
        )
    return addr(ctx, d, 0.35) + finish(ctx, core, 0, ask=True), 0, d, False


@family("question", weight=1.5)
def q_request(ctx: Ctx) -> tuple[str, int, str, bool]:
    d = ctx.domain()
    form = ctx.num(0, 3)
    if form == 0:
        core = _cat(
            ctx.hpick(("再讲一下", "讲讲", "说一下", "介绍下", "再说说")),
            ctx.hpick(
                (
                    "成分",
                    "规格",
                    "价格",
                    "尺码",
                    "赠品",
                    "怎么用",
                    "保质期",
                    "产地",
                    "面料",
                    "参数",
                    ctx.product(d),
                )
            ),
        )
    elif form == 1:
        core = ctx.hpick(
            (
                "近一点看看",
                "拿近点",
                "看看背面",
                "切开看看",
                "尝一个",
                "试一下色",
                "上嘴试试",
                "看看里面",
                "能不能再演示一下",
                "放镜头前面",
                "转一圈看看",
                "看下细节",
                "看看走线",
                "掰开看看",
                "称一下重量",
                "看看标签",
                "看看生产日期",
            )
        )
    elif form == 2:
        core = _cat(
            ctx.hpick(("主播", "小姐姐", "模特", "助理", "")),
            ctx.hpick(("试穿一下", "穿一下", "上身看看", "换")),
            ctx.pick(COLORS),
            ctx.hpick(("", "的", "那件")),
        )
        d = "clothing"
    else:
        core = _cat(
            ctx.hpick(("能", "可以", "麻烦")),
            ctx.hpick(("试试", "打开", "演示", "泡一下", "煮一下", "测一下")),
            ctx.product(d),
            ctx.hpick(("吗", "不", "看看", "")),
        )
    return addr(ctx, d, 0.3) + finish(ctx, core, 0, ask=True, typo_p=0.2), 0, d, False


@family("question", weight=1.0)
def q_shout(ctx: Ctx) -> tuple[str, int, str, bool]:
    d = ctx.domain(DOMAINS)
    core = ctx.hpick(
        (
            "求链接",
            "价格",
            "链接",
            "多少钱",
            "码数",
            "尺码表",
            "价格价格",
            "上链接",
            "链接链接",
            "几号",
            "多钱",
            "价格呢",
            "尺码",
            "怎么买",
            "在哪拍",
        )
    )
    punc = ctx.hpick(("！", "!!!", "？？？", "??", "！！", "", "???"))
    if ctx.maybe(0.3):
        text = f"{ctx.hpick(('？？？', '???', '！！'))}{core}"
    elif ctx.maybe(0.3):
        text = f"{core}{core}{punc}"
    else:
        text = f"{core}{punc}"
    return text, 0, d, False


@family("question", weight=0.8)
def q_dialect(ctx: Ctx) -> tuple[str, int, str, bool]:
    d = ctx.domain()
    p = ctx.product(d)
    core = ctx.hpick(
        (
            f"{p}几多钱呀",
            f"{p}点卖啊",
            f"{p}有冇货",
            f"呢个{p}系咪正品",
            f"{p}甜唔甜",
            f"{p}好多钱一斤嘛",
            f"{p}莫得货了哇",
            f"{p}巴不巴适嘛",
            "啥子时候发货嘛",
            f"{p}有好大个",
            "这玩意儿咋整啊",
            f"{p}嘎哈用的",
            f"{p}啥价儿啊老妹儿",
            f"这{p}咋卖的老铁",
            f"{p}能邮到俺们这不",
            f"{p}系几号链接",
            f"咩价钱啊{p}",
            f"{p}有冇优惠",
            "俺家那旮沓包邮不",
            f"{p}咋吃嘞",
        )
    )
    return finish(ctx, core, 0, ask=True, typo_p=0.05), 0, d, False


@family("question", split="dev", weight=1.0)
def q_compare(ctx: Ctx) -> tuple[str, int, str, bool]:
    d = ctx.domain()
    a, b = ctx.product(d), ctx.product(d)
    core = _cat(
        a,
        ctx.hpick(("和", "还是", "跟")),
        b,
        ctx.hpick(("选哪个", "哪个好", "哪个更适合我", "区别在哪", "买哪个划算", "哪个好用")),
    )
    return addr(ctx, d, 0.3) + finish(ctx, core, 0, ask=True), 0, d, False


@family("question", weight=0.6)
def q_group_innocent(ctx: Ctx) -> tuple[str, int, str, bool]:
    # boundary: asking the host whether a group/channel exists is a question, not spam
    core = ctx.hpick(
        (
            "有没有微信群",
            "有粉丝群吗",
            "怎么进粉丝群",
            "有群吗",
            "粉丝团怎么加",
            "有没有售后电话",
            "客服电话多少",
            "怎么联系客服",
            "店铺叫什么名字",
            "有实体店吗",
        )
    )
    return addr(ctx, "general", 0.3) + finish(ctx, core, 0, ask=True), 0, "general", True


@family("question", split="test", weight=1.0)
def q_scenario(ctx: Ctx) -> tuple[str, int, str, bool]:
    d = ctx.domain()
    p = ctx.product(d)
    who = ctx.hpick(
        ("送我妈", "送女朋友", "送领导", "给孩子", "过年送人", "自己用", "给老人", "送男朋友")
    )
    core = _cat(
        who,
        ctx.hpick(("买", "的话", "")),
        p,
        ctx.hpick(("合适吗", "拿哪款", "有礼盒装吗", "能包装一下吗", "买几件好", "选哪个规格")),
    )
    return addr(ctx, d, 0.3) + finish(ctx, core, 0, ask=True), 0, d, False


@family("question", weight=0.5)
def q_innocent_sub(ctx: Ctx) -> tuple[str, int, str, bool]:
    # questions that contain blocked-looking substrings
    core = ctx.hpick(
        (
            "螺蛳粉能加微辣吗",
            "草莓多少钱",
            "这个加了VC吗",
            "小米多少钱一斤",
            "日结束前还能拍吗",
            "主页链接失效了吗",
            "草莓是奶油草莓吗",
            "鸡精是哪个牌子",
            "卧槽这么便宜还有吗",
            "特么的怎么抢不到，还有吗",
            "能不能加个微辣",
            "加微信支付吗",
        )
    )
    return addr(ctx, "general", 0.2) + finish(ctx, core, 0, ask=True), 0, "food", True


@family("question", split="test", weight=1.0)
def q_speculative(ctx: Ctx) -> tuple[str, int, str, bool]:
    # pre-purchase worry phrased as "不会...吧 / 应该...吧"; still a question for the host
    d = ctx.domain()
    worry = {
        "beauty": ("会烂脸", "是小样", "拔干", "有香精", "闷痘"),
        "food": ("是临期的", "很咸", "有防腐剂", "齁甜", "碎成渣"),
        "fruit": ("是小果", "路上就坏了", "酸得没法吃", "是冷库货", "一半是叶子"),
        "zhunong": ("是陈货", "有农药残留", "掺了糖", "是饲料喂的", "不够秤"),
        "clothing": ("一洗就缩", "起球", "透", "掉色", "偏小一码"),
        "electronics": ("是翻新的", "没有保修", "续航虚标", "发烫", "不兼容安卓"),
    }
    core = _cat(
        ctx.pick(("这", "这个", "这款", "")),
        ctx.product(d),
        ctx.pick(("不会", "应该不会", "该不会", "不至于")),
        ctx.pick(worry[d]),
        ctx.pick(("吧", "吧？", "吧主播", "吧，有人买过吗")),
    )
    return addr(ctx, d, 0.2) + finish(ctx, core, 0, ask=True, particle=0.0), 0, d, True


@family("question", split="test", weight=0.4)
def q_impatient(ctx: Ctx) -> tuple[str, int, str, bool]:
    d = ctx.domain()
    core = _cat(
        ctx.hpick(("问了半天了", "问了三遍了", "一直问", "没人回")),
        ctx.hpick(("，", " ", "！")),
        ctx.product(d),
        ctx.hpick(("到底多少钱", "到底几号链接", "到底有没有货", "到底包不包邮")),
    )
    return finish(ctx, core, -1, ask=True), -1, d, True


# ---------------------------------------------------------------------------
# grievance
# ---------------------------------------------------------------------------

DAYS = (
    "三天",
    "五天",
    "一周",
    "十天",
    "半个月",
    "七天",
    "两个星期",
    "4天",
    "6天",
    "一个月",
    "八天",
)
INTENS = ("", "", "", "", "都", "全", "居然", "竟然", "直接", "又")
ANGRY_TAIL = (
    "",
    "",
    "什么意思",
    "有没有人管",
    "给个说法",
    "太坑了",
    "气死了",
    "无语",
    "差评",
    "服了",
    "还卖呢",
    "骗人吧",
    "退钱",
    "要投诉",
    "太过分了",
    "不要脸",
)


def gtail(ctx: Ctx) -> str:
    t = ctx.pick(ANGRY_TAIL)
    return ("，" + t) if t else ""


@family("grievance", weight=2.0)
def g_not_shipped(ctx: Ctx) -> tuple[str, int, str, bool]:
    d = ctx.domain()
    form = ctx.num(0, 3)
    if form == 0:
        core = _cat(
            ctx.hpick(("拍了", "下单", "付款", "买了")),
            ctx.pick(DAYS),
            ctx.hpick(
                ("还不发货", "了还没发", "物流不动", "还没消息", "了都不发货", "了快递还在原地")
            ),
        )
    elif form == 1:
        core = _cat(
            ctx.hpick(
                (
                    "说好的48小时发货呢",
                    "说好三天发货呢",
                    "承诺的发货时间早过了",
                    "上次的单到现在没发",
                )
            )
        )
    elif form == 2:
        core = _cat(
            ctx.hpick(("我的", "上周买的", "上次拍的", "双十一买的")),
            ctx.product(d),
            ctx.hpick(
                (
                    "到现在还没到",
                    "一直不发货",
                    "物流信息一直没更新",
                    "被退回了也没人说",
                    "显示签收了但我没收到",
                )
            ),
        )
    else:
        core = _cat(
            ctx.hpick(
                ("怎么还不发货", "到底什么时候发货", "啥时候发货啊都等一周了", "还发不发货了")
            )
        )
    return finish(ctx, core + gtail(ctx), -1, emoji=0.2), -1, d, form == 3


@family("grievance", weight=1.8)
def g_refund(ctx: Ctx) -> tuple[str, int, str, bool]:
    d = ctx.domain()
    form = ctx.num(0, 2)
    if form == 0:
        core = _cat(
            ctx.hpick(("退款", "退货", "申请售后", "申请退款")),
            ctx.pick(DAYS),
            ctx.hpick(("没人管", "没人处理", "了还没到账", "一直在审核", "了客服不理", "了没回复")),
        )
    elif form == 1:
        core = ctx.hpick(
            (
                "客服不回消息",
                "客服一直是机器人回复",
                "找客服没人理",
                "客服电话打不通",
                "客服态度太差了",
                "客服让我等等等",
                "客服已读不回",
                "售后踢皮球",
                "客服说不能退",
                "退货地址都不给",
            )
        )
    else:
        core = _cat(
            ctx.product(d),
            ctx.hpick(("退了", "寄回去")),
            ctx.pick(DAYS),
            ctx.hpick(("钱还没退", "没人签收", "店家不认", "说没收到")),
        )
    return finish(ctx, core + gtail(ctx), -1, emoji=0.2), -1, d, False


QUALITY = {
    "fruit": (
        "烂了一半",
        "全压烂了",
        "是生的",
        "一半是软的",
        "有股酒味",
        "发霉了",
        "好多烂果",
        "全是坏的",
        "一点都不甜",
        "酸得要命",
        "个头好小",
        "少了两斤",
        "压得稀烂",
        "里面都黑了",
        "有虫眼",
        "干巴巴的",
        "跟图片差太多",
        "长毛了",
    ),
    "zhunong": (
        "发霉了",
        "里面有虫",
        "烂心了",
        "全是沙子",
        "有虫子",
        "一股怪味",
        "少了一斤多",
        "掺了沙子",
        "碎了一半",
        "是陈货",
        "根本不是土的",
        "缺斤少两",
        "有一股馊味",
        "生虫了",
        "全是碎的",
    ),
    "food": (
        "过期了",
        "长毛了",
        "有哈喇味",
        "少了料包",
        "全是淀粉",
        "吃出头发",
        "有异物",
        "漏气了",
        "胀袋了",
        "味道不对",
        "吃了拉肚子",
        "生产日期是去年的",
        "包装破了",
        "里面有虫",
        "发霉了",
        "是临期的",
    ),
    "beauty": (
        "用了过敏",
        "断了",
        "是干的",
        "防伪码查不到",
        "脸都红了",
        "烂脸了",
        "味道不对",
        "是假货",
        "包装被拆过",
        "空了半瓶",
        "用了长痘",
        "和专柜的不一样",
        "没有防伪码",
        "漏液了",
        "过期了",
    ),
    "clothing": (
        "起球了",
        "开胶了",
        "钻毛",
        "发错码了",
        "掉色严重",
        "线头好多",
        "尺码不对",
        "开线了",
        "有污渍",
        "一股味",
        "洗一次就缩水",
        "和图片不一样",
        "拉链坏了",
        "薄得透光",
        "掉毛掉一身",
    ),
    "electronics": (
        "一个不响",
        "左边没声音",
        "屏幕闪",
        "有焦味",
        "按键失灵",
        "充不进电",
        "鼓包了",
        "用两天就坏",
        "是翻新机",
        "屏幕有划痕",
        "连不上蓝牙",
        "续航根本没那么久",
        "充电发烫",
        "开不了机",
        "少了配件",
        "有杂音",
    ),
}


@family("grievance", weight=2.5)
def g_quality(ctx: Ctx) -> tuple[str, int, str, bool]:
    d = ctx.domain()
    p = ctx.product(d)
    lead = ctx.hpick(
        (
            "收到的",
            "上次买的",
            "昨天到的",
            "刚收到",
            "我买的",
            "在你家买的",
            "前天收的",
            "你们家的",
            "拆开",
            "",
        )
    )
    defect = ctx.pick(QUALITY[d])
    intens = "" if defect.startswith(("全", "都", "又")) else ctx.pick(INTENS)
    core = f"{lead}{p}{intens}{defect}"
    if ctx.maybe(0.3):
        core += "，" + ctx.hpick(
            (
                "怎么处理",
                "退钱",
                "找客服没用",
                "要求赔偿",
                "谁负责",
                "能不能给个说法",
                "再也不买了",
                "太失望了",
                "坑人",
                "已经拍照了",
            )
        )
    return finish(ctx, core, -1, emoji=0.25), -1, d, False


@family("grievance", weight=1.3)
def g_fake(ctx: Ctx) -> tuple[str, int, str, bool]:
    d = ctx.domain()
    form = ctx.num(0, 3)
    if form == 0:
        core = _cat(
            ctx.hpick(("上次", "上回", "之前")),
            ctx.hpick(("买到假货", "买的是假的", "收到的是仿的", "买的是山寨货")),
        )
    elif form == 1:
        core = ctx.hpick(
            (
                "虚假宣传",
                "直播间说的和实际不一样",
                "先涨价再打折",
                "货不对板",
                "说是产地直发结果是批发市场的",
                "说好的赠品没给",
                "价格比超市还贵还说是福利",
                "说的原价根本没卖过",
                "评论都是刷的",
            )
        )
    elif form == 2:
        core = _cat(
            "说是原价",
            ctx.num(99, 599),
            "结果",
            ctx.hpick(("平时就卖", "别家才卖", "超市才")),
            ctx.num(19, 89),
        )
    else:
        core = _cat(
            ctx.product(d),
            ctx.hpick(
                (
                    "说是进口的其实是国产",
                    "说是有机的根本不是",
                    "说是纯手工的是机器做的",
                    "说是新款其实是去年的",
                )
            ),
        )
    return finish(ctx, core + gtail(ctx), -1), -1, d, False


@family("grievance", weight=1.0)
def g_platform(ctx: Ctx) -> tuple[str, int, str, bool]:
    core = ctx.hpick(
        (
            "平台也不管",
            "投诉了也没用",
            "店铺评分都是刷的",
            "差评被删了",
            "要去12315投诉你们",
            "运费险不给赔",
            "平台客服踢皮球",
            "给差评还打电话骚扰我",
            "说好的价保不给保",
            "价保不认",
            "直播间把我拉黑了",
            "问售后就被禁言",
            "删我评论算什么",
            "优惠券用不了还不给解释",
            "买完就降价了，不给退差价",
        )
    )
    return finish(ctx, core + gtail(ctx), -1), -1, "general", False


@family("grievance", weight=0.8)
def g_safety(ctx: Ctx) -> tuple[str, int, str, bool]:
    d = ctx.hpick(("food", "zhunong", "fruit"))
    core = _cat(
        ctx.hpick(("孩子", "老人", "我家宝宝", "我", "我老公")),
        ctx.hpick(("吃了", "吃完")),
        ctx.product(d),
        ctx.hpick(("拉肚子", "发烧了", "上吐下泻", "进医院了", "过敏起疹子", "肚子疼一晚上")),
    )
    if ctx.maybe(0.3):
        core = ctx.hpick(
            (
                "没有生产许可证吧",
                "三无产品还敢卖",
                "配料表和包装不一样",
                "没有检测报告就敢卖",
                "食品安全谁负责",
            )
        )
    return finish(ctx, core + gtail(ctx), -1), -1, d, False


LOCAL = (
    "拖欠工资{n}年了没人管",
    "拆迁补偿款还没给",
    "低保被取消了",
    "我们村的路{t}没修",
    "看病难，报销不了",
    "村里的水喝了有味道",
    "自来水停了{n}个星期",
    "学校撤了孩子上学要走十里路",
    "路灯坏了没人修",
    "我家的地被占了",
    "补贴发不到手",
    "养老金太低了",
    "村干部优亲厚友",
    "危房改造的钱被扣了",
    "修路集资的钱去哪了",
    "工地欠我们{n}万块工钱",
    "村里垃圾没人清",
    "医保每年都涨",
    "合作社的钱不给分红",
    "土地流转的钱拖了{n}年",
    "宅基地的事找了{n}次没人理",
    "我们组的低保名额都给了亲戚",
    "桥塌了{n}个月没人修",
    "村口排污沟臭死了",
    "果子卖不出去也没人收",
)


@family("grievance", weight=1.8)
def g_local(ctx: Ctx) -> tuple[str, int, str, bool]:
    n = str(ctx.num(2, 9))
    t = ctx.hpick(("好几年", "三年", "十年", "一直", "到现在"))
    core = ctx.hpick(LOCAL).format(n=n, t=t)
    pre = ctx.hpick(
        (
            "",
            "",
            "书记",
            "书记你好，",
            "县长，",
            "领导管管",
            "借这个直播问一下，",
            "不买东西，",
            f"{ctx.pick(PLACES)}{ctx.hpick(('某村', '这边', '某镇'))}的，",
            "能不能反映一下，",
        )
    )
    post = ctx.hpick(
        (
            "",
            "",
            "，管不管",
            "，求帮忙",
            "，谁来管管",
            "，什么时候解决",
            "，没人管吗",
            "，别光卖货",
            "，卖货之前先解决一下",
        )
    )
    return finish(ctx, pre + core + post, -1, emoji=0.15), -1, "zhunong", False


@family("grievance", weight=0.8)
def g_local_question(ctx: Ctx) -> tuple[str, int, str, bool]:
    # boundary: local grievances phrased as questions are still grievance
    core = ctx.hpick(
        (
            "书记我们村的路啥时候修",
            "拖欠的工资什么时候给",
            "拆迁款什么时候到账",
            "低保为什么给取消了",
            "我们那的水什么时候能通",
            "医药费什么时候能报",
            "补贴为啥一直不发",
            "村里的桥什么时候修",
            "欠的工程款谁来给",
            "学校什么时候能恢复",
        )
    )
    pre = ctx.hpick(("", "请问", "书记，", "县长", "领导，"))
    return finish(ctx, pre + core, -1, particle=0.3), -1, "zhunong", True


@family("grievance", split="test", weight=1.2)
def g_story(ctx: Ctx) -> tuple[str, int, str, bool]:
    # multi-clause after-sales narratives
    d = ctx.domain()
    when = ctx.pick(("上个月", "双十一", "上周三", "前几天", "月初", "过年前", "半个月前"))
    verb = ctx.pick(("在你们直播间买的", "跟着主播拍的", "在这下单的", "听主播推荐买的"))
    issue = ctx.pick(QUALITY[d])
    then = ctx.pick(
        (
            "找客服说要等",
            "申请售后被驳回",
            "客服让我自己承担运费",
            "留言没人回",
            "打电话说不归他们管",
            "到现在也没个说法",
            "要我拍视频又说看不清",
        )
    )
    core = f"{when}{verb}{ctx.product(d)}，{issue}，{then}"
    return finish(ctx, core, -1, particle=0.0), -1, d, False


@family("grievance", split="dev", weight=1.0)
def g_at(ctx: Ctx) -> tuple[str, int, str, bool]:
    d = ctx.domain()
    who = ctx.pick(("@主播", "@客服", "@助理", "@场控", "@官方"))
    core = _cat(
        who,
        " ",
        ctx.pick(("订单尾号", "单号尾号", "我的订单")),
        ctx.num(1000, 9999),
        ctx.pick(
            ("的退款呢", "还没发货", "少发了", "收到是坏的", "申请售后三次了", "物流停了一周")
        ),
    )
    return finish(ctx, core, -1, particle=0.0), -1, d, False


@family("grievance", split="test", weight=1.2)
def g_overdue_question(ctx: Ctx) -> tuple[str, int, str, bool]:
    # boundary: reports of something overdue, phrased as a question -> grievance
    d = ctx.domain()
    core = _cat(
        ctx.hpick(("我的", "上周拍的", "十天前买的", "月初下单的")),
        ctx.product(d),
        ctx.hpick(
            (
                "怎么还没发货",
                "为什么退款还没到",
                "怎么少了一半",
                "为什么是坏的",
                "为什么和直播间不一样",
            )
        ),
    )
    return finish(ctx, core, -1), -1, d, True


@family("grievance", weight=0.6)
def g_swear_complaint(ctx: Ctx) -> tuple[str, int, str, bool]:
    # boundary: concrete complaint with a swear-word intensifier stays grievance
    d = ctx.domain()
    core = _cat(
        ctx.hpick(("妈的", "tmd", "靠", "我去", "草", "卧槽", "他妈的", "我靠", "特么")),
        ctx.pick(("，", " ", "")),
        ctx.hpick(
            (
                "拍了一周还不发货",
                "退款半个月没人管",
                "收到的全是烂的",
                "客服一直不回",
                "又是假货",
                "少发了一件",
                "快递丢了没人管",
                "发霉了还不给退",
                "过敏了客服说正常",
                "说好的赠品没有",
                "到手价根本不对",
            )
        ),
    )
    return finish(ctx, core, -1), -1, d, True


@family("grievance", weight=0.6)
def g_scam_hint(ctx: Ctx) -> tuple[str, int, str, bool]:
    d = ctx.domain()
    core = ctx.hpick(
        (
            "这个价格是骗人的吧",
            f"{ctx.product(d)}这么便宜怕不是假的吧",
            "去年买的也说是最后一批",
            "天天说最后一天",
            "昨天直播间比今天便宜二十",
            "别信，上次买的一样货不对板",
            f"{ctx.product(d)}我买过，根本不值这个价",
            "你们店卖假货被人曝光过",
        )
    )
    return finish(ctx, core, -1), -1, d, True


# ---------------------------------------------------------------------------
# abuse
# ---------------------------------------------------------------------------

INSULTS = (
    "傻逼",
    "脑残",
    "智障",
    "废物",
    "垃圾",
    "贱人",
    "弱智",
    "蠢货",
    "狗东西",
    "白痴",
    "神经病",
    "丑八怪",
    "死胖子",
    "婊子",
    "杂种",
    "畜生",
    "人渣",
    "贱货",
    "狗腿子",
    "猪头",
)
INSULTS_EVADED = (
    "傻b",
    "s b",
    "煞笔",
    "沙比",
    "傻 逼",
    "s.b",
    "sb",
    "SB",
    "傻B",
    "煞比",
    "脑c",
    "zz",
    "智樟",
    "辣鸡",
    "lj",
    "废柴",
    "憨批",
    "傻叉",
    "傻x",
    "沙雕玩意",
)
CURSES = (
    "nmsl",
    "cnm",
    "tmd",
    "草泥马",
    "你🐎死了",
    "操你妈",
    "你妈死了",
    "他妈的",
    "去死吧",
    "滚",
    "滚犊子",
    "妈的",
    "尼玛",
    "艹",
    "日你",
    "fuck",
    "cao",
    "rnm",
    "你妈的",
)
TARGETS = (
    "主播",
    "你",
    "这主播",
    "这女的",
    "这男的",
    "你们",
    "楼上",
    "助理",
    "这个书记",
    "那个胖子",
    "后面那个",
    "这破主播",
    "老板娘",
    "这狗主播",
)


@family("abuse", weight=3.0)
def a_insult(ctx: Ctx) -> tuple[str, int, str, bool]:
    ins = ctx.hpick(INSULTS if ctx.maybe(0.65) else INSULTS_EVADED)
    tgt = ctx.pick(TARGETS)
    form = ctx.num(0, 5)
    if form == 0:
        core = f"{tgt}{ctx.hpick(('是', '就是个', '真是个', '纯纯', '妥妥的', ''))}{ins}"
    elif form == 1:
        core = f"{ctx.hpick(('你个', '这个', '死', '臭'))}{ins}"
    elif form == 2:
        core = f"{ins}{tgt}"
    elif form == 3:
        core = f"{ins}{ctx.hpick(('一个', '吧你', '东西', '玩意', '到家了'))}"
    elif form == 4:
        core = _cat(
            tgt,
            ctx.hpick(("长得跟", "说话像", "脑子像")),
            ctx.hpick(("猪一样", "狗一样", "傻子一样", "智障一样")),
        )
    else:
        core = (
            f"{ins}{ins}"
            if ctx.maybe(0.3)
            else f"{ins}，{ctx.hpick(('滚', '闭嘴', '别播了', '下播吧', '恶心'))}"
        )
    return finish(ctx, core, -1, typo_p=0.05), -1, ctx.domain(DOMAINS), False


@family("abuse", weight=2.0)
def a_curse(ctx: Ctx) -> tuple[str, int, str, bool]:
    c = ctx.hpick(CURSES)
    form = ctx.num(0, 3)
    if form == 0:
        core = c
    elif form == 1:
        core = f"{ctx.pick(TARGETS)}{c}"
    elif form == 2:
        core = _cat(
            c,
            ctx.hpick(("，", " ", "")),
            ctx.hpick(("垃圾主播", "骗子", "什么玩意", "赶紧下播", "丑死了", "恶心", "别播了")),
        )
    else:
        core = f"{c}{c}" if len(c) < 5 else f"{c}！{c}"
    return finish(ctx, core, -1, typo_p=0.0), -1, ctx.domain(DOMAINS), False


@family("abuse", weight=1.5)
def a_looks(ctx: Ctx) -> tuple[str, int, str, bool]:
    core = ctx.hpick(
        (
            "长得真丑还出来播",
            "丑成这样也敢开美颜",
            "这么胖还卖衣服",
            "声音难听死了恶心",
            "脸大如盆",
            "又老又丑",
            "满脸褶子还装嫩",
            "这张脸看了想吐",
            "腿短还穿裙子，辣眼睛",
            "秃头还好意思直播",
            "这么矮还当模特",
            "肥婆下播",
            "丑到我了，吐了",
            "大饼脸赶紧滚",
            "黄脸婆别卖了",
            "长得像癞蛤蟆",
        )
    )
    return (
        addr(ctx, "general", 0.2) + finish(ctx, core, -1, typo_p=0.05),
        -1,
        ctx.hpick(("beauty", "clothing", "general")),
        False,
    )


@family("abuse", weight=1.0)
def a_threat(ctx: Ctx) -> tuple[str, int, str, bool]:
    core = ctx.hpick(
        (
            "信不信我弄死你",
            "等着我找人收拾你",
            "知道你住哪，出门小心点",
            "再卖假货砍死你",
            "我要打死你",
            "明天去你店里堵你",
            "小心你全家",
            "开车撞死你",
            "早晚弄你",
            "找人把你店砸了",
            "你等着瞧",
            "人肉你信不信",
            "把你家地址发出来",
            "下播给我等着",
        )
    )
    return (
        addr(ctx, "general", 0.3) + finish(ctx, core, -1, typo_p=0.05),
        -1,
        ctx.domain(DOMAINS),
        False,
    )


@family("abuse", weight=1.2)
def a_sexual(ctx: Ctx) -> tuple[str, int, str, bool]:
    core = ctx.hpick(
        (
            "穿这么少是想勾引谁",
            "让我摸一下",
            "胸多大",
            "约吗多少钱一晚",
            "脱了看看",
            "腿不错晚上来我家",
            "衣服再低一点",
            "弯腰再来一次",
            "主播什么罩杯",
            "陪我睡一晚买一百单",
            "屁股扭一个",
            "转过去让我看看屁股",
            "裙子掀起来看看",
            "私下加钱能不能看",
            "穿黑丝来播",
            "一晚多少钱",
        )
    )
    return (
        addr(ctx, "general", 0.4) + finish(ctx, core, -1, typo_p=0.05),
        -1,
        ctx.hpick(("beauty", "clothing", "general")),
        False,
    )


@family("abuse", weight=1.5)
def a_region(ctx: Ctx) -> tuple[str, int, str, bool]:
    who = ctx.hpick(REGION_PEOPLE)
    core = _cat(
        who,
        ctx.hpick(
            (
                "都是骗子",
                "就知道偷",
                "素质就是低",
                "偷井盖",
                "没一个好东西",
                "滚出去",
                "别来买",
                "就是穷",
                "就会吹",
                "脏死了",
                "一个比一个坏",
                "小气抠门",
                "都是土包子",
            )
        ),
    )
    if ctx.maybe(0.2):
        core = _cat(
            "一看就是",
            who,
            "，",
            ctx.hpick(("难怪", "果然", "怪不得")),
            ctx.hpick(("这么没素质", "骗人", "抠门", "穷酸")),
        )
    return finish(ctx, core, -1, typo_p=0.05), -1, ctx.domain(DOMAINS), False


@family("abuse", weight=1.0)
def a_identity(ctx: Ctx) -> tuple[str, int, str, bool]:
    core = ctx.hpick(
        (
            "穷鬼别来看",
            "没钱还买什么，穷逼",
            "女人就该在家带孩子",
            "残疾人也配直播",
            "瘸子别出来丢人",
            "黑鬼滚",
            "娘炮主播",
            "男的卖化妆品，恶不恶心",
            "哑巴吗不会说话",
            "聋子吗",
            "瞎子都比你会选",
            "老女人还播什么",
            "农民工别来凑热闹",
            "土狗买不起别看",
            "死基佬",
            "剩女难怪没人要",
            "矮子别说话",
            "老东西快死了吧",
            "穷山恶水出刁民",
        )
    )
    return finish(ctx, core, -1, typo_p=0.05), -1, ctx.domain(DOMAINS), False


@family("abuse", weight=0.8)
def a_scammer_bare(ctx: Ctx) -> tuple[str, int, str, bool]:
    # boundary: bare name-calling ("骗子！") without a concrete complaint is abuse
    core = ctx.hpick(
        (
            "骗子",
            "骗子主播",
            "大骗子",
            "骗子滚",
            "一群骗子",
            "死骗子",
            "骗子一家",
            "老骗子",
            "奸商",
            "黑心商人去死",
            "骗子骗子骗子",
            "骗子全家",
        )
    )
    return finish(ctx, core, -1, typo_p=0.0), -1, ctx.domain(DOMAINS), True


@family("abuse", split="dev", weight=1.0)
def a_sarcasm(ctx: Ctx) -> tuple[str, int, str, bool]:
    core = ctx.pick(
        (
            "就这智商也配卖货",
            "脑子被门夹了吧",
            "你妈没教你说话吗",
            "出门没带脑子",
            "猪都比你聪明",
            "建议回炉重造",
            "你爹妈知道你这么蠢吗",
            "狗都不看",
            "活着浪费空气",
            "这种人怎么还没死",
            "下辈子做个人吧",
            "你配吗",
            "什么东西也敢出来丢人",
            "脑子是个好东西可惜你没有",
            "九年义务教育漏网之鱼",
            "你妈生你的时候是不是把胎盘养大了",
            "长得丑就别出来吓人了",
            "智商欠费了吧",
            "嘴这么臭刷牙了吗",
            "这种货色也能当主播",
            "你是从哪个厕所爬出来的",
        )
    )
    tgt = ctx.pick(("", "", "", "主播", "楼上", "这主播", "你"))
    return finish(ctx, tgt + core, -1, typo_p=0.05), -1, ctx.domain(DOMAINS), False


@family("abuse", split="test", weight=0.9)
def a_wish(ctx: Ctx) -> tuple[str, int, str, bool]:
    # curses phrased as wishes
    core = _cat(
        ctx.pick(("祝", "希望", "诅咒", "盼着")),
        ctx.pick(("你", "主播", "你们全家", "这女的", "这个骗子")),
        ctx.pick(
            (
                "出门被车撞",
                "早点死",
                "生孩子没屁眼",
                "全家暴毙",
                "烂脸毁容",
                "一辈子嫁不出去",
                "天天倒霉",
                "得绝症",
            )
        ),
    )
    return finish(ctx, core, -1, typo_p=0.0), -1, ctx.domain(DOMAINS), False


@family("abuse", split="test", weight=1.0)
def a_combo(ctx: Ctx) -> tuple[str, int, str, bool]:
    core = _cat(
        ctx.pick(TARGETS),
        ctx.hpick(("这个", "这种", "纯")),
        ctx.hpick(INSULTS + INSULTS_EVADED),
        ctx.hpick(("还有脸直播", "也配卖东西", "赶紧滚", "看着就来气", "全家都是")),
    )
    return finish(ctx, core, -1, typo_p=0.0), -1, ctx.domain(DOMAINS), False


@family("abuse", weight=0.6)
def a_animal(ctx: Ctx) -> tuple[str, int, str, bool]:
    # boundary: animal/teasing words WITHOUT laughter/affection markers -> abuse
    core = _cat(
        ctx.pick(("主播", "你", "这助理", "楼上")),
        ctx.hpick(
            (
                "是猪吗",
                "猪脑子",
                "是狗吧",
                "像条狗",
                "蠢得像猪",
                "狗叫什么",
                "是不是傻",
                "脑子有坑",
                "猪一样",
                "跟狗一样",
            )
        ),
        ctx.pick(("", "，滚", "，闭嘴", "，恶心", "？")),
    )
    return finish(ctx, core, -1, typo_p=0.0, emoji=0.0), -1, "general", True


# ---------------------------------------------------------------------------
# spam
# ---------------------------------------------------------------------------

_ALNUM = "abcdefghijkmnpqrstuvwxyz23456789"
WX_WORDS = (
    "加V",
    "加v",
    "加微",
    "vx",
    "VX",
    "威信",
    "薇",
    "薇信",
    "+v",
    "➕V",
    "V❤",
    "微❤",
    "卫星",
    "wx",
    "加我vx",
    "v我",
    "溦",
    "徽信",
    "➕薇",
)
CN_DIGITS = "零一二三四五六七八九"
BIG_DIGITS = "零壹贰叁肆伍陆柒捌玖"
FULL_DIGITS = "０１２３４５６７８９"


def _ident(ctx: Ctx) -> str:
    stem = "".join(ctx.pick(_ALNUM) for _ in range(ctx.num(3, 7)))
    return stem + (str(ctx.num(10, 9999)) if ctx.maybe(0.7) else "")


def _digits(ctx: Ctx, n: int) -> str:
    s = str(ctx.num(1, 9)) + "".join(str(ctx.num(0, 9)) for _ in range(n - 1))
    r = ctx.rng.random()
    if r < 0.12:
        return "".join(CN_DIGITS[int(c)] for c in s)
    if r < 0.22:
        return "".join(BIG_DIGITS[int(c)] for c in s)
    if r < 0.30:
        return "".join(FULL_DIGITS[int(c)] for c in s)
    if r < 0.38:
        return " ".join(s)
    return s


def _phone(ctx: Ctx) -> str:
    s = "1" + ctx.hpick(("3", "5", "7", "8", "9")) + "".join(str(ctx.num(0, 9)) for _ in range(9))
    r = ctx.rng.random()
    if r < 0.15:
        return s[:3] + "-" + s[3:7] + "-" + s[7:]
    if r < 0.25:
        return " ".join((s[:3], s[3:7], s[7:]))
    if r < 0.35:
        return "".join(CN_DIGITS[int(c)] for c in s)
    return s


def _url(ctx: Ctx) -> str:
    host = "".join(ctx.pick(_ALNUM) for _ in range(ctx.num(3, 8)))
    tld = ctx.hpick((".com", ".cn", ".top", ".xyz", ".vip", ".cc", ".net", ".shop", ".club"))
    path = "/" + "".join(ctx.pick(_ALNUM) for _ in range(ctx.num(3, 6))) if ctx.maybe(0.6) else ""
    scheme = ctx.hpick(("http://", "https://", "www.", "", "t.cn/", "dwz.cn/"))
    if scheme in ("t.cn/", "dwz.cn/"):
        return scheme + "".join(ctx.pick(_ALNUM + "ABCDEFGH") for _ in range(7))
    return scheme + host + tld + path


LURE = (
    "领福利",
    "看更多",
    "有惊喜",
    "免费领",
    "送红包",
    "教你赚钱",
    "拿货价",
    "内部价",
    "进群抢券",
    "一手货源",
    "私人订制",
    "看美女",
    "日入过千",
    "免费试用",
    "厂家直供",
    "低价出",
    "全网最低",
)


@family("spam", weight=3.0)
def s_wechat(ctx: Ctx) -> tuple[str, int, str, bool]:
    w = ctx.hpick(WX_WORDS)
    i = _ident(ctx)
    sep = ctx.hpick(("", ":", "：", " ", "→", "➡️", "~"))
    form = ctx.num(0, 3)
    if form == 0:
        core = f"{w}{sep}{i}"
    elif form == 1:
        core = f"{w}{sep}{i}{ctx.hpick(LURE)}"
    elif form == 2:
        core = f"{ctx.hpick(LURE)}{ctx.hpick(('，', ' ', '', '！'))}{w}{sep}{i}"
    else:
        core = _cat(
            ctx.hpick(("想要的", "需要的", "姐妹们", "宝妈们", "有意者", "感兴趣的")), w, sep, i
        )
    # an upbeat lure ("免费领😍") reads positive; most spam is neutral
    s = 1 if form in (1, 2) and ctx.maybe(0.2) else 0
    text = finish(ctx, core, s, typo_p=0.0, particle=0.0, emoji=0.6 if s else 0.3)
    return text, s, ctx.domain(DOMAINS), False


@family("spam", weight=1.8)
def s_numbers(ctx: Ctx) -> tuple[str, int, str, bool]:
    form = ctx.num(0, 3)
    if form == 0:
        core = _cat(
            ctx.hpick(("QQ", "qq", "扣扣", "企鹅", "Q", "球球", "扣")),
            ctx.hpick(("", ":", "：", " ")),
            _digits(ctx, ctx.num(6, 10)),
        )
    elif form == 1:
        core = _cat(
            ctx.hpick(("电话", "手机", "打我电话", "联系", "tel", "☎️", "手机号")),
            ctx.hpick(("", ":", "：", " ")),
            _phone(ctx),
        )
    elif form == 2:
        core = _cat(
            ctx.hpick(LURE),
            ctx.hpick(("加", "联系", "找")),
            ctx.hpick(("Q", "扣", "微", "我")),
            _digits(ctx, ctx.num(6, 11)),
        )
    else:
        core = f"{_phone(ctx)}{ctx.hpick(('同微', '微信同号', '加我', '有惊喜', '找我'))}"
    return finish(ctx, core, 0, typo_p=0.0, particle=0.0, emoji=0.2), 0, ctx.domain(DOMAINS), False


@family("spam", weight=1.5)
def s_link(ctx: Ctx) -> tuple[str, int, str, bool]:
    u = _url(ctx)
    form = ctx.num(0, 2)
    if form == 0:
        core = u
    elif form == 1:
        core = _cat(
            ctx.hpick(("点击", "戳", "打开", "复制", "进")),
            ctx.hpick(("", " ")),
            u,
            ctx.hpick(("", " ", "，")),
            ctx.hpick(LURE),
        )
    else:
        core = f"{ctx.hpick(LURE)}{ctx.hpick(('👉', '→', '：', ' '))}{u}"
    return finish(ctx, core, 0, typo_p=0.0, particle=0.0, emoji=0.2), 0, ctx.domain(DOMAINS), False


@family("spam", weight=1.5)
def s_homepage(ctx: Ctx) -> tuple[str, int, str, bool]:
    core = _cat(
        ctx.hpick(
            (
                "看我主页",
                "主页有惊喜",
                "点我头像",
                "私信我",
                "私我",
                "看我简介",
                "主页看看",
                "头像有惊喜",
                "点我头像进群",
                "私聊我",
                "看我作品",
                "主页有你想要的",
            )
        ),
        ctx.hpick(("", "，" + ctx.hpick(LURE), " " + ctx.hpick(LURE))),
    )
    return finish(ctx, core, 0, typo_p=0.0, emoji=0.3), 0, ctx.domain(DOMAINS), False


@family("spam", weight=1.8)
def s_job(ctx: Ctx) -> tuple[str, int, str, bool]:
    core = ctx.hpick(
        (
            f"兼职日结{ctx.num(100, 800)}元",
            "刷单返现",
            "宝妈在家兼职",
            "手机打字赚钱",
            f"日入{ctx.num(3, 20)}00",
            "代开发票",
            "招代理",
            "收微信号",
            "在家就能做，一部手机就行",
            f"每天{ctx.num(1, 3)}小时月入过万",
            "招聘点赞员",
            "高价收抖音号",
            "学生党兼职",
            "无需押金日结",
            "开发票联系我",
            "专业刷好评",
            "收二手手机",
            "贷款秒批不看征信",
            "招打字员",
            "代刷粉丝",
            "专业代运营",
            "出售粉丝号",
        )
    )
    if ctx.maybe(0.35):
        core += ctx.hpick(("，", " ", "！")) + ctx.hpick(
            (
                "私",
                "滴滴",
                "懂的来",
                "看主页",
                "有意私聊",
                f"{ctx.hpick(WX_WORDS)}{_ident(ctx)}",
                "名额有限",
            )
        )
    return finish(ctx, core, 0, typo_p=0.0, emoji=0.2), 0, "general", False


@family("spam", weight=1.5)
def s_other_room(ctx: Ctx) -> tuple[str, int, str, bool]:
    name = ctx.hpick(ROOM_NAMES)
    d = ctx.domain()
    form = ctx.num(0, 3)
    if form == 0:
        core = _cat(
            ctx.hpick(("来我直播间", "来我家直播间", "来我们直播间", "去我直播间")),
            ctx.hpick(("", "，", " ")),
            ctx.hpick(("更便宜", "有福袋", "抽免单", "九块九包邮", "买一送一")),
        )
    elif form == 1:
        core = f"关注{name}{ctx.hpick(('更便宜', '有福利', '天天抽奖', '同款半价', '', '不迷路'))}"
    elif form == 2:
        core = _cat(
            name,
            ctx.hpick(("家", "直播间")),
            ctx.product(d),
            ctx.hpick(("只要", "才卖", "才")),
            ctx.num(5, 69),
            ctx.hpick(("块", "元", "")),
        )
    else:
        core = _cat(
            ctx.hpick(("隔壁", "别家", "某某")),
            ctx.hpick(("直播间", "店")),
            ctx.hpick(("才", "只要")),
            ctx.num(5, 49),
            ctx.hpick(("，去那边", "，都去", "，速去" + name, "")),
        )
    return finish(ctx, core, 0, typo_p=0.0, emoji=0.25), 0, d, form == 3


@family("spam", weight=1.2)
def s_taokouling(ctx: Ctx) -> tuple[str, int, str, bool]:
    token = "".join(ctx.pick(_ALNUM + "ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(ctx.num(9, 12)))
    wrap = ctx.pick(("￥￥", "$$", "€€", "₳₳", "()", "《《", "//"))  # opening + closing mark
    app = ctx.hpick(
        (
            "复制打开淘宝",
            "复制这条信息打开手机淘宝",
            "打开淘宝看看",
            "復製打開淘寶",
            "复制打开抖音",
            "长按复制打开拼多多",
            "👈复制去淘宝搜索",
            "打开👉手机淘宝👈即可查看",
        )
    )
    num = f"{ctx.num(1, 9)}.{ctx.num(0, 9)}{ctx.num(0, 9)} " if ctx.maybe(0.4) else ""
    text = (
        f"{num}{wrap[0]}{token}{wrap[1]} {app}"
        if ctx.maybe(0.7)
        else f"{app} {wrap[0]}{token}{wrap[1]}"
    )
    return text, 0, ctx.domain(DOMAINS), False


@family("spam", weight=0.8)
def s_group(ctx: Ctx) -> tuple[str, int, str, bool]:
    # boundary: the poster advertising their own group with an id/number -> spam
    core = _cat(
        ctx.hpick(("进群", "加群", "拉你进群", "福利群", "粉丝群", "内部群", "宝妈群")),
        ctx.hpick(("", ":", "：", " ")),
        _digits(ctx, ctx.num(7, 10)),
        ctx.hpick(("", "，" + ctx.hpick(LURE), " 暗号" + ctx.hpick(("666", "福利", "宝宝")))),
    )
    return finish(ctx, core, 0, typo_p=0.0, emoji=0.2), 0, "general", True


@family("spam", split="dev", weight=1.0)
def s_recruit(ctx: Ctx) -> tuple[str, int, str, bool]:
    core = _cat(
        ctx.pick(("招", "急招", "诚招", "高薪招")),
        ctx.pick(("带货主播", "模特", "场控", "客服", "剪辑", "宝妈", "学生")),
        ctx.pick(("，", " ", "")),
        ctx.pick(("底薪八千", "日结", "无经验可", "在家办公", "包吃住", "提成高")),
        ctx.pick(("，", " ", "")),
        ctx.pick(
            ("私", "看主页", "加V" + _ident(ctx), "扣" + _digits(ctx, 9), "联系" + _phone(ctx))
        ),
    )
    return finish(ctx, core, 0, typo_p=0.0, particle=0.0), 0, "general", False


@family("spam", split="test", weight=1.0)
def s_disguised(ctx: Ctx) -> tuple[str, int, str, bool]:
    d = ctx.domain()
    p = ctx.product(d)
    core = ctx.hpick(
        (
            f"{p}我在别处买才一半价，{ctx.hpick(WX_WORDS)}{_ident(ctx)}告诉你",
            f"想要便宜{p}的{ctx.hpick(('私我', '看主页', '找我'))}",
            f"{p}厂家直销{ctx.hpick(WX_WORDS)}{_ident(ctx)}",
            f"我家{p}更好，{ctx.hpick(('来我直播间', '点我头像', '关注' + ctx.hpick(ROOM_NAMES)))}",
            f"{p}货源{ctx.hpick(('私', '+v', '加Q'))}{_digits(ctx, 8)}",
            f"卖{p}的同行互关",
        )
    )
    return finish(ctx, core, 0, typo_p=0.0, emoji=0.2), 0, d, True


@family("spam", split="test", weight=0.8)
def s_fancy(ctx: Ctx) -> tuple[str, int, str, bool]:
    i = _ident(ctx)
    spaced = " ".join(i)
    core = ctx.hpick(
        (
            f"➕{ctx.hpick(('V', 'v', '薇'))} {spaced}",
            f"ⓥⓧ{i}",
            f"V·X·{i}",
            f"加卫星号{i}",
            f"绿色软件搜{i}",
            f"微*信{i}",
            f"wei xin {i}",
            f"🛰️{i}",
        )
    )
    return finish(ctx, core, 0, typo_p=0.0, emoji=0.2), 0, "general", True


# ---------------------------------------------------------------------------
# chatter
# ---------------------------------------------------------------------------


@family("chatter", weight=2.0)
def c_greeting(ctx: Ctx) -> tuple[str, int, str, bool]:
    d = ctx.domain(DOMAINS)
    form = ctx.num(0, 3)
    if form == 0:
        core = ctx.hpick(
            (
                "主播好",
                "来了来了",
                "晚上好",
                "打卡",
                "报道",
                "又来了",
                "第一次来",
                "家人们好",
                "老粉来了",
                "早上好",
                "中午好",
                "下午好",
                "来啦",
                "我来了",
                "准时到",
                "签到",
                "新人报到",
                "又见面了",
                "刚进来",
                "回来了",
            )
        )
    elif form == 1:
        core = _cat(
            ctx.hpick(("从", "我是", "", "来自")),
            ctx.pick(PLACES),
            ctx.hpick(("来的", "的", "来支持", "的老乡来了", "报道")),
        )
    elif form == 2:
        core = _cat(
            ctx.pick(ADDRESS + ZHUNONG_ADDRESS),
            ctx.hpick(("好", "晚上好", "辛苦了", "我来啦", "又见面了", "早啊")),
        )
    else:
        core = _cat(
            ctx.hpick(
                ("每天都来", "天天来看", "跟了你三年了", "一直在看", "从开播就在", "蹲了一晚上")
            )
        )
    s = 1 if ctx.maybe(0.4) else 0
    return finish(ctx, core, s, emoji=0.35), s, d, False


@family("chatter", weight=2.2)
def c_praise(ctx: Ctx) -> tuple[str, int, str, bool]:
    d = ctx.domain(DOMAINS)
    form = ctx.num(0, 3)
    if form == 0:
        core = ctx.hpick(
            (
                "主播好美",
                "好看",
                "好漂亮",
                "声音好听",
                "讲得好",
                "太便宜了",
                "良心主播",
                "主播真实在",
                "主播好帅",
                "颜值在线",
                "好有气质",
                "主播皮肤真好",
                "讲得真清楚",
                "主播好可爱",
                "太会了",
                "好专业",
                "这个价格绝了",
                "真的划算",
                "性价比高",
            )
        )
    elif form == 1:
        core = _cat(
            ctx.product(d) if d != "general" else "这个",
            ctx.hpick(
                (
                    "看着就好吃",
                    "好好看",
                    "颜色真好看",
                    "真不错",
                    "看起来好甜",
                    "好高级",
                    "绝了",
                    "爱了",
                    "好想要",
                    "质量看着不错",
                )
            ),
        )
    elif form == 2:
        core = ctx.hpick(
            (
                "支持书记",
                "书记辛苦了",
                "为家乡点赞",
                "支持助农",
                "县长接地气",
                "为书记点赞",
                "支持家乡产品",
                "家乡的味道",
                "书记讲得真好",
                "好官",
                "支持乡村振兴",
            )
        )
        d = "zhunong"
    else:
        core = _cat(
            ctx.hpick(("太", "好", "超级", "真的", "贼", "老", "巨")),
            ctx.hpick(("好看", "便宜", "划算", "喜欢", "实惠", "可爱", "有意思", "棒")),
            ctx.hpick(("了", "啊", "", "了吧")),
        )
    return addr(ctx, d, 0.2) + finish(ctx, core, 1, emoji=0.45), 1, d, False


@family("chatter", weight=2.0)
def c_reaction(ctx: Ctx) -> tuple[str, int, str, bool]:
    core = ctx.hpick(
        (
            "666",
            "扣1",
            "1111",
            "哈哈哈",
            "笑死我了",
            "绝了",
            "冲冲冲",
            "家人们冲",
            "牛",
            "yyds",
            "绝绝子",
            "awsl",
            "太卷了",
            "好家伙",
            "可以可以",
            "妙啊",
            "稳",
            "赞",
            "上车上车",
            "冲鸭",
            "哈哈哈哈哈",
            "2333",
            "hhhh",
            "牛啊",
            "我的天",
            "好耶",
            "我来啦",
            "扣2",
            "88888",
            "666666",
            "啊啊啊",
            "救命好好笑",
            "真的假的",
            "离谱",
            "哇塞",
            "蚌埠住了",
        )
    )
    if ctx.maybe(0.2):
        core = core + core[-2:] if len(core) > 1 else core * 3
    s = 0 if core.startswith(("扣", "1", "真的", "离谱")) else 1
    return finish(ctx, core, s, typo_p=0.0, emoji=0.4), s, ctx.domain(DOMAINS), False


GOOD_FEEDBACK = {
    "beauty": ("很好用", "用着不错", "挺温和的", "不闷痘", "质量不错", "家里人都说好", "持妆挺久"),
    "food": ("很好吃", "挺香的", "孩子爱吃", "味道正宗", "家里人都说好", "一下就吃完了"),
    "fruit": ("很甜", "特别新鲜", "个头大", "没有坏果", "家里人都说好", "水分足"),
    "zhunong": ("很好吃", "是小时候的味道", "特别香", "很实在", "家里老人都说好", "熬粥很香"),
    "clothing": ("穿着很舒服", "很暖和", "版型好", "不起球", "质量不错", "显瘦"),
    "electronics": ("很好用", "音质不错", "续航挺久", "用了一年没坏", "质量不错", "很耐用"),
}


@family("chatter", weight=1.8)
def c_bought(ctx: Ctx) -> tuple[str, int, str, bool]:
    d = ctx.domain()
    form = ctx.num(0, 3)
    s = 1
    if form == 0:
        core = ctx.hpick(
            (
                "买了",
                "抢到了",
                "已拍",
                "拍了两单",
                "付款了",
                "下单了",
                "拍了",
                "已下单",
                "秒了",
                "入手了",
                "又买了",
                "给我妈也买了一份",
                "囤了三箱",
                "拍了拍了",
            )
        )
    elif form == 1:
        core = _cat(
            ctx.hpick(("上次买的", "回购的", "之前买的", "去年买的")),
            ctx.product(d),
            ctx.pick(GOOD_FEEDBACK[d]),
        )
    elif form == 2:
        core = _cat(
            ctx.hpick(("回购", "第", "已经买了")),
            ctx.hpick(("三", "五", "二", "好几", "十")),
            ctx.hpick(("次了", "回了", "单了")),
        )
    else:
        core = ctx.hpick(
            ("没抢到", "手慢了", "又没抢到", "秒没了", "网卡了没抢到", "手速不够", "差一点")
        )
        s = -1
    return finish(ctx, core, s, emoji=0.35), s, d, False


@family("chatter", weight=1.2)
def c_emote(ctx: Ctx) -> tuple[str, int, str, bool]:
    n = ctx.num(1, 4)
    items = [ctx.pick(EMOTES + POS_EMOJI) for _ in range(n)]
    if ctx.maybe(0.3):
        items = [items[0]] * ctx.num(2, 5)
    text = "".join(items)
    if ctx.maybe(0.3):
        text = ctx.hpick(("好", "赞", "支持", "爱了", "来了", "棒", "美")) + text
    return text, 1, ctx.domain(DOMAINS), False


@family("chatter", weight=1.5)
def c_life(ctx: Ctx) -> tuple[str, int, str, bool]:
    if ctx.maybe(0.6):
        core = ctx.hpick(
            (
                "在吃饭",
                "下班了来看看",
                "孩子睡了",
                "好困",
                "外面下雨了",
                "刚下班",
                "路口交通好堵",
                "今天好冷",
                "在上班偷偷看",
                "刚洗完澡",
                "睡不着",
                "又加班",
                "躺床上看",
                "在地里干活回来",
                "明天还要早起",
                "坐公交看直播",
                "我家猫也在看",
                "老公在旁边",
                "刚接完孩子",
                "在厨房做饭",
                "在车上",
                "还在排队",
                "晚饭还没吃",
            )
        )
        s = 0
    else:
        core = ctx.hpick(
            (
                "加油",
                "点赞",
                "关注了",
                "分享了",
                "今天发工资了",
                "给你点亮了",
                "灯牌亮了",
                "点了关注",
                "送你小心心",
                "分享给闺蜜了",
                "转发了",
                "给主播点赞",
                "已关注",
            )
        )
        s = 1
    return addr(ctx, "general", 0.15) + finish(ctx, core, s), s, "general", False


@family("chatter", weight=0.8)
def c_meh(ctx: Ctx) -> tuple[str, int, str, bool]:
    # low-mood remarks and transient stream glitches: chatter, not grievances
    core = ctx.hpick(
        (
            "好累啊今天",
            "心情不好来看看",
            "又下播了",
            "这么快就结束了",
            "卡死了",
            "怎么黑屏了",
            "声音断断续续的",
            "刷不出来",
            "网好卡",
            "上班好烦",
            "今天被领导骂了",
            "失眠了",
            "手机快没电了",
            "又要加班",
            "好无聊",
            "没人理我",
            "刚进来就下播",
            "看不清画面",
        )
    )
    s = -1 if ctx.maybe(0.7) else 0
    return addr(ctx, "general", 0.1) + finish(ctx, core, s), s, "general", False


@family("chatter", weight=0.8)
def c_pricey(ctx: Ctx) -> tuple[str, int, str, bool]:
    # reactions of disappointment that are not complaints needing humans
    core = ctx.hpick(
        (
            "好贵啊买不起",
            "月底了没钱",
            "穷，只能看看",
            "钱包不允许",
            "等发工资再买",
            "吃土了",
            "看看不买",
            "又剁手了",
            "家里还有没用完",
            "老公不让买",
            "好想要但没钱",
        )
    )
    s = -1 if ctx.maybe(0.5) else 0
    return finish(ctx, core, s), s, ctx.domain(DOMAINS), False


@family("chatter", weight=0.9)
def c_dialect(ctx: Ctx) -> tuple[str, int, str, bool]:
    core = ctx.hpick(
        (
            "老铁没毛病",
            "贼好看",
            "嘎嘎好",
            "这玩意儿老好了",
            "巴适得很",
            "安逸惨了",
            "要得要得",
            "好正啊",
            "靓到爆",
            "好犀利",
            "整挺好",
            "得劲",
            "中中中",
            "美滴很",
            "嘎嘎香",
            "雀食不错",
            "好靓仔",
            "阔以阔以",
            "老妹儿真俊",
            "猴赛雷",
        )
    )
    return finish(ctx, core, 1, typo_p=0.0), 1, ctx.domain(DOMAINS), False


@family("chatter", weight=0.8)
def c_playful(ctx: Ctx) -> tuple[str, int, str, bool]:
    # boundary: mild teasing + laughter/affection markers -> chatter (positive)
    core = _cat(
        ctx.hpick(
            ("主播", "主播你", "助理", "小哥你", "你", "姐姐你", "书记你", "宝子你", "老板你")
        ),
        ctx.hpick(
            (
                "是猪吗",
                "笨死了",
                "憨憨",
                "傻乎乎的",
                "是个二货",
                "小笨蛋",
                "呆瓜",
                "好傻",
                "是不是傻",
                "猪脑子",
                "又算错了笨蛋",
                "憨得可爱",
            )
        ),
        ctx.hpick(
            ("哈哈哈", "哈哈", "😂", "🤣", "好可爱", "hhh", "笑死", "[捂脸]", "[偷笑]", "哈哈哈哈")
        ),
    )
    return finish(ctx, core, 1, typo_p=0.0), 1, "general", True


@family("chatter", weight=0.6)
def c_innocent_sub(ctx: Ctx) -> tuple[str, int, str, bool]:
    # boundary: innocent words containing blocked-looking substrings
    core = ctx.hpick(
        (
            "大麻烦了",
            "路口交通好堵",
            "给主播打call",
            "打call打call",
            "卧槽好便宜",
            "我也是河南人",
            "东北老乡来了",
            "草莓看着好甜",
            "我妈也在看",
            "你妈妈肯定很漂亮",
            "日常打卡",
            "这次又给你添大麻烦了",
            "上海人也来支持",
            "我老公是四川人",
            "傻了吧唧的我又下单了",
            "笑得我像个傻子",
            "被自己蠢哭了",
            "我真是个败家子",
            "卧槽绝了",
            "牛逼牛逼",
            "这价格牛掰",
            "我靠太好看了",
        )
    )
    s = 1 if ctx.maybe(0.6) else 0
    return finish(ctx, core, s, typo_p=0.0), s, "general", True


@family("chatter", weight=0.8)
def c_chat_others(ctx: Ctx) -> tuple[str, int, str, bool]:
    core = ctx.hpick(
        (
            "楼上说得对",
            "同意楼上",
            "哈哈楼上好逗",
            "楼上也是老乡吗",
            "前面的姐妹买了吗",
            "有没有一起拼单的",
            "我也想要",
            "+1",
            "同问",
            "我也是",
            "我家也是",
            "一样一样",
            "附议",
            "楼上的快去买",
            "姐妹们都买了吗",
        )
    )
    return finish(ctx, core, 0, typo_p=0.1), 0, "general", False


STORY_VERBS = {
    "beauty": ("一直用", "最爱用", "天天抹", "就认这个", "出门必带"),
    "food": ("最爱吃", "天天吃", "顿顿离不开", "每次回家都带", "馋了好多年"),
    "fruit": ("最爱吃", "一到夏天就买", "天天念叨", "种过", "每年都寄"),
    "zhunong": ("也种", "最爱吃", "年年都收", "天天念叨", "家里就产"),
    "clothing": ("就穿", "最爱穿", "一直想要", "穿了好多年", "天天念叨"),
    "electronics": ("一直用", "天天念叨", "早就想换", "用坏了三个", "就认这个牌子的"),
}


@family("chatter", split="dev", weight=1.0)
def c_meta(ctx: Ctx) -> tuple[str, int, str, bool]:
    # remarks about the stream itself
    core = ctx.pick(
        (
            "今天人好多",
            "直播间好热闹",
            "今天灯光好亮",
            "背景好好看",
            "主播今天换发型了",
            "助理是新来的吧",
            "今天声音有点小",
            "镜头有点晃",
            "画面好清晰",
            "今天怎么这么早开播",
            "在线人数破万了",
            "这个滤镜好看",
            "后面的货架好整齐",
            "今天的衣服好配",
            "bgm好好听",
            "主播今天好精神",
            "换直播间了？",
            "今天是在果园里播吗",
            "今天在地头直播哈",
            "风好大",
        )
    )
    s = 1 if ctx.maybe(0.5) else 0
    return addr(ctx, "general", 0.15) + finish(ctx, core, s), s, ctx.domain(DOMAINS), False


@family("chatter", split="test", weight=0.8)
def c_story(ctx: Ctx) -> tuple[str, int, str, bool]:
    d = ctx.domain()
    p = ctx.product(d)
    who = ctx.hpick(
        ("小时候", "我奶奶", "我们老家", "以前上学", "我爸", "去年过年", "我闺女", "我们宿舍")
    )
    core = _cat(
        who,
        ctx.pick(STORY_VERBS[d]),
        p,
        ctx.hpick(("", "，好怀念", "，看到就亲切", "哈哈", "，太有感觉了")),
    )
    return finish(ctx, core, 1), 1, d, False


@family("chatter", split="test", weight=0.8)
def c_host_care(ctx: Ctx) -> tuple[str, int, str, bool]:
    core = ctx.hpick(
        (
            "主播喝口水吧",
            "主播嗓子都哑了",
            "别太累了",
            "早点休息",
            "注意身体",
            "主播吃饭了没",
            "心疼主播",
            "播这么久辛苦了",
            "主播多穿点",
            "书记注意身体",
            "歇会再讲",
        )
    )
    return addr(ctx, "general", 0.1) + finish(ctx, core, 1), 1, "general", False


# ---------------------------------------------------------------------------
# Evasion variants for test abuse rows
# ---------------------------------------------------------------------------

EVASION_MAP: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "傻逼",
        ("傻 逼", "s.b", "傻_b", "sha bi", "煞笔", "沙比", "傻b", "ｓｂ", "SB", "傻逼逼逼", "儍逼"),
    ),
    ("你妈死了", ("nmsl", "尼玛死了", "你🐎死了", "n m s l")),
    ("操你妈", ("cnm", "草泥马", "艹你妈", "c n m", "cao你妈")),
    ("他妈的", ("tmd", "他🐎的", "特么的", "ta妈的", "他 妈 的")),
    ("妈的", ("md", "🐎的", "麻的")),
    ("脑残", ("脑 残", "nc", "脑惨", "脑cán")),
    ("垃圾", ("辣鸡", "lj", "垃 圾", "拉圾", "la ji")),
    ("智障", ("zz", "智 障", "智樟", "zhi障")),
    ("废物", ("fw", "废 物", "肺物", "fei物")),
    ("贱人", ("jian人", "贱 人", "剑人", "jr")),
    ("婊子", ("biao子", "表子", "婊 子")),
    ("骗子", ("pian子", "骗 子", "片子", "骗zi")),
    ("弱智", ("rz", "弱 智", "若智")),
    ("白痴", ("白 痴", "bai痴", "白吃")),
    ("去死", ("qu死", "去 死", "去4", "qs")),
    ("畜生", ("畜 生", "chu生", "畜牲")),
    ("神经病", ("sjb", "神 经 病", "神精病")),
    ("滚", ("gun", "滚滚滚", "衮", "🎲")),
    ("丑", ("chou", "丑丑丑", "仇")),
    ("死", ("si", "4", "屎")),
    ("猪", ("🐷", "zhu", "朱")),
    ("狗", ("🐶", "gou", "够")),
)
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


# ---------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------

_STRIP = re.compile(r"[\s\W_]+", re.UNICODE)


def norm_key(text: str) -> str:
    """Loose key used to keep near-identical texts out of different splits."""
    t = unicodedata.normalize("NFKC", text).lower()
    return _STRIP.sub("", t)


def _split_products() -> dict[str, dict[str, tuple[str, ...]]]:
    out: dict[str, dict[str, list[str]]] = {s: {d: [] for d in PRODUCTS} for s in SPLITS}
    for d, items in PRODUCTS.items():
        for i, p in enumerate(items):
            out[_index_split(i)][d].append(p)
    # a product that appears in several domains (苹果, 猕猴桃) must stay on one side
    train_names = {p for lst in out["train"].values() for p in lst}
    for s in ("dev", "test"):
        for d in PRODUCTS:
            out[s][d] = [p for p in out[s][d] if p not in train_names]
    for s in ("dev", "test"):
        for d in PRODUCTS:
            if not out[s][d]:
                out[s][d] = [PRODUCTS[d][3 if s == "test" else 5]]
    return {s: {d: tuple(v) for d, v in ds.items()} for s, ds in out.items()}


def _quota(total: int) -> dict[str, int]:
    dev = round(total * SPLIT_SHARE["dev"])
    test = round(total * SPLIT_SHARE["test"])
    return {"train": total - dev - test, "dev": dev, "test": test}


def _pick_family(rng: random.Random, fams: Sequence[Family]) -> Family:
    total = sum(f.weight for f in fams)
    r = rng.random() * total
    for f in fams:
        r -= f.weight
        if r <= 0:
            return f
    return fams[-1]


def generate(seed: int = 1126, totals: dict[str, int] | None = None) -> dict[str, list[Row]]:
    """Generate the three splits plus ``test_evasion``; deterministic for ``seed``."""
    totals = dict(LABEL_TOTALS if totals is None else totals)
    products = _split_products()
    seen_exact: set[str] = set()
    keys_by_split: dict[str, Counter[str]] = {s: Counter() for s in SPLITS}
    out: dict[str, list[Row]] = {s: [] for s in SPLITS}
    for split in SPLITS:
        for label in LABELS:
            rng = random.Random(f"{seed}:{split}:{label}")
            own = [f for f in FAMILIES if f.label == label and f.split == split]
            shared = [f for f in FAMILIES if f.label == label and f.split == "train"]
            want = _quota(totals[label])[split]
            got = 0
            tries = 0
            while got < want and tries < want * 60:
                tries += 1
                if split == "train":
                    fam = _pick_family(rng, shared)
                    held_out = False
                else:
                    # dev/test: own held-out families, or shared families with held-out products
                    use_own = own and rng.random() < OWN_SHARE
                    fam = _pick_family(rng, own if use_own else shared)
                    held_out = bool(use_own)
                ctx = Ctx(rng=rng, split=split, products=products[split])
                text, sentiment, domain, hard = fam.fn(ctx)
                if split != "train" and not held_out and not ctx.used_product:
                    continue
                text = text.strip()
                if not text or text in seen_exact:
                    continue
                key = norm_key(text)
                if split != "train" and any(key in keys_by_split[s] for s in SPLITS if s != split):
                    continue
                if not key or keys_by_split[split][key] >= MAX_PER_KEY:
                    continue
                seen_exact.add(text)
                keys_by_split[split][key] += 1
                out[split].append(Row(text, label, sentiment, domain, hard, fam.name))
                got += 1
        rng = random.Random(f"{seed}:{split}:shuffle")
        rng.shuffle(out[split])
    erng = random.Random(f"{seed}:evasion")
    out["test_evasion"] = [
        Row(evasion_variant(r.text, erng), r.label, r.sentiment, r.domain, True, r.family)
        for r in out["test"]
        if r.label == "abuse"
    ]
    return out


def rows_to_jsonl(rows: Iterable[Row], extra: Sequence[dict[str, Any]] | None = None) -> str:
    lines = []
    for i, r in enumerate(rows):
        d = r.to_dict()
        if extra is not None:
            d.update(extra[i])
        lines.append(json.dumps(d, ensure_ascii=False))
    return "\n".join(lines) + "\n"


def write_corpus(out_dir: Path, seed: int = 1126) -> dict[str, Counter[str]]:
    data = generate(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    for split in SPLITS:
        (out_dir / f"{split}.jsonl").write_text(rows_to_jsonl(data[split]), encoding="utf-8")
    plains = [{"plain": r.text} for r in data["test"] if r.label == "abuse"]
    (out_dir / "test_evasion.jsonl").write_text(
        rows_to_jsonl(data["test_evasion"], plains), encoding="utf-8"
    )
    return {name: Counter(r.label for r in rows) for name, rows in data.items()}


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="corpus/live", type=Path)
    ap.add_argument("--seed", default=1126, type=int)
    args = ap.parse_args(argv)
    counts = write_corpus(args.out, args.seed)
    for name, c in counts.items():
        print(name, sum(c.values()), dict(sorted(c.items())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
