"""Spam families: WeChat and phone lures, links, job offers, other rooms, tao kouling."""

from __future__ import annotations

from .data import load
from .grammar import Ctx, cat, family, finish
from .vocab import DOMAINS, ROOM_NAMES

_D = load("spam")

_ALNUM = "abcdefghijkmnpqrstuvwxyz23456789"
WX_WORDS = _D["WX_WORDS"]
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


LURE = _D["LURE"]


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
        core = cat(
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
        core = cat(
            ctx.hpick(("QQ", "qq", "扣扣", "企鹅", "Q", "球球", "扣")),
            ctx.hpick(("", ":", "：", " ")),
            _digits(ctx, ctx.num(6, 10)),
        )
    elif form == 1:
        core = cat(
            ctx.hpick(("电话", "手机", "打我电话", "联系", "tel", "☎️", "手机号")),
            ctx.hpick(("", ":", "：", " ")),
            _phone(ctx),
        )
    elif form == 2:
        core = cat(
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
        core = cat(
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
    core = cat(
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
        core = cat(
            ctx.hpick(("来我直播间", "来我家直播间", "来我们直播间", "去我直播间")),
            ctx.hpick(("", "，", " ")),
            ctx.hpick(("更便宜", "有福袋", "抽免单", "九块九包邮", "买一送一")),
        )
    elif form == 1:
        core = f"关注{name}{ctx.hpick(('更便宜', '有福利', '天天抽奖', '同款半价', '', '不迷路'))}"
    elif form == 2:
        core = cat(
            name,
            ctx.hpick(("家", "直播间")),
            ctx.product(d),
            ctx.hpick(("只要", "才卖", "才")),
            ctx.num(5, 69),
            ctx.hpick(("块", "元", "")),
        )
    else:
        core = cat(
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
    core = cat(
        ctx.hpick(("进群", "加群", "拉你进群", "福利群", "粉丝群", "内部群", "宝妈群")),
        ctx.hpick(("", ":", "：", " ")),
        _digits(ctx, ctx.num(7, 10)),
        ctx.hpick(("", "，" + ctx.hpick(LURE), " 暗号" + ctx.hpick(("666", "福利", "宝宝")))),
    )
    return finish(ctx, core, 0, typo_p=0.0, emoji=0.2), 0, "general", True


@family("spam", split="dev", weight=1.0)
def s_recruit(ctx: Ctx) -> tuple[str, int, str, bool]:
    core = cat(
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
