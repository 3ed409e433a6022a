"""Chatter families: greetings, praise, reactions, feedback, life talk and playful banter."""

from __future__ import annotations

from .data import load
from .grammar import Ctx, addr, cat, family, finish
from .vocab import ADDRESS, DOMAINS, EMOTES, PLACES, POS_EMOJI, ZHUNONG_ADDRESS

_D = load("chatter")


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
        core = cat(
            ctx.hpick(("从", "我是", "", "来自")),
            ctx.pick(PLACES),
            ctx.hpick(("来的", "的", "来支持", "的老乡来了", "报道")),
        )
    elif form == 2:
        core = cat(
            ctx.pick(ADDRESS + ZHUNONG_ADDRESS),
            ctx.hpick(("好", "晚上好", "辛苦了", "我来啦", "又见面了", "早啊")),
        )
    else:
        core = cat(
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
        core = cat(
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
        core = cat(
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


GOOD_FEEDBACK = _D["GOOD_FEEDBACK"]


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
        core = cat(
            ctx.hpick(("上次买的", "回购的", "之前买的", "去年买的")),
            ctx.product(d),
            ctx.pick(GOOD_FEEDBACK[d]),
        )
    elif form == 2:
        core = cat(
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
    core = cat(
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


STORY_VERBS = _D["STORY_VERBS"]


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
    core = cat(
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
