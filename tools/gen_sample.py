"""Generate roomwatch's bundled sample recordings (dev-time only).

Writes a deterministic, synthetic but realistic recording of two live-stream
rooms interleaved in time order:

* ``beauty-live-1126`` (douyin): a 美妆/服饰 带货 room whose host pushes
  numbered links 1号-8号 over time;
* ``county-apples-1126`` (kuaishou): an officials' 助农 room selling apples,
  millet and honey with the 县长 and 书记 on camera.

Usage::

    python tools/gen_sample.py                 # samples/demo.jsonl.gz + sidecars
    python tools/gen_sample.py --mini          # samples/mini.jsonl + sidecars
    python tools/gen_sample.py --out x.jsonl.gz --seed 7

Next to each recording it writes ``<stem>.truth.jsonl[.gz]`` (one
``{"id", "label"}`` per record, plus ``"topic"`` for questions: questions that
share a topic ask the same thing and should fold together) and
``<stem>.events.json`` (the scripted events with their start and end ts).
Labels never appear in the recording itself.

Texts are built from parts (openers, bodies, particles, product names,
emoji, emotes, tails and typos) so that the same intent shows up in many
surface forms. The same seed always gives byte-identical files.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import math
import random
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

__all__ = [
    "LABELS",
    "START_TS",
    "Link",
    "Plan",
    "RoomPlan",
    "Sample",
    "demo_plan",
    "generate",
    "main",
    "mini_plan",
    "sidecar_paths",
    "write_sample",
]

#: 2025-11-26 00:00 UTC, which is 08:00 in Beijing.
START_TS: Final = 1764115200.0
LABELS: Final = ("question", "grievance", "abuse", "spam", "chatter")
SAMPLES_DIR: Final = Path(__file__).resolve().parent.parent / "samples"
DEFAULT_SEED: Final = 1126
_FIRST_ID: Final = 80001

# ---------------------------------------------------------------------------
# The plan: rooms, links and scripted events.


@dataclass(frozen=True, slots=True)
class Link:
    """A numbered product link the host pushes at ``at`` seconds."""

    number: int
    product: str
    title: str
    price: float
    at: float
    unit: str = "件"


@dataclass(frozen=True, slots=True)
class RoomPlan:
    room: str
    platform: str
    theme: str  # "beauty" or "farm"
    host: tuple[str, str]  # (user id, display name)
    base_rate: float  # comments per second once warmed up
    peak_rate: float  # extra comments per second right after a push
    links: tuple[Link, ...]
    grievance_share: float
    spam_share: float
    abuse_share: float
    audience: int  # number of regular viewers whose home is this room


@dataclass(frozen=True, slots=True)
class Plan:
    duration: float  # seconds
    rooms: tuple[RoomPlan, ...]
    warmup: float  # seconds to reach the base rate
    push_tau: float  # decay time of the post-push peak, seconds
    push_window: float  # how long a push counts as an event, seconds
    side_rate: float  # enter/like/gift records per second per room
    superchat_every: float  # mean seconds between superchats per room
    #: (room, start, end, extra grievances per second), or None.
    burst: tuple[str, float, float, float] | None = None
    #: (room, start, number of accounts), or None.
    raid: tuple[str, float, int] | None = None
    #: (room, seconds, label) lines injected on top of the random stream, so
    #: that a small sample is sure to hold what its tests need.
    fixed: tuple[tuple[str, float, str], ...] = ()
    spammers: int = 20


def demo_plan() -> Plan:
    """About 20 minutes, two rooms, eight links plus four, a burst and a raid."""
    beauty = RoomPlan(
        room="beauty-live-1126",
        platform="douyin",
        theme="beauty",
        host=("host-beauty", "小美美妆"),
        base_rate=4.2,
        peak_rate=9.0,
        links=(
            Link(1, "口红", "丝绒哑光口红 #316", 89.0, 60.0, "支"),
            Link(2, "面霜", "玻尿酸保湿面霜 50g", 129.0, 170.0, "瓶"),
            Link(3, "卫衣", "加绒连帽卫衣 男女同款", 99.0, 300.0, "件"),
            # The host pushes 5号 right after 3号: both are hot at once.
            Link(5, "粉底液", "持妆粉底液 30ml", 159.0, 330.0, "瓶"),
            Link(4, "口红套装", "口红三支装礼盒", 199.0, 480.0, "套"),
            Link(6, "卫裤", "加绒束脚卫裤", 79.0, 650.0, "条"),
            Link(7, "眼影盘", "十二色大地色眼影盘", 69.0, 820.0, "盘"),
            Link(8, "防晒霜", "清爽防晒霜 SPF50", 59.0, 1000.0, "支"),
        ),
        grievance_share=0.035,
        spam_share=0.04,
        abuse_share=0.032,
        audience=1700,
    )
    farm = RoomPlan(
        room="county-apples-1126",
        platform="kuaishou",
        theme="farm",
        host=("host-county", "苹果县融媒体"),
        base_rate=3.2,
        peak_rate=8.0,
        links=(
            Link(1, "苹果", "高原红富士苹果 5斤装", 29.9, 90.0, "箱"),
            Link(2, "小米", "农家黄小米 5斤", 39.9, 360.0, "袋"),
            Link(3, "蜂蜜", "山花土蜂蜜 500g", 49.9, 600.0, "瓶"),
            Link(4, "苹果礼盒", "红富士苹果礼盒 10斤", 59.9, 930.0, "箱"),
        ),
        grievance_share=0.06,
        spam_share=0.035,
        abuse_share=0.026,
        audience=1300,
    )
    return Plan(
        duration=1200.0,
        rooms=(beauty, farm),
        warmup=240.0,
        push_tau=40.0,
        push_window=90.0,
        side_rate=0.6,
        superchat_every=45.0,
        burst=("county-apples-1126", 720.0, 800.0, 4.0),
        raid=("beauty-live-1126", 455.0, 12),
    )


def mini_plan() -> Plan:
    """About 2 minutes and ~200 records, for fast tests."""
    beauty = RoomPlan(
        room="beauty-live-1126",
        platform="douyin",
        theme="beauty",
        host=("host-beauty", "小美美妆"),
        base_rate=0.62,
        peak_rate=1.6,
        links=(
            Link(3, "卫衣", "加绒连帽卫衣 男女同款", 99.0, 20.0, "件"),
            Link(5, "粉底液", "持妆粉底液 30ml", 159.0, 40.0, "瓶"),
        ),
        grievance_share=0.04,
        spam_share=0.045,
        abuse_share=0.0,
        audience=60,
    )
    farm = RoomPlan(
        room="county-apples-1126",
        platform="kuaishou",
        theme="farm",
        host=("host-county", "苹果县融媒体"),
        base_rate=0.45,
        peak_rate=1.2,
        links=(Link(1, "苹果", "高原红富士苹果 5斤装", 29.9, 25.0, "箱"),),
        grievance_share=0.12,
        spam_share=0.045,
        abuse_share=0.0,
        audience=50,
    )
    return Plan(
        duration=120.0,
        rooms=(beauty, farm),
        warmup=10.0,
        push_tau=20.0,
        push_window=40.0,
        side_rate=0.05,
        superchat_every=60.0,
        fixed=(
            ("beauty-live-1126", 52.3, "abuse"),
            ("beauty-live-1126", 77.9, "abuse"),
            ("county-apples-1126", 96.4, "abuse"),
            ("beauty-live-1126", 88.6, "grievance"),
            ("county-apples-1126", 71.2, "spam"),
        ),
        spammers=4,
    )


# ---------------------------------------------------------------------------
# Text parts.

_EMOJI: Final = ("😂", "😭", "👍", "❤️", "🔥", "🙏", "😍", "🤣", "💪", "😁", "🥰", "👏", "✨", "😅")
_EMOTES: Final = (
    "[比心]",
    "[赞]",
    "[玫瑰]",
    "[捂脸]",
    "[鼓掌]",
    "[呲牙]",
    "[爱心]",
    "[666]",
    "[送心]",
)
_ANGRY: Final = ("😡", "😤", "😭", "👎", "😠", "🙄")
_ANGRY_EMOTES: Final = ("[发怒]", "[流泪]", "[撇嘴]", "[抓狂]", "[再见]")
_CN_DIGITS: Final = "零一二三四五六七八九"
_TYPOS: Final = (
    ("链接", "连接"),
    ("多少钱", "多少前"),
    ("包邮", "包油"),
    ("发货", "发或"),
    ("尺码", "尺吗"),
    ("保质期", "保值期"),
    ("苹果", "平果"),
    ("什么", "啥"),
    ("怎么", "咋"),
    ("没有", "木有"),
    ("好看", "好k"),
    ("喜欢", "稀饭"),
    ("客服", "客腹"),
)
_PROVINCES: Final = ("河南", "东北", "安徽", "广西", "湖南", "江西", "甘肃")
_OTHER_ROOMS: Final = ("美妆特卖888", "老王水果店", "工厂直销女装", "9块9福利社")

_Q_PREFIX: Final = {
    "beauty": ("", "", "", "", "主播", "请问", "姐姐", "宝宝", "问一下", "小美"),
    "farm": ("", "", "", "", "县长", "书记", "请问", "主播", "问下", "老师"),
}
_Q_MARKS: Final = ("", "", "？", "?", "？？", "???")
_Q_SUFFIX: Final = ("", "", "", "？", "?", "？？", "啊", "呀", "呢", "啊？", "呢?", "？？？")

_PRICE: Final = (
    "{n}号链接多少钱",
    "{n}号多少钱",
    "{n}号价格",
    "{n}号链接怎么卖",
    "{n}号多少米",
    "{n}号啥价",
    "{n}号什么价格",
    "{n}号几块钱",
    "{n}号链接价格多少",
    "{n}号现在多少钱",
    "{n}号{p}多少钱",
    "{p}多少钱一{u}",
    "{n}号怎么卖",
    "{n}号有优惠券吗",
)
_STOCK: Final = (
    "{n}号还有吗",
    "{n}号没货了吗",
    "{n}号怎么拍不了",
    "{n}号还能补货吗",
    "{n}号库存还有吗",
    "{n}号抢不到怎么办",
)
_SHIPPING: Final = (
    "包邮吗",
    "包不包邮",
    "偏远地区包邮吗",
    "新疆包邮吗",
    "包邮不",
    "是包邮的吗",
    "全国包邮吗",
    "运费多少",
    "西藏能包邮吗",
)
_DELIVERY: Final = (
    "什么时候发货",
    "几天发货",
    "多久发货",
    "今天拍什么时候发",
    "什么时候能到",
    "啥时候发货",
    "拍了几天能发",
)
_COURIER: Final = ("发什么快递", "顺丰吗", "发啥快递", "能发顺丰吗")
_WHICH: Final = ("{p}是几号链接", "{p}几号", "{p}在几号链接", "几号链接是{p}", "{p}链接是几号")
_WHEN: Final = ("{p}什么时候上", "{p}还上吗", "什么时候上{p}", "{p}今天有吗")
_EARLY: Final = ("今天有什么", "什么时候开始上链接", "几点上车", "今天有福利吗", "今天卖什么")

#: Per product: (subtopic, template) pairs of detail questions.
_SPECS: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "口红": (
        ("shade", "{p}什么色号"),
        ("shade", "黄皮适合哪个色号"),
        ("shade", "{n}号有几个色"),
        ("dry", "{p}拔干吗"),
        ("real", "{n}号是正品吗"),
    ),
    "口红套装": (
        ("shade", "套装是哪三个色"),
        ("real", "{n}号是正品吗"),
        ("gift", "{n}号有礼袋吗"),
    ),
    "面霜": (
        ("skin", "敏感肌能用吗"),
        ("skin", "{n}号敏感肌可以用吗"),
        ("shelf", "{p}保质期多久"),
        ("preg", "孕妇能用吗"),
        ("oily", "油皮能用吗"),
    ),
    "卫衣": (
        ("size", "{n}号有什么尺码"),
        ("size", "{n}号尺码怎么选"),
        ("size", "{h}斤穿什么码"),
        ("size", "身高{cm}穿多大"),
        ("size", "卫衣偏大还是偏小"),
        ("size", "{n}号有XL吗"),
        ("color", "{n}号有几个颜色"),
    ),
    "卫裤": (
        ("size", "{n}号尺码怎么选"),
        ("size", "{h}斤穿什么码"),
        ("size", "裤子偏大吗"),
    ),
    "粉底液": (
        ("shade", "{n}号有几个色号"),
        ("shade", "黄黑皮选哪个色"),
        ("skin", "干皮能用吗"),
        ("shelf", "粉底保质期多久"),
    ),
    "眼影盘": (("shade", "眼影盘显色吗"), ("powder", "{n}号飞粉吗")),
    "防晒霜": (("spf", "防晒多少倍"), ("skin", "敏感肌能用吗"), ("white", "{p}搓泥吗")),
    "苹果": (
        ("size", "苹果多大果径"),
        ("size", "{n}号果子多大"),
        ("sweet", "甜不甜"),
        ("sweet", "{p}甜吗"),
        ("shelf", "能放多久"),
        ("shelf", "保质期多久"),
        ("weight", "{n}号几斤"),
        ("weight", "是净重吗"),
        ("bad", "坏果包赔吗"),
    ),
    "小米": (
        ("new", "是今年的新米吗"),
        ("weight", "{n}号几斤装"),
        ("shelf", "小米保质期多久"),
    ),
    "蜂蜜": (
        ("pure", "蜂蜜是纯的吗"),
        ("pure", "{n}号是不是真蜂蜜"),
        ("crystal", "会结晶吗"),
        ("shelf", "蜂蜜保质期几年"),
    ),
    "苹果礼盒": (
        ("count", "礼盒里有多少个"),
        ("gift", "{n}号能送人吗 有手提袋吗"),
        ("size", "{n}号果子多大"),
    ),
}

_CHATTER: Final = (
    "666",
    "6666666",
    "扣1",
    "1",
    "11111",
    "哈哈哈",
    "哈哈哈哈哈",
    "来了",
    "来了来了",
    "打卡",
    "早",
    "早上好",
    "大家好",
    "主播好",
    "第一次来",
    "买了",
    "已拍",
    "抢到了",
    "拍了拍了",
    "没抢到",
    "冲",
    "冲冲冲",
    "蹲",
    "蹲一个",
    "好好好",
    "支持",
    "支持一下",
    "关注了",
    "点赞了",
    "刚来",
    "上车了",
    "已下单",
    "付款了",
    "晚了一步",
    "手慢了",
)
_CHATTER_THEME: Final = {
    "beauty": (
        "主播好美",
        "姐姐好漂亮",
        "这个色号好看",
        "口红颜色绝了",
        "主播皮肤好好",
        "回购第三次了",
        "已经用了两瓶了 好用",
        "穿上好看",
        "卫衣好看",
        "等了好久了",
        "姐妹们冲",
        "主播今天的妆好看",
        "上次买的超好用",
        "小美早",
        "颜色好显白",
    ),
    "farm": (
        "县长辛苦了",
        "书记好",
        "支持家乡",
        "支持助农",
        "老家的苹果就是甜",
        "我是本地人 支持",
        "给县长点赞",
        "县长接地气",
        "苹果看着真好",
        "小时候就吃这个小米",
        "家乡的味道",
        "买了两箱送人",
        "农民不容易 支持",
        "县长普通话不错",
        "书记也来了",
        "去年买过 很甜",
        "为家乡代言",
    ),
}
_CHATTER_OPENER: Final = {
    "beauty": ("", "", "", "", "哇", "啊啊啊", "家人们", "姐妹们", "宝子们"),
    "farm": ("", "", "", "", "哇", "老铁们", "家人们", "乡亲们"),
}

_GRIEVE: Final = {
    "beauty": (
        "口红断了 客服不理",
        "面霜用了过敏 找客服没人管",
        "卫衣洗一次就起球",
        "发错色号了 退货还要自己出运费",
        "等了十天还没发货",
        "上次买的跟专柜的不一样",
        "退款被驳回了 凭什么",
        "客服不回",
        "客服一直不回消息",
        "说好的赠品没收到",
        "衣服有线头 还有污渍",
        "申请售后三天没人处理",
    ),
    "farm": (
        "上次买的苹果烂了一半",
        "收到的苹果发霉了",
        "苹果一箱坏了十几个",
        "退款没人管",
        "客服不回",
        "客服一直不回消息",
        "申请退款一个星期了没人处理",
        "小米里面有虫子",
        "蜂蜜结块了 是不是假的",
        "说好的五斤 称了只有四斤",
        "快递压坏了也不给补",
        "上次的苹果又小又酸 跟直播的不一样",
        "售后电话打不通",
    ),
}
#: The complaint burst in the 助农 room: the same bad batch, many buyers.
_BURST: Final = (
    "上次买的苹果烂了一半",
    "我的也是 烂了好几个",
    "苹果发霉了",
    "收到的苹果全是黑斑",
    "箱子打开一股烂味",
    "退款没人管",
    "退款申请提交五天了 没人管",
    "客服不回",
    "找客服三天了都不回",
    "坏果说好包赔 结果不赔",
    "一箱烂了一半还让我自己拍照 拍了也不理",
    "上批苹果是不是放太久了 全软了",
    "我家的也发霉了",
    "+1 我的也烂了",
    "同问 退款怎么没人处理",
)
_LOCAL: Final = (
    "我们村拖欠工资两年了 县长管管",
    "工地拖欠工资 找谁都没用",
    "拆迁款到现在没给",
    "拆迁补偿太低了 没人管",
    "我们那路没修 好几年了",
    "村里的路一下雨就没法走",
    "看病难 县医院排一天队",
    "看病太贵了 医保报不了多少",
    "孩子上学要走十几里路",
    "村里到现在没通自来水",
)
_GRIEVE_PREFIX: Final = {
    "beauty": ("", "", "", "主播", "@客服 ", "姐妹们 "),
    "farm": ("", "", "", "县长", "书记", "@客服 ", "县长 ", "书记您看看 "),
}
_GRIEVE_SUFFIX: Final = (
    "",
    "",
    "有没有人管啊",
    "！！",
    "太失望了",
    "真的服了",
    "能不能给个说法",
    "心寒",
    "再也不买了",
    "谁来管管",
)

_INSULTS: Final = (
    "{t}傻b",
    "{t}是s b吧",
    "煞笔{t}",
    "{t}脑残",
    "nmsl",
    "cnm",
    "你🐎没了",
    "sb",
    "{t}丑八怪",
    "垃圾直播间",
    "{t}垃圾",
    "{t}滚出直播间",
    "{t}就是个骗子 sb",
    "dsb",
    "{t}智障吧",
    "rnm 退钱",
    "{t}是不是傻 b",
    "tmd {t}就知道骗钱",
    "傻逼{t}",
)
_REGION: Final = (
    "{r}人都是骗子",
    "又是{r}的 骗子之乡",
    "{r}人滚",
    "{r}人素质就这样",
    "{r}的东西谁敢买",
)
_HARASS: Final = {
    "beauty": (
        "主播下播约吗",
        "主播加个微信 我包你",
        "丑成这样还好意思直播",
        "长这样也敢开美颜",
        "主播今晚陪我",
        "主播腿真粗 笑死",
    ),
    "farm": (
        "县长演得挺像",
        "当官的就会作秀",
        "县长是不是收钱了 sb",
        "书记拿了多少回扣",
    ),
}
_TARGETS: Final = {
    "beauty": ("主播", "这主播", "你", "楼上", "小美"),
    "farm": ("主播", "你", "楼上", "这县长"),
}
_RAID: Final = (
    "主播是骗子 sb 大家别买",
    "骗子直播间 sb主播",
    "主播骗子 别买了 sb",
    "sb主播 骗子 都别买",
)

_SPAM: Final = (
    "加V{wx}领福利",
    "vx:{wx} 兼职日结",
    "威信{wx} 每天300+",
    "加薇{wx} 看更多",
    "QQ{qq} 免费领口红",
    "+q{qq} 刷单兼职 日赚500",
    "http://t.cn/{code}",
    "看主页 有惊喜",
    "点我头像看主页",
    "刷单兼职 在家就能做 加v{wx}",
    "{tkl} 复制打开tb",
    "￥{code}￥ 打开淘宝领券",
    "来{other}直播间 全场9块9包邮",
    "隔壁{other} 更便宜 都去看看",
    "关注我 每天抽奖送手机",
    "宝妈兼职 手机就能做 看主页",
)

_GIFTS: Final = {
    "douyin": (
        ("小心心", 0.1),
        ("玫瑰", 0.1),
        ("棒棒糖", 0.9),
        ("大啤酒", 2.0),
        ("墨镜", 9.9),
        ("爱的纸鹤", 9.9),
        ("跑车", 120.0),
        ("嘉年华", 3000.0),
    ),
    "kuaishou": (
        ("么么哒", 0.1),
        ("棒棒糖", 0.1),
        ("比心", 0.5),
        ("啤酒", 1.0),
        ("穿云箭", 9.9),
        ("火箭", 50.0),
        ("超级跑车", 200.0),
    ),
}
_GIFT_WEIGHTS: Final = (40, 25, 12, 10, 6, 4, 2, 1)

_SURNAMES: Final = (
    "李王张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
    "苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史"
    "顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
)
_GIVEN: Final = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红梅鹏飞婷雪琳晶欣怡佳悦"
_NICK_ADJ: Final = (
    "快乐的",
    "爱吃",
    "追风",
    "安静的",
    "努力的",
    "佛系",
    "不吃香菜的",
    "会飞的",
    "迷路的",
    "想暴富的",
    "早睡的",
    "元气",
    "温柔",
    "暴躁",
)
_NICK_NOUN: Final = (
    "小猪",
    "少年",
    "猫咪",
    "阿姨",
    "大叔",
    "宝妈",
    "小仙女",
    "打工人",
    "果农",
    "老铁",
    "土豆",
    "橘子",
    "兔子",
    "咸鱼",
    "小月亮",
)
_PLACES: Final = ("洛川", "静宁", "延安", "天水", "临汾", "运城", "烟台", "阿克苏", "昭通", "庆阳")


def _cn_number(n: int) -> str:
    return _CN_DIGITS[n] if n < 10 else str(n)


# ---------------------------------------------------------------------------
# The generator.


@dataclass(frozen=True, slots=True)
class Sample:
    """A generated recording: the records, their labels and the script."""

    records: tuple[dict[str, Any], ...]
    truth: tuple[dict[str, str], ...]
    events: dict[str, Any]

    def label_counts(self) -> dict[str, dict[str, int]]:
        """Counts per room and label (``"*"`` for all rooms), comments only."""
        by_id = {t["id"]: t["label"] for t in self.truth}
        out: dict[str, Counter[str]] = {}
        for rec in self.records:
            label = by_id[rec["id"]]
            for key in (rec["room"], "*"):
                out.setdefault(key, Counter())[label] += 1
        return {room: dict(sorted(c.items())) for room, c in sorted(out.items())}


@dataclass(slots=True)
class _Draft:
    t: float  # seconds since start
    room: str
    seq: int
    text: str
    kind: str
    user: dict[str, Any]
    label: str
    topic: str | None = None
    amount: float | None = None


@dataclass(slots=True)
class _Viewer:
    id: str
    name: str
    level: int


@dataclass(slots=True)
class _Generator:
    plan: Plan
    rng: random.Random
    drafts: list[_Draft] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    audiences: dict[str, tuple[list[_Viewer], list[float]]] = field(default_factory=dict)
    spammers: list[_Viewer] = field(default_factory=list)
    _seq: int = 0

    # -- users --------------------------------------------------------------

    def _name(self) -> str:
        rng = self.rng
        style = rng.random()
        if style < 0.22:
            return rng.choice(("小", "阿", "老")) + rng.choice(_SURNAMES)
        if style < 0.42:
            return (
                rng.choice(_SURNAMES)
                + rng.choice(_GIVEN)
                + rng.choice(("", _GIVEN[rng.randrange(len(_GIVEN))]))
            )
        if style < 0.66:
            return rng.choice(_NICK_ADJ) + rng.choice(_NICK_NOUN)
        if style < 0.82:
            return f"用户{rng.randrange(1000000, 9999999)}"
        if style < 0.92:
            return rng.choice(_PLACES) + rng.choice(("老", "小")) + rng.choice(_SURNAMES)
        return rng.choice(_NICK_NOUN) + str(rng.randrange(1, 9999))

    def _level(self, low: int = 1, high: int = 50) -> int:
        return max(low, min(high, int(self.rng.expovariate(1 / 9.0)) + 1))

    def build_users(self) -> None:
        uid = 1
        for rp in self.plan.rooms:
            viewers: list[_Viewer] = []
            weights: list[float] = []
            for rank in range(rp.audience):
                level = self._level()
                if rank < 8:  # chatty regulars: high level, many comments
                    level = self.rng.randrange(25, 51)
                viewers.append(_Viewer(f"u{uid}", self._name(), level))
                weights.append(1.0 / (rank + 25))
                uid += 1
            cum: list[float] = []
            total = 0.0
            for w in weights:
                total += w
                cum.append(total)
            self.audiences[rp.room] = (viewers, cum)
        # A few viewers watch both rooms.
        rooms = [rp.room for rp in self.plan.rooms]
        if len(rooms) == 2:
            a, b = (self.audiences[r][0] for r in rooms)
            for i in range(0, min(len(a), len(b)) // 20):
                b[-1 - i] = a[40 + i * 3] if 40 + i * 3 < len(a) else b[-1 - i]
        for i in range(self.plan.spammers):
            name = self.rng.choice(("兼职招聘", "福利", "宝妈兼职", "优惠券", "用户")) + (
                self.rng.choice(("小王", "姐姐", "小助手", ""))
                or str(self.rng.randrange(100000, 999999))
            )
            self.spammers.append(_Viewer(f"u{90001 + i}", name, self.rng.randrange(1, 4)))

    def viewer(self, room: str) -> _Viewer:
        viewers, cum = self.audiences[room]
        return self.rng.choices(viewers, cum_weights=cum, k=1)[0]

    @staticmethod
    def _user(v: _Viewer) -> dict[str, Any]:
        return {"id": v.id, "name": v.name, "level": v.level}

    # -- text helpers -------------------------------------------------------

    def _typo(self, text: str, p: float = 0.07) -> str:
        for right, wrong in _TYPOS:
            if right in text and self.rng.random() < p:
                text = text.replace(right, wrong, 1)
        return text

    def _decorate(
        self,
        text: str,
        p_emoji: float,
        pool: Sequence[str] = _EMOJI,
        emotes: Sequence[str] = _EMOTES,
    ) -> str:
        rng = self.rng
        r = rng.random()
        if r < p_emoji * 0.6:
            text += rng.choice(pool) * rng.choice((1, 1, 1, 2, 3))
        elif r < p_emoji:
            text += rng.choice(emotes) * rng.choice((1, 1, 2))
        return text

    def _fill(self, template: str, link: Link | None) -> str:
        rng = self.rng
        n = ""
        if link is not None:
            n = _cn_number(link.number) if rng.random() < 0.3 else str(link.number)
        return template.format(
            n=n,
            p=link.product if link else "",
            u=link.unit if link else "件",
            h=rng.choice((90, 100, 110, 120, 130, 140, 150, 160, 180)),
            cm=rng.choice((155, 158, 160, 165, 170, 175, 180)),
        )

    # -- labels -------------------------------------------------------------

    def question(self, rp: RoomPlan, t: float) -> tuple[str, str]:
        rng = self.rng
        pushed = [lk for lk in rp.links if lk.at <= t]
        fresh = [lk for lk in pushed if t - lk.at < self.plan.push_window]
        upcoming = [lk for lk in rp.links if lk.at > t]
        link: Link | None = None
        if fresh and rng.random() < 0.62:
            link = rng.choice(fresh)
            r = rng.random()
            if r < 0.55:
                body, topic = rng.choice(_PRICE), "price"
            elif r < 0.75:
                topic, body = rng.choice(_SPECS[link.product])
            else:
                body, topic = rng.choice(_STOCK), "stock"
            topic = f"link{link.number}:{topic}"
        else:
            r = rng.random()
            if not pushed and r < 0.45:
                body, topic = rng.choice(_EARLY), "early"
            elif r < 0.25:
                body, topic = rng.choice(_SHIPPING), "shipping"
            elif r < 0.38:
                body, topic = rng.choice(_DELIVERY), "delivery"
            elif r < 0.43:
                body, topic = rng.choice(_COURIER), "courier"
            elif r < 0.55 and upcoming:
                link = rng.choice(upcoming)
                body, topic = rng.choice(_WHEN), f"when:{link.product}"
                link = Link(0, link.product, "", 0.0, 0.0)
            elif r < 0.65 and pushed:
                link = rng.choice(pushed)
                body, topic = rng.choice(_WHICH), f"which:{link.product}"
            elif pushed:
                link = rng.choice(pushed)
                if rng.random() < 0.6:
                    body, topic = rng.choice(_PRICE), f"link{link.number}:price"
                else:
                    sub, body = rng.choice(_SPECS[link.product])
                    topic = f"link{link.number}:{sub}"
            else:
                body, topic = rng.choice(_SHIPPING), "shipping"
        text = self._fill(body, link)
        text = rng.choice(_Q_PREFIX[rp.theme]) + text
        if text.endswith(("吗", "呢", "不")):
            text += rng.choice(_Q_MARKS)
        else:
            text += rng.choice(_Q_SUFFIX)
        text = self._decorate(self._typo(text), 0.08)
        return text, topic

    def chatter(self, rp: RoomPlan, t: float) -> str:
        rng = self.rng
        body = rng.choice(_CHATTER) if rng.random() < 0.55 else rng.choice(_CHATTER_THEME[rp.theme])
        if rng.random() < 0.08:
            return rng.choice(_EMOTES) * rng.choice((1, 2, 3))
        if body in ("哈哈哈", "666", "1") and rng.random() < 0.5:
            body = body * rng.choice((2, 3))
        pushed = [lk for lk in rp.links if lk.at <= t]
        if pushed and body in ("买了", "抢到了", "已拍", "已下单") and rng.random() < 0.5:
            lk = rng.choice(pushed[-2:])
            body = f"{lk.number}号{body}"
        opener = rng.choice(_CHATTER_OPENER[rp.theme])
        if opener and opener in body:
            opener = ""
        text = (opener + (" " if opener and rng.random() < 0.5 else "") + body).strip()
        if rng.random() < 0.1:
            text += rng.choice(("！", "!!", "~", "～～", "。"))
        return self._decorate(self._typo(text, 0.04), 0.38)

    def grievance(self, rp: RoomPlan, t: float, *, burst: bool = False) -> str:
        rng = self.rng
        if burst:
            body = rng.choice(_BURST)
        elif rp.theme == "farm" and rng.random() < 0.3:
            body = rng.choice(_LOCAL)
        else:
            body = rng.choice(_GRIEVE[rp.theme])
        prefix = rng.choice(_GRIEVE_PREFIX[rp.theme])
        if body in _LOCAL and "客服" in prefix:
            prefix = "县长 "
        text = prefix + body
        suffix = rng.choice(_GRIEVE_SUFFIX)
        if suffix:
            text += ("" if suffix.startswith("！") else " ") + suffix
        return self._decorate(self._typo(text, 0.04), 0.3, _ANGRY, _ANGRY_EMOTES)

    def abuse(self, rp: RoomPlan) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.62:
            text = rng.choice(_INSULTS).format(t=rng.choice(_TARGETS[rp.theme]))
        elif r < 0.8:
            text = rng.choice(_REGION).format(r=rng.choice(_PROVINCES))
        else:
            text = rng.choice(_HARASS[rp.theme])
        if rng.random() < 0.2:
            text += rng.choice(("！！", "!!!", " 哈哈哈", " 呸"))
        return self._decorate(text, 0.2, _ANGRY, _ANGRY_EMOTES)

    def spam(self) -> str:
        rng = self.rng
        letters = "abcdefghjkmnpqrstuvwxyz"
        wx = "".join(rng.choice(letters) for _ in range(rng.randrange(2, 5))) + str(
            rng.randrange(1000, 99999999)
        )
        code = "".join(rng.choice(letters + letters.upper() + "0123456789") for _ in range(7))
        text = rng.choice(_SPAM).format(
            wx=wx,
            qq=rng.randrange(10000000, 3999999999),
            code=code,
            tkl=f"{rng.randrange(1, 9)}👈{code}:/",
            other=rng.choice(_OTHER_ROOMS),
        )
        return self._decorate(text, 0.25, ("🎁", "💰", "🔥", "👉", "❗"), ("[红包]", "[礼物]"))

    # -- drafting -----------------------------------------------------------

    def add(
        self,
        t: float,
        room: str,
        text: str,
        kind: str,
        user: dict[str, Any],
        label: str,
        topic: str | None = None,
        amount: float | None = None,
    ) -> None:
        self._seq += 1
        self.drafts.append(_Draft(t, room, self._seq, text, kind, user, label, topic, amount))

    def _rate(self, rp: RoomPlan, t: float) -> float:
        plan = self.plan
        warm = min(1.0, 0.3 + 0.7 * t / plan.warmup)
        wobble = 1.0 + 0.18 * math.sin(t / 97.0 + len(rp.room)) + 0.1 * math.sin(t / 23.0)
        rate = rp.base_rate * warm * wobble
        for lk in rp.links:
            if lk.at <= t:
                rate += rp.peak_rate * math.exp(-(t - lk.at) / plan.push_tau)
        if t > plan.duration - 60:  # the audience thins out near the end
            rate *= 0.75
        return rate

    def _heat(self, rp: RoomPlan, t: float) -> float:
        return max(
            (math.exp(-(t - lk.at) / self.plan.push_tau) for lk in rp.links if lk.at <= t),
            default=0.0,
        )

    def _poisson(self, lam: float) -> int:
        limit, k, p = math.exp(-lam), 0, 1.0
        while True:
            p *= self.rng.random()
            if p <= limit:
                return k
            k += 1

    def comment(self, rp: RoomPlan, t: float) -> None:
        rng = self.rng
        q = 0.2 + 0.36 * self._heat(rp, t)
        # Grievances, abuse and spam do not swell with a link push the way
        # questions and chatter do.
        calm = 1.0 - 0.5 * self._heat(rp, t)
        shares = (q, rp.grievance_share * calm, rp.abuse_share * calm, rp.spam_share * calm)
        r = rng.random()
        if r < shares[0]:
            viewer = self.viewer(rp.room)
            text, topic = self.question(rp, t)
            self.add(t, rp.room, text, "comment", self._user(viewer), "question", topic)
            if rng.random() < 0.12:  # nobody answered: ask again
                again = rng.choice(
                    (
                        text,
                        text + "？？",
                        "问了好几遍了 " + text,
                        text + " 主播看看我",
                        "？？？" + text,
                    )
                )
                later = t + rng.uniform(4.0, 25.0)
                if later < self.plan.duration:
                    self.add(
                        later, rp.room, again, "comment", self._user(viewer), "question", topic
                    )
            return
        r -= shares[0]
        if r < shares[1]:
            self.add(
                t,
                rp.room,
                self.grievance(rp, t),
                "comment",
                self._user(self.viewer(rp.room)),
                "grievance",
            )
            return
        r -= shares[1]
        if r < shares[2]:
            troll = self.viewer(rp.room)
            self.add(t, rp.room, self.abuse(rp), "comment", self._user(troll), "abuse")
            return
        r -= shares[2]
        if r < shares[3]:
            spammer = rng.choice(self.spammers)
            text = self.spam()
            self.add(t, rp.room, text, "comment", self._user(spammer), "spam")
            if rng.random() < 0.3:  # spammers paste the same line again
                later = t + rng.uniform(2.0, 40.0)
                if later < self.plan.duration:
                    self.add(later, rp.room, text, "comment", self._user(spammer), "spam")
            return
        self.add(
            t, rp.room, self.chatter(rp, t), "comment", self._user(self.viewer(rp.room)), "chatter"
        )

    def side(self, rp: RoomPlan, t: float) -> None:
        rng = self.rng
        v = self.viewer(rp.room)
        r = rng.random()
        if r < 0.5:
            self.add(
                t,
                rp.room,
                rng.choice(("进入直播间", "进入直播间", "")),
                "enter",
                self._user(v),
                "chatter",
            )
        elif r < 0.8:
            self.add(
                t,
                rp.room,
                rng.choice(("为主播点赞了", "点赞了", "")),
                "like",
                self._user(v),
                "chatter",
            )
        else:
            gifts = _GIFTS[rp.platform]
            name, price = rng.choices(gifts, weights=_GIFT_WEIGHTS[: len(gifts)], k=1)[0]
            count = rng.choice((1, 1, 1, 1, 2, 5, 10)) if price < 5 else 1
            self.add(
                t,
                rp.room,
                f"送出 {name}×{count}",
                "gift",
                self._user(v),
                "chatter",
                amount=round(price * count, 2),
            )

    def superchat(self, rp: RoomPlan, t: float) -> None:
        rng = self.rng
        v = self.viewer(rp.room)
        amount = float(rng.choice((30, 30, 50, 50, 100, 200, 500)))
        r = rng.random()
        if r < 0.5:
            text, topic = self.question(rp, t)
            self.add(t, rp.room, text, "superchat", self._user(v), "question", topic, amount)
        elif rp.theme == "farm" and r < 0.7:
            self.add(
                t,
                rp.room,
                "县长 " + rng.choice(_LOCAL),
                "superchat",
                self._user(v),
                "grievance",
                amount=amount,
            )
        else:
            self.add(
                t,
                rp.room,
                self.chatter(rp, t),
                "superchat",
                self._user(v),
                "chatter",
                amount=amount,
            )

    def run(self) -> None:
        plan, rng = self.plan, self.rng
        self.build_users()
        for rp in plan.rooms:
            host = {"id": rp.host[0], "name": rp.host[1], "level": 50}
            opening = (
                "欢迎来到直播间 今天福利多多"
                if rp.theme == "beauty"
                else ("县长、书记走进直播间 为家乡农产品代言")
            )
            self.add(0.5, rp.room, opening, "system", host, "chatter")
            for lk in rp.links:
                self.add(
                    lk.at,
                    rp.room,
                    f"{lk.number}号链接已上架：{lk.title} ¥{lk.price:g}",
                    "system",
                    host,
                    "chatter",
                )
                self.events.append(
                    {
                        "kind": "link_push",
                        "room": rp.room,
                        "link": lk.number,
                        "product": lk.product,
                        "price": lk.price,
                        "start": START_TS + lk.at,
                        "end": START_TS + min(plan.duration, lk.at + plan.push_window),
                    }
                )
            second = 0
            while second < plan.duration:
                lam = self._rate(rp, second + 0.5)
                for _ in range(self._poisson(lam)):
                    self.comment(rp, second + rng.random())
                for _ in range(self._poisson(plan.side_rate)):
                    self.side(rp, second + rng.random())
                if rng.random() < 1.0 / plan.superchat_every:
                    self.superchat(rp, second + rng.random())
                second += 1
        self._scripted()

    def _scripted(self) -> None:
        plan, rng = self.plan, self.rng
        rooms = {rp.room: rp for rp in plan.rooms}
        if plan.burst is not None:
            room, start, end, rate = plan.burst
            rp = rooms[room]
            t = start
            while True:
                t += rng.expovariate(rate)
                if t >= end:
                    break
                self.add(
                    t,
                    room,
                    self.grievance(rp, t, burst=True),
                    "comment",
                    self._user(self.viewer(room)),
                    "grievance",
                )
            self.events.append(
                {
                    "kind": "complaint_burst",
                    "room": room,
                    "start": START_TS + start,
                    "end": START_TS + end,
                }
            )
        if plan.raid is not None:
            room, start, accounts = plan.raid
            base = rng.choice(_RAID)
            ids: list[str] = []
            last = start
            for i in range(accounts):
                v = _Viewer(
                    f"u{95001 + i}", f"正义路人{rng.randrange(100, 999)}", rng.randrange(1, 3)
                )
                ids.append(v.id)
                for _ in range(rng.choice((1, 1, 2))):
                    t = start + rng.uniform(0.0, 8.0)
                    last = max(last, t)
                    text = base
                    if rng.random() < 0.5:
                        text = text.replace(" ", rng.choice(("  ", "，", " ")))
                    text += rng.choice(("", "", "！", "!!", "😡", "[发怒]", " 1"))
                    self.add(t, room, text, "comment", self._user(v), "abuse")
            self.events.append(
                {
                    "kind": "abuse_raid",
                    "room": room,
                    "start": START_TS + start,
                    "end": round(START_TS + last, 3),
                    "users": ids,
                }
            )
        for room, t, label in plan.fixed:
            rp = rooms[room]
            user = self._user(self.viewer(room))
            if label == "abuse":
                self.add(t, room, self.abuse(rp), "comment", user, label)
            elif label == "grievance":
                self.add(t, room, self.grievance(rp, t), "comment", user, label)
            elif label == "spam":
                self.add(
                    t, room, self.spam(), "comment", self._user(rng.choice(self.spammers)), label
                )
            else:
                raise ValueError(f"no fixed lines of label {label!r}")


def generate(plan: Plan, seed: int = DEFAULT_SEED) -> Sample:
    """Build the sample for ``plan`` deterministically from ``seed``."""
    gen = _Generator(plan, random.Random(seed))
    gen.run()
    drafts = sorted(gen.drafts, key=lambda d: (round(d.t, 3), d.room, d.seq))
    platforms = {rp.room: rp.platform for rp in plan.rooms}
    records: list[dict[str, Any]] = []
    truth: list[dict[str, str]] = []
    for i, d in enumerate(drafts):
        msg_id = f"m-{_FIRST_ID + i}"
        rec: dict[str, Any] = {
            "room": d.room,
            "text": d.text,
            "ts": round(START_TS + d.t, 3),
            "id": msg_id,
            "user": d.user,
            "kind": d.kind,
            "platform": platforms[d.room],
        }
        if d.amount is not None:
            rec["amount"] = d.amount
        records.append(rec)
        entry = {"id": msg_id, "label": d.label}
        if d.topic is not None:
            entry["topic"] = f"{d.room}/{d.topic}"
        truth.append(entry)
    events = sorted(gen.events, key=lambda e: (e["start"], e["room"], e["kind"]))
    meta = {
        "seed": seed,
        "start_ts": START_TS,
        "end_ts": START_TS + plan.duration,
        "rooms": [
            {"room": rp.room, "platform": rp.platform, "theme": rp.theme} for rp in plan.rooms
        ],
        "events": events,
    }
    return Sample(tuple(records), tuple(truth), meta)


# ---------------------------------------------------------------------------
# Output.


def _lines(items: Sequence[dict[str, Any]]) -> bytes:
    return "".join(
        json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n" for item in items
    ).encode("utf-8")


def _gzip(data: bytes) -> bytes:
    buf = io.BytesIO()
    # mtime=0 and no file name keep the output byte-identical between runs.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(data)
    return buf.getvalue()


def sidecar_paths(out: Path) -> tuple[Path, Path]:
    """The truth and events files that go with recording ``out``."""
    name = out.name
    for ext in (".jsonl.gz", ".jsonl"):
        if name.endswith(ext):
            stem = name[: -len(ext)]
            break
    else:
        stem, ext = out.stem, ".jsonl"
    return out.with_name(stem + ".truth" + ext), out.with_name(stem + ".events.json")


def write_sample(sample: Sample, out: Path) -> list[Path]:
    """Write the recording and its sidecars; gzip when ``out`` ends in .gz."""
    truth_path, events_path = sidecar_paths(out)
    pack: Callable[[bytes], bytes] = _gzip if out.name.endswith(".gz") else (lambda b: b)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pack(_lines(sample.records)))
    truth_path.write_bytes(pack(_lines(sample.truth)))
    events_path.write_text(
        json.dumps(sample.events, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return [out, truth_path, events_path]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out",
        type=Path,
        help="recording to write (default: samples/demo.jsonl.gz,"
        " or samples/mini.jsonl with --mini)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--mini", action="store_true", help="write the ~200-record mini sample")
    args = parser.parse_args(argv)
    plan = mini_plan() if args.mini else demo_plan()
    out: Path = args.out or SAMPLES_DIR / ("mini.jsonl" if args.mini else "demo.jsonl.gz")
    sample = generate(plan, args.seed)
    for path in write_sample(sample, out):
        print(f"wrote {path} ({path.stat().st_size} bytes)", file=sys.stderr)
    print(
        json.dumps(
            {"records": len(sample.records), "labels": sample.label_counts()},
            ensure_ascii=False,
            indent=1,
        ),
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
