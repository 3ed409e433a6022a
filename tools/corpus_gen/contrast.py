"""Contrast chatter: the words the abuse rows use, in comments that insult nobody.

The generated abuse rows (``abuse.py``) attack groups and people with words such
as 这女的, 这男的, 东北人, 河南人, 恶心, 垃圾; COLD, the abuse head's public data,
is Zhihu and Weibo talk about region, gender and race. Neither shows those
words in ordinary talk, so the model learned that a group word alone is abuse:
"这女的唱得真好" or "东北人路过" came out as abuse. These rows say the same words
the way viewers do without insulting anyone:

* neutral mentions of people and groups (regions, genders, nationalities,
  family words, "这种人", "这哥们"), with praise, plot talk or a roll-call;
* disgust or scorn at things, not people (这关好恶心, 垃圾版本, 垃圾分类);
* swearing used as an intensifier (他妈的太好听了, 我tm笑死) and playful,
  affectionate words between fans (小笨蛋, 憨憨, 傻得可爱), which
  ``docs/labelling-guide.md`` calls chatter.

All of it is written for roomwatch from the labelling guide and ordinary
Mandarin usage; nothing comes from the unlicensed real-traffic sample.
Rows are chatter (training only; ``tools/gen_chatter.py --contrast-out`` writes
them; see ``corpus/live/README.md`` for what they did to the model).
"""

from __future__ import annotations

import random

__all__ = ["generate_contrast"]

REGIONS = [
    "东北",
    "河南",
    "四川",
    "广东",
    "上海",
    "北京",
    "山东",
    "湖南",
    "湖北",
    "江西",
    "福建",
    "浙江",
    "江苏",
    "安徽",
    "陕西",
    "山西",
    "河北",
    "云南",
    "贵州",
    "广西",
    "新疆",
    "西藏",
    "甘肃",
    "内蒙",
    "天津",
    "重庆",
    "海南",
    "台湾",
    "香港",
    "南方",
    "北方",
    "大连",
    "温州",
]

NATIONS = [
    "日本",
    "韩国",
    "印度",
    "美国",
    "英国",
    "法国",
    "德国",
    "俄罗斯",
    "泰国",
    "越南",
    "非洲",
    "巴西",
    "意大利",
    "外国",
    "欧洲",
]

PEOPLE = [
    "女的",
    "男的",
    "女生",
    "男生",
    "女孩",
    "男孩",
    "女人",
    "男人",
    "妹子",
    "小姐姐",
    "小哥哥",
    "小伙子",
    "姑娘",
    "大叔",
    "阿姨",
    "大爷",
    "大妈",
    "老外",
    "老太太",
    "老爷子",
    "小朋友",
    "小孩",
    "黑人小哥",
    "白人小哥",
    "外国小哥",
    "姐妹",
    "兄弟",
    "哥们",
    "老婆",
    "老公",
    "媳妇",
    "女朋友",
    "男朋友",
    "我妈",
    "我爸",
    "我老婆",
    "我老公",
    "这种人",
    "这人",
    "这位",
    "这哥们",
    "这姐们",
    "这女的",
    "这男的",
    "那个女的",
    "那个男的",
    "那个人",
    "这个大叔",
    "这个阿姨",
    "那个小哥",
]

PRAISE = [
    "好厉害",
    "唱得真好",
    "声音好好听",
    "说话好好笑",
    "真有意思",
    "太可爱了",
    "也太强了",
    "不简单",
    "好飒",
    "太会了",
    "真的会玩",
    "是狠人",
    "好有礼貌",
    "好热情",
    "好能吃",
    "太实在了",
    "笑死我了",
    "好真实",
    "演技可以",
    "反应好快",
    "是我本人",
    "一模一样",
    "跟我一样",
    "好像我",
    "挺好的",
    "好温柔",
    "好帅",
    "好美",
    "太拼了",
    "好勇",
    "好稳",
    "手好巧",
    "眼光不错",
    "品味好",
    "好有梗",
    "太逗了",
    "好淡定",
    "心态真好",
    "好努力",
    "好专业",
    "真懂行",
    "好会说",
    "跳得真好",
]

ROLL = [
    "路过",
    "前来报到",
    "来了",
    "打卡",
    "在看",
    "表示赞同",
    "表示很亲切",
    "听懂了",
    "狂喜",
    "有被笑到",
    "第一次听说",
    "感觉好亲切",
    "口音好亲切",
    "就是这样",
    "说的没错",
    "深有同感",
    "认证过了",
    "可以作证",
    "实名羡慕",
    "已笑疯",
]

THINGS = [
    "这关",
    "这个boss",
    "这个机制",
    "这个设计",
    "这个bug",
    "这画面",
    "这特效",
    "这味道",
    "这口感",
    "这个副本",
    "这个版本",
    "这个地图",
    "这虫子",
    "这蜘蛛",
    "这伤口",
    "这滤镜",
    "这配色",
    "这剧情",
    "这结局",
    "这延迟",
    "这网速",
    "这天气",
    "这个操作",
    "这个技能",
    "这把刀",
    "这卡顿",
    "这转场",
    "这个怪",
]

DISGUST = [
    "恶心",
    "垃圾",
    "好恶心",
    "有点恶心",
    "恶心到我了",
    "看着恶心",
    "太恶心了",
    "真恶心",
    "好恶心啊",
    "恶心死了",
    "看得我好难受",
    "真垃圾",
    "太垃圾了",
    "好垃圾",
    "垃圾得很",
    "有点垃圾",
    "烂透了",
    "好离谱",
    "好拉胯",
    "好丑",
    "丑哭了",
]

TRASH = [
    "垃圾分类",
    "垃圾桶",
    "垃圾袋",
    "垃圾时间",
    "倒垃圾",
    "扔垃圾",
    "垃圾版本",
    "垃圾机制",
    "垃圾匹配",
    "垃圾网速",
    "垃圾天气",
    "垃圾运气",
    "垃圾游戏体验",
    "垃圾食品",
    "垃圾话",
    "垃圾佬",
    "捡垃圾",
    "电子垃圾",
    "垃圾清运",
    "垃圾站",
]

INTENSIFIED = [
    "他妈的太好听了",
    "他妈的绝了",
    "我tm笑死",
    "真tm好看",
    "tm太帅了",
    "卧槽牛逼",
    "卧槽太强了",
    "我靠笑死",
    "我靠好帅",
    "妈的好燃",
    "他妈的哭了",
    "我tm直接哭了",
    "这也太tm好笑了",
    "卧槽卧槽",
    "我靠我靠",
    "妈耶",
    "我的妈呀",
    "我滴妈",
    "他喵的",
    "好家伙我直接",
    "tm的又输了",
    "淦",
    "草草草",
    "艹太强了",
]

PLAYFUL = [
    "小笨蛋好可爱",
    "笨蛋猫猫",
    "笨笨的好可爱",
    "憨憨好可爱",
    "这个憨憨",
    "大憨憨",
    "傻得可爱",
    "傻乎乎的",
    "小傻瓜",
    "傻猫",
    "傻狗好可爱",
    "二哈又拆家",
    "蠢萌",
    "呆萌",
    "小坏蛋",
    "坏家伙",
    "臭宝",
    "臭弟弟",
    "小气鬼",
    "小馋猫",
    "调皮鬼",
    "胆小鬼",
    "爱哭鬼",
    "戏精本精",
    "戏好多",
    "狗头保命",
    "菜狗是我",
    "我是憨憨",
    "我太菜了",
    "笑死",
    "我好蠢",
    "我脑子不够用",
    "手残是我",
    "小丑竟是我自己",
]

TAILS = ["", "", "", "!", "！", "~", "哈哈哈", "hhh", "233", "（笑", "[doge]", "😂", "👍", "。"]


def _person(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.3:
        return rng.choice(REGIONS) + rng.choice(["人", "人", "的朋友", "老乡", "妹子", "大哥"])
    if roll < 0.45:
        return rng.choice(NATIONS) + rng.choice(["人", "朋友", "小哥", "网友", "友人"])
    return rng.choice(PEOPLE)


def _row(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.45:
        p = _person(rng)
        return rng.choice(
            [
                "{p}{x}",
                "{p}{x}",
                "{p}真的{x}",
                "{p}是真的{x}",
                "这个{p}{x}",
                "{p}：{x}",
                "{p}{r}",
                "{r}，{p}{x}",
                "{p}",
            ]
            + (["作为{p}{r}", "我们{p}{r}"] if p[-1] == "人" else [])
        ).format(p=p, x=rng.choice(PRAISE), r=rng.choice(ROLL))
    if kind < 0.65:
        return rng.choice(["{t}{d}", "{t}{d}", "{d}", "{t}是真的{d}", "{t}{d}吧"]).format(
            t=rng.choice(THINGS), d=rng.choice(DISGUST)
        )
    if kind < 0.75:
        return rng.choice(["{w}", "又是{w}", "{w}哈哈", "今天{w}"]).format(w=rng.choice(TRASH))
    if kind < 0.87:
        return rng.choice(INTENSIFIED)
    return rng.choice(PLAYFUL)


def generate_contrast(n: int, seed: int, seen: set[str] | None = None) -> list[str]:
    """``n`` distinct contrast rows (none of them in ``seen``), deterministic for ``seed``."""
    rng = random.Random(seed)
    taken = set(seen or ())
    out: list[str] = []
    tries = 0
    while len(out) < n and tries < n * 50:
        tries += 1
        text = _row(rng) + rng.choice(TAILS)
        if text not in taken:
            taken.add(text)
            out.append(text)
    return out


# Questions in form only: rhetorical, amazed, self-directed and guessing
# remarks (the labelling guide's "not questions"), which carry 吗/呢/？ and
# wh-words but ask nobody for anything.
RHETORIC = [
    "这合理吗",
    "你礼貌吗",
    "这是人能做到的吗",
    "有必要吗",
    "至于吗",
    "不香吗",
    "还有谁",
    "是我眼花了吗",
    "我没看错吧",
    "这还是人吗",
    "你是魔鬼吗",
    "这也行吗",
    "能不爱吗",
    "谁懂啊",
    "是我来晚了吗",
    "这不就是我吗",
    "凭什么这么好听",
    "怎么这么可爱",
    "什么神仙颜值",
    "我是谁我在哪",
    "我为什么要点进来",
    "我在干什么",
    "这是什么神仙操作",
    "这是什么鬼",
    "什么鬼",
    "啥玩意",
    "这都行",
    "就这？",
    "真的假的",
    "真的吗",
    "不会吧",
    "不是吧",
    "啊这",
    "这也太离谱了吧",
    "谁还不是个宝宝呢",
    "还有这种操作",
    "你敢信",
    "这谁顶得住",
    "是不是胖了",
    "下雨了？",
    "又输了？",
    "又来？",
    "是我的错觉吗",
    "有被笑到吗",
    "这不比那个好",
    "难道不香吗",
    "他是认真的吗",
    "你认真的吗",
    "这就没了？",
    "结束了？",
    "就这么结束了",
    "我是不是瞎了",
    "我耳朵坏了吗",
    "怎么回事",
    "咋回事",
    "搞什么",
    "干嘛呢",
    "想啥呢",
    "你在想屁吃",
    "这谁想得到",
    "为什么不早说",
    "早干嘛去了",
    "何必呢",
    "图啥呢",
    "有啥用",
    "能咋办呢",
    "还能这样",
    "这都可以",
    "你以为呢",
    "不然呢",
    "你说呢",
    "谁说不是呢",
]

RHETORIC_TAIL = [
    "",
    "",
    "？",
    "?",
    "？？",
    "??",
    "！",
    "哈哈哈",
    "（笑",
    "[doge]",
    "😂",
    "。。。",
    "~",
]


def generate_rhetoric(n: int, seed: int, seen: set[str] | None = None) -> list[str]:
    """``n`` distinct rhetorical or self-directed 'questions' (chatter)."""
    rng = random.Random(seed + 1)
    taken = set(seen or ())
    out: list[str] = []
    tries = 0
    while len(out) < n and tries < n * 50:
        tries += 1
        text = rng.choice(RHETORIC)
        if rng.random() < 0.3:
            text = (
                rng.choice(["哈哈哈", "笑死", "好家伙", "啊", "我靠", "救命", "不是"])
                + rng.choice(["，", " ", ""])
                + text
            )
        text += rng.choice(RHETORIC_TAIL)
        if text not in taken:
            taken.add(text)
            out.append(text)
    return out
