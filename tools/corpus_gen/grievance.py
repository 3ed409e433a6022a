"""Grievance families: not shipped, refunds, quality, fakes, platform and local complaints."""

from __future__ import annotations

from .data import load
from .grammar import Ctx, cat, family, finish
from .vocab import PLACES

_D = load("grievance")

DAYS = _D["DAYS"]
INTENS = ("", "", "", "", "都", "全", "居然", "竟然", "直接", "又")
ANGRY_TAIL = _D["ANGRY_TAIL"]


def gtail(ctx: Ctx) -> str:
    t = ctx.pick(ANGRY_TAIL)
    return ("，" + t) if t else ""


@family("grievance", weight=2.0)
def g_not_shipped(ctx: Ctx) -> tuple[str, int, str, bool]:
    d = ctx.domain()
    form = ctx.num(0, 3)
    if form == 0:
        core = cat(
            ctx.hpick(("拍了", "下单", "付款", "买了")),
            ctx.pick(DAYS),
            ctx.hpick(
                ("还不发货", "了还没发", "物流不动", "还没消息", "了都不发货", "了快递还在原地")
            ),
        )
    elif form == 1:
        core = cat(
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
        core = cat(
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
        core = cat(
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
        core = cat(
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
        core = cat(
            ctx.product(d),
            ctx.hpick(("退了", "寄回去")),
            ctx.pick(DAYS),
            ctx.hpick(("钱还没退", "没人签收", "店家不认", "说没收到")),
        )
    return finish(ctx, core + gtail(ctx), -1, emoji=0.2), -1, d, False


QUALITY = _D["QUALITY"]


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
        core = cat(
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
        core = cat(
            "说是原价",
            ctx.num(99, 599),
            "结果",
            ctx.hpick(("平时就卖", "别家才卖", "超市才")),
            ctx.num(19, 89),
        )
    else:
        core = cat(
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
    core = cat(
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


LOCAL = _D["LOCAL"]


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
    core = cat(
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
    core = cat(
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
    core = cat(
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
