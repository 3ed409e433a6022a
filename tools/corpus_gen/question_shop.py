"""Question families about buying: price, link, stock, size, shipping, after-sales."""

from __future__ import annotations

from .data import load
from .grammar import Ctx, addr, cat, family, finish
from .vocab import COLORS, PLACES, SIZES

_D = load("question")

Q_PREFIX = _D["Q_PREFIX"]
PRICE_ASK = _D["PRICE_ASK"]
PRICE_UNIT = _D["PRICE_UNIT"]


@family("question", weight=3.0)
def q_price(ctx: Ctx) -> tuple[str, int, str, bool]:
    d = ctx.domain()
    p = ctx.product(d)
    form = ctx.num(0, 4)
    if form == 0:
        core = f"{ctx.opt(Q_PREFIX)}{p}{ctx.opt(PRICE_UNIT, 0.4)}{ctx.hpick(PRICE_ASK)}"
    elif form == 1:
        core = cat(
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
        core = cat(
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
        core = cat(
            p,
            ctx.hpick(("和", "跟", "比")),
            ctx.product(d),
            ctx.hpick(("哪个便宜", "价格一样吗", "差多少钱", "一起买多少")),
        )
    else:
        core = cat(
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
        core = cat(
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
        core = cat(
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
        core = cat(
            ctx.hpick(("刚才讲的", "手上这个", "刚刚那个", "第一个", "上一个")),
            ctx.hpick(("几号链接", "是几号", "链接是多少号", "在哪个链接")),
        )
    elif form == 4:
        core = (
            f"{n}号和{n + ctx.num(1, 9)}号{ctx.hpick(('有啥区别', '哪个好', '一样吗', '哪个划算'))}"
        )
    else:
        core = cat(
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
        core = cat(
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
        core = cat(
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
        core = cat(
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
        core = cat(
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
        core = cat(
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
        core = cat(
            ctx.hpick(("胖子", "微胖", "梨形身材", "小个子", "腿粗", "肩宽")),
            ctx.hpick(("能穿吗", "穿着好看吗", "适合吗", "选哪个码")),
        )
    elif form == 3:
        core = cat(
            "腰围",
            ctx.hpick(("二尺", "2尺", "两尺")),
            ctx.num(1, 8),
            ctx.hpick(("拿哪个码", "穿几码", "选多大")),
        )
    else:
        core = cat(
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
        core = cat(
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
        core = cat(
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
        core = cat(
            ctx.hpick(("现在拍", "今晚拍", "刚拍的", "拍了")),
            ctx.hpick(("什么时候发", "几号发货", "啥时候到", "多久到")),
        )
    else:
        core = cat(
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
        core = cat(
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
        core = cat(
            ctx.hpick(("收到", "到货", "拆开")),
            ctx.hpick(("坏的", "压坏了", "不喜欢", "尺码不对")),
            ctx.hpick(("怎么办", "给退吗", "能赔吗", "包退吗")),
        )
    return addr(ctx, d, 0.25) + finish(ctx, core, 0, ask=True), 0, d, False
