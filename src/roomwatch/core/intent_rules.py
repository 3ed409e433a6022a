"""The phrase tables behind :func:`roomwatch.core.slots.extract`.

Data only: which phrases name which intent and aspect, which words are
fillers, and the few patterns that adjust a question's meaning after the
rules (shipping to a named region, question words, comments that ask nothing).
The logic that applies them lives in :mod:`roomwatch.core.slots`.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = [
    "ADDRESS_RE",
    "ARRIVE_TIME_RE",
    "ASK_WORD_CANON",
    "ASK_WORD_RE",
    "BROWSE_CHARS_RE",
    "BROWSE_RE",
    "COURIER_NAME_RE",
    "FILLER_RE",
    "IMPLIED",
    "NOT_CJK_RE",
    "RULES",
    "SHIP_TIME_RE",
    "SHIP_VERB_RE",
    "SHIP_WORDS_RE",
    "STOP_WORDS",
    "WEAK_RULES",
]

# (intent, aspect, pattern). The first rule that matches is the primary intent;
# the order runs from specific to general.
RULES: Final[tuple[tuple[str, str, str], ...]] = (
    ("after_sales", "insurance", r"运费险"),
    (
        "after_sales",
        "damage",
        r"坏果|坏了|烂了|烂果|破损|碎了|压坏|包赔|理赔|坏的|坏掉|赔付|磕坏|漏了|变质|"
        r"怎么办|怎么处理|怎么赔|赔吗|赔不|赔么",
    ),
    (
        "after_sales",
        "return",
        r"退货|退换|退款|无理由|[七7]天|能退|可以退|包退|退吗|退么|换货|能换|包换|退回|可退",
    ),
    ("after_sales", "warranty", r"保修|质保|保固|维修|售后"),
    (
        "after_sales",
        "order",
        r"发货了吗|发货了没|还没发|怎么还没到|还没到|没收到|查物流|物流信息|单号|订单|拍了.{0,4}没发",
    ),
    (
        "authenticity",
        "genuine",
        r"正品|真的吗|真的假的|假的吗|假货|假的|正版|原装|保真|防伪|专柜|官方|旗舰|授权|真货|山寨|高仿|是真的|"
        r"真伪|正规厂家|正规",
    ),
    # A test report is its own answer (show it), not "yes, genuine".
    ("authenticity", "report", r"检测报告|质检报告|检验报告|质检|检测"),
    # Where the product comes from, not where the parcel ships from.
    (
        "authenticity",
        "origin",
        r"国产|进口的|进口吗|是进口|产地(?!直发|发货)|原产地(?!直发)|哪里产|哪产的|哪里生产|哪生产|产自",
    ),
    (
        "shelf_life",
        "life",
        r"保质期|保值期|保持期|保鲜期|有效期|能放多久|放多久|能放几天|放几天|能放多长|多久过期|会过期|能放|能存多久|能保存多久|保存多久|保存多长|"
        r"过期|到期",
    ),
    (
        "shelf_life",
        "date",
        r"生产日期|生产时间|什么时候生产|啥时候生产|哪天生产|几月份?(?:的|份)?生产|哪年(?:的)?生产|哪个月(?:的)?生产|"
        r"几号生产|什么时候做的|出厂日期|批次|日期",
    ),
    (
        "shelf_life",
        "fresh",
        r"新鲜吗|新鲜不|新鲜么|新鲜嘛|新鲜|现摘|现挖|现做|现杀|当天摘|今年的|新货|陈货|放了很久",
    ),
    ("shelf_life", "storage", r"怎么保存|怎么储存|怎么存|要冷藏|冷藏吗|放冰箱|冰箱|常温|冷冻"),
    ("ingredients", "nutrition", r"热量|卡路里|蛋白质|脂肪|含糖|糖分|无糖|升糖|控糖"),
    # Pilling is how the cloth wears, not what it is made of: its own answer.
    ("ingredients", "pilling", r"起球"),
    (
        "ingredients",
        "fabric",
        r"材质|面料|料子|纯棉|含棉|棉的|什么料|什么面料|透气|真皮|羊毛|涤纶|聚酯",
    ),
    (
        "ingredients",
        "additive",
        r"添加剂|防腐剂|色素|香精|科技与狠活|添加|加了|加没加|打药|农药|催熟|打蜡|甜味剂",
    ),
    ("ingredients", "food", r"配料表|配料|成分|成份|什么做的|原料|纯的吗|什么原料"),
    ("size", "run", r"偏大|偏小|正码|码正|标准码|尺码准|尺码标准|掉码"),
    # Which shade (a lipstick's 色号, "几号色") and which colours there are: before
    # the price and link rules, which would read 色号多少 as a price and 几号色 as
    # a link number (a shade's price, 色号多少钱, stays a price).
    ("size", "shade", r"色号(?!.{0,3}(?:多少钱|价|多少一))|几号色|哪个色(?!号)|什么色(?!号)|啥色"),
    (
        "size",
        "colours",
        r"几个颜色|几个色|几种颜色|几种色|什么颜色|哪些颜色|颜色有哪些|啥颜色|有哪几个色",
    ),
    # Which pack or variant to pick, for goods without a clothing size.
    ("size", "spec", r"选哪个规格|哪个规格|什么规格|哪种规格|规格怎么选|选什么规格|拍哪个规格"),
    (
        "size",
        "fit",
        r"穿(?:什么|啥|多大|几)码?|多大号|什么号|啥号|码怎么选|尺码怎么选|怎么选码|怎么选|什么码|啥码|几码|多大码|哪个码|穿多大|穿什么|选多大|选什么|拍什么码|买什么码|拍多大|买多大|"
        r"能穿|可以穿|穿得下|穿的下|穿着|合适吗|合适|尺码|码数|码子|适合什么码",
    ),
    (
        "shipping",
        "fee",
        r"(?:运费|邮费|快递费)(?:要)?(?:多少钱?|几块钱?)|包邮|包油|包游|包由|包yo|运费|邮费|快递费|"
        r"免邮|免运费|邮不邮|要邮费",
    ),
    (
        "shipping",
        "origin",
        r"哪里发货|哪发货|从哪发|从哪里发|发货地|在哪发|哪里发的|哪儿发|哪里寄|从哪寄|哪个仓|产地直发|产地发货",
    ),
    ("shipping", "door", r"送货上门|送上门|上门|送到家"),
    (
        "shipping",
        "area",
        r"(?<![候天久号])能发|可以发|能寄|可以寄|寄不|发不|能送|送不|配送|送到|发到|寄到|邮到|能邮|可以邮",
    ),
    (
        "shipping",
        "arrive",
        r"几天到|多久到|多久能到|几天能到|多长时间到|几天能收到|几天收到|多久能收到|多久收到|到货|几天能收|"
        r"能到吗|什么时候到|啥时候到",
    ),
    (
        "shipping",
        "when",
        r"(?:什么时候|啥时候|几时|几号|哪天|多久|几天|今天|当天|明天|马上)(?:能|可以|会)?发货?|发货时间|"
        r"发货快|发货吗|发货|现货吗|是现货|预售",
    ),
    (
        "shipping",
        "courier",
        r"什么快递|啥快递|哪家快递|哪个快递|发什么|顺丰|中通|圆通|韵达|申通|京东快递|邮政|ems|极兔|德邦|快递",
    ),
    ("shipping", "cold", r"冷链|冰袋|保温箱|泡沫箱|会化吗|会不会化"),
    (
        "price",
        "discount",
        r"优惠|券|便宜点|便宜些|便宜一点|打折|折扣|满减|减价|能便宜|少点|福利价|秒杀|红包|"
        r"买一送一|赠品|送什么|有送|团购|拼单|多买|买二",
    ),
    (
        "price",
        "how_much",
        r"多少钱|多钱|多少米|几多钱|好多钱|几块钱|几块|几钱|几元|多少元|多少块|什么价格|什么价位|价格|价钱|价位|"
        r"原价|啥价|什么价|"
        r"么价|咋卖|怎么卖|怎卖|咋个卖|点卖|怎么算|多少前|多少qian|售价|到手|单价|多少(?=一[斤箱盒件个袋瓶包])|"
        r"几个钱|多少银子",
    ),
    (
        "stock",
        "restock",
        r"补货|加库存|还补|补不|什么时候补|还会有|再补|补一点|补点|加点库存|加单",
    ),
    (
        "stock",
        "have",
        r"有货|还有吗|还有么|还有没|还有嘛|没货|(?<!链接)没了|(?<!链接)没有了|库存|卖完|抢完|售罄|还能拍|能拍吗|能拍么|有货吗|断货|"
        r"还有多少|剩多少|拍不了|拍不到|抢不到|没抢到|还剩|有吗|有么|有嘛|有没|"
        r"有\x1f+的?(?:吗|么|嘛|呢|$)",  # 有黑色吗, 有3号吗, 有大的吗: a slot inside 有…吗
    ),
    # How to buy at all (tap the cart, pick a spec) is answered differently
    # from which link number a product is on.
    (
        "link",
        "how",
        r"怎么买|怎么拍|怎么下单|怎么购买|怎样买|怎样下单|如何购买|如何下单|咋买|咋拍|咋下单|怎么抢|咋抢",
    ),
    (
        "link",
        "which",
        r"几号链接|几号连接|哪个链接|哪个号|几号|哪个是|拍哪个|拍几号|在几号|链接在哪|在哪拍|在哪买|哪里买|"
        r"去哪拍|哪里拍|哪拍|哪买|在哪个|哪一个|哪款|在哪下单|哪里下单|哪下单|第几个|排在第几|排第几|第几",
    ),
    (
        "link",
        "up",
        r"上链接|链接呢|没链接|没有链接|链接没|挂链接|放链接|给个链接|发链接|链接啊|求链接|链接有|"
        r"找不到链接|没看到链接|小黄车|上车|上架|快上",
    ),
    (
        "next_drop",
        "next",
        r"下一个|下个|下一款|接下来|还有什么|还卖什么|什么时候上|啥时候上|几点上|几点开|什么时候开|"
        r"返场|还上吗|还会上|明天还|下次|什么时候再|再上|后面还|还播|几点播|明天播|什么时候播",
    ),
    (
        "show_me",
        "try_on",
        r"试穿|上身|穿上|穿一下|穿下|试一下|试下|上脚|试戴|戴一下",
    ),
    ("show_me", "open", r"切开|切一个|切一下|掰开|打开|剥开|开箱|拆开|开一个"),
    ("show_me", "taste", r"尝一下|尝尝|尝一个|吃一个|吃一下|试吃|尝个|吃个"),
    (
        "show_me",
        "close_up",
        r"拿近|拉近|近点|近一点|靠近|特写|细节|放大|看清|看不清|看不到|镜头",
    ),
    (
        "show_me",
        "look",
        r"给看|展示|再看|给我看|拍一下|照一下|看一眼|瞧瞧|转一圈|转一下|背面|侧面|反面|里面",
    ),
    (
        "usage",
        "eat",
        r"怎么吃(?:才|比较|最)?好吃|怎么吃比较好|怎么吃|咋吃|吃法|怎么喝|咋喝|喝法|直接吃|生吃|能生吃|泡水",
    ),
    (
        "usage",
        "cook",
        r"怎么做(?:才|比较|最)?好吃|怎么做|咋做|做法|怎么煮|怎么炒|怎么蒸|怎么烧|怎么弄|煮多久|蒸多久|怎么泡|怎么炖",
    ),
    ("usage", "wash", r"怎么洗|咋洗|水洗|机洗|手洗|洗了|掉色|缩水|能洗"),
    (
        "usage",
        "use",
        r"怎么用|咋用|用法|使用方法|怎么使用|一天几次|用量|一次用|怎么涂|怎么擦|怎么抹|怎么戴|怎么装|"
        r"(?:涂|擦|抹)(?:在)?哪|"
        r"干啥用|干嘛用|干什么用|做什么用|嘎哈用|有什么用|有啥用|什么用",
    ),
    (
        "usage",
        "suit",
        r"适合吃|适合用|适合喝|适合|能吃|可以吃|能用|可以用|能喝|可以喝|过敏|吃了|用了",
    ),
)

# (primary aspect, secondary intent) pairs where the second only restates the
# first: "还有优惠吗" asks for a discount, not whether it is in stock.
IMPLIED: Final = frozenset(
    {
        ("price.discount", "stock"),
        ("after_sales.insurance", "price"),
        ("stock.restock", "next_drop"),
        ("next_drop.next", "link"),
        ("link.up", "next_drop"),
        ("show_me.try_on", "size"),
    }
)

# Generic phrases that name an intent only when nothing more specific does
# ("3号多少", "黑色s码有没有", "链接"); when another rule matched first they are
# just removed, never counted as a second question.
WEAK_RULES: Final[tuple[tuple[str, str, str], ...]] = (
    ("price", "how_much", r"(?<![有剩])多少(?:$|[呢啊吖呀\|\x1f])"),
    ("stock", "have", r"还有|有$"),
    ("link", "up", r"链接|连接"),
    ("show_me", "look", r"看看|看一下|看下"),
)

STOP_WORDS: Final = """
    主播 主持 老板 老板娘 宝宝 宝宝们 宝子 宝子们 姐姐 小姐姐 哥哥 小哥哥 家人 家人们 亲 亲们 美女
    帅哥 老师 妹妹 姐 哥 大家 各位 朋友 朋友们 老铁 老铁们 兄弟 姐妹 姐妹们 咱 咱们
    请问 问问 问一下 问下 想问 想问下 想问一下 请教 我想 想 知道 问 一下 下 麻烦 帮 帮忙 请 谢谢 求
    这个 那个 这款 那款 这 那 这些 那些 个 款 件 种 样 的 地 得 了 着 过 吗 呢 啊 呀 吧 哦 么 嘛
    哈 额 嗯 诶 哎 啦 咯 呗 咧 捏 撒 嘞 噻 哇 吖 鸭 哒 滴 呐 喔 噢 嗷 哟 呦 嘻 嘿 呵 耶 唉 靠
    是 有 没 没有 不 还 也 都 就 能 可以 会 要 可 我 你 他 她 它 我们 你们 他们 人 自己 俺 俺们
    多少 什么 啥 怎么 咋 怎样 怎么样 几 哪 哪个 哪里 哪儿 如何 是否 是不是 有没有 能不能 可不可以
    码 货 多久 多长 多长时间 几年 几个月 时间 时候 大概 大约 一般 差不多 该 应该 支持 不合适 收到
    哈哈 哈哈哈 嘿嘿 呵呵 嘻嘻 嘿 哼 666 66 加油 谢谢主播
    拍了 买了 下单 几个 月 几天 几年
    收到后 后 以后 之后 哪些 需要 需 要不要 发 用 卖 上 用的 准备 打算 想买 刚买 刚拍
    点 一点 多 大 小 快 快点 赶紧 可以吗 行吗 行不行 好吗
    现在 今天 刚才 刚刚 一直 到底 究竟 真 很 太 好 挺 蛮 非常 特别 比较 更 最 又 再 还是 或者
    和 跟 与 及 或 给 把 被 让 在 从 对 就是 一 一个 一样 买 拍 要 想要 需要 给我 告诉 说 说说
    这是 那是 涂 擦 抹 涂的 擦的 抹的
"""


# --------------------------------------------------------------------------
# Meaning-level adjustments after the rules (used by slots.extract)

# Shipping to a named region, asked as "can you ship there" or "is it free
# there", gets one answer from the host ("新疆能发, 补 10 元运费" / "新疆不发"):
# one aspect, ``area``. A time word keeps ``when`` ("新疆什么时候发货") and a
# duration keeps ``arrive`` ("新疆几天到").
SHIP_TIME_RE: Final = re.compile(
    r"什么时候|啥时候|几时|几号|哪天|几点|多久|几天|今天|当天|明天|后天|马上|时间|快|现货|预售"
)
ARRIVE_TIME_RE: Final = re.compile(r"几天|多久|多长|什么时候|啥时候|几号|哪天|时间|快")
# "能发顺丰吗" names a courier: it asks which courier, not where.
COURIER_NAME_RE: Final = re.compile(r"顺丰|中通|圆通|韵达|申通|京东|邮政|ems|极兔|德邦")
SHIP_VERB_RE: Final = re.compile(r"发|寄|邮")
SHIP_WORDS_RE: Final = re.compile(r"发货|发|寄|邮|送|运|到|货")
# Question words carry the meaning of an "other" question once the topic words
# are gone: "主播哪里人" and "主播多大了" are different questions, and neither
# is "主播在吗".
ASK_WORD_RE: Final = re.compile(
    r"为什么|为啥|哪里|哪儿|哪|什么|啥|怎么样|怎么|怎样|咋|如何|"
    r"多少|几|谁|多大"
)
ASK_WORD_CANON: Final = {
    "为啥": "为什么",
    "哪里": "哪",
    "哪儿": "哪",
    "啥": "什么",
    "怎么样": "怎么",
    "怎样": "怎么",
    "咋": "怎么",
    "如何": "怎么",
    "多少": "几",
}
# A viewer saying what they themselves are doing, not asking anything.
# Both are checked in linear time (no nested repeats: a long "来来来…x"
# must not backtrack): the comment is made only of these characters and
# holds one of the words.
_BROWSE_WORDS: Final = (
    "我|就|先|再|也|来|过来|进来|路过|随便|随意|顺便|顺路|刚来|瞎|逛逛|逛|打卡|签到|报到|冒泡"
)
_LOOK_WORDS: Final = "看看|看一看|看一下|看下|瞧瞧|瞅瞅|逛一逛"
_PARTICLES: Final = "了吧啦呀哦哈啊嘛"
BROWSE_RE: Final = re.compile(_BROWSE_WORDS)
BROWSE_CHARS_RE: Final = re.compile(
    "[" + "".join(sorted(set(_BROWSE_WORDS + _LOOK_WORDS + _PARTICLES) - {"|"})) + "]+"
)
# "主播我来了", "宝宝我路过看看": addressed to the host, but about the viewer.
# (Without 我, "主播再看看" asks the host to show it again.)
ADDRESS_RE: Final = re.compile(r"(?:主播|老板|宝宝|家人们|家人|大家|姐妹们|老铁们?)+(?=我)")
NOT_CJK_RE: Final = re.compile(r"[^\u4e00-\u9fff]+")
# What is left of "在吗", "主播在吗", "是吗" once these are gone is nothing.
FILLER_RE: Final = re.compile(
    r"主播|老板|宝宝|家人们|家人|大家|你们|你|我们|我|请问|问下|问一下|一下|这个|那个|这|那|"
    r"在|是|吗|呢|啊|吧|呀|哦|嘛|么|了|的|人|好|嗨|哈喽|哈|嗯|额|哎|诶"
)
