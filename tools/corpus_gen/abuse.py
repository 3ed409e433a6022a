"""Abuse families: insults, curses, looks, threats, sexual, regional and identity attacks."""

from __future__ import annotations

from .data import load
from .grammar import Ctx, addr, cat, family, finish
from .vocab import DOMAINS, REGION_PEOPLE

_D = load("abuse")

INSULTS = _D["INSULTS"]
INSULTS_EVADED = _D["INSULTS_EVADED"]
CURSES = _D["CURSES"]
TARGETS = _D["TARGETS"]


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
        core = cat(
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
        core = cat(
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
    core = cat(
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
        core = cat(
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
    core = cat(
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
    core = cat(
        ctx.pick(TARGETS),
        ctx.hpick(("这个", "这种", "纯")),
        ctx.hpick(INSULTS + INSULTS_EVADED),
        ctx.hpick(("还有脸直播", "也配卖东西", "赶紧滚", "看着就来气", "全家都是")),
    )
    return finish(ctx, core, -1, typo_p=0.0), -1, ctx.domain(DOMAINS), False


@family("abuse", weight=0.6)
def a_animal(ctx: Ctx) -> tuple[str, int, str, bool]:
    # boundary: animal/teasing words WITHOUT laughter/affection markers -> abuse
    core = cat(
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
