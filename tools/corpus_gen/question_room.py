"""Question families about the product and the room: usage, authenticity, timing,
requests to the host, dialect, comparisons, and the innocent look-alikes of abuse.
"""

from __future__ import annotations

from .grammar import Ctx, addr, cat, family, finish
from .question_shop import Q_PREFIX
from .vocab import COLORS, DOMAINS


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
        core = cat(
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
    core = cat(
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
        core = cat(
            ctx.hpick(("什么时候上", "啥时候讲", "一会有", "今天有没有", "等下上不上", "还上不上")),
            ctx.product(d),
        )
    else:
        core = cat(
            ctx.product(d),
            ctx.hpick(("几点上", "什么时候上架", "今天还有吗", "排在第几个", "下周还有吗")),
        )
    return addr(ctx, d, 0.35) + finish(ctx, core, 0, ask=True), 0, d, False


@family("question", weight=1.5)
def q_request(ctx: Ctx) -> tuple[str, int, str, bool]:
    d = ctx.domain()
    form = ctx.num(0, 3)
    if form == 0:
        core = cat(
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
        core = cat(
            ctx.hpick(("主播", "小姐姐", "模特", "助理", "")),
            ctx.hpick(("试穿一下", "穿一下", "上身看看", "换")),
            ctx.pick(COLORS),
            ctx.hpick(("", "的", "那件")),
        )
        d = "clothing"
    else:
        core = cat(
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
    core = cat(
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
    core = cat(
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
    core = cat(
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
    core = cat(
        ctx.hpick(("问了半天了", "问了三遍了", "一直问", "没人回")),
        ctx.hpick(("，", " ", "！")),
        ctx.product(d),
        ctx.hpick(("到底多少钱", "到底几号链接", "到底有没有货", "到底包不包邮")),
    )
    return finish(ctx, core, -1, ask=True), -1, d, True
