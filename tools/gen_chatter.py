"""Write ``corpus/live/chatter.jsonl``: varied chatter in every surface form.

Real barrage is mostly chatter: memes, reactions, roll-calls, lyrics-like
lines, game and plot talk, kaomoji and ASCII art, names, English and pinyin,
text with spaces between the characters, digits and full-width punctuation.
The live-room corpus (``tools/gen_corpus.py``) has chatter at a quarter of its
rows, in a narrower range of forms, so the first model learned that a space, a
digit or a Latin letter means spam. This generator writes chatter only, in all
of those forms, so that no surface trait separates the labels. It is training
data only (``roomwatch train`` reads it next to the main corpus file).

Everything here is written for roomwatch; nothing comes from the unlicensed
real-traffic sample. Run from the repo root::

    python tools/gen_chatter.py [--n 4000] [--seed 11] [--contrast-out FILE]

With ``--contrast-out FILE`` it also writes contrast chatter
(:mod:`corpus_gen.contrast`): ``--contrast`` rows with the words the generated
abuse rows and COLD use (这女的, 东北人, 恶心, 垃圾) said without insulting
anyone, and ``--rhetoric`` rhetorical 'questions'. ``roomwatch train`` reads
``corpus/live/contrast.jsonl`` if it exists (rows weighted by
``TrainConfig.contrast_weight``); the shipped model does not use it (measured
in ``corpus/live/README.md``).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

_TOOLS = str(Path(__file__).resolve().parent)
if _TOOLS not in sys.path:
    sys.path.insert(0, _TOOLS)

from corpus_gen.contrast import generate_contrast, generate_rhetoric  # noqa: E402

MEMES = [
    "爷青回",
    "爷青结",
    "绝绝子",
    "破防了",
    "蚌埠住了",
    "泪目",
    "笑死",
    "上头了",
    "好家伙",
    "妙啊",
    "我悟了",
    "芜湖起飞",
    "前方高能",
    "名场面",
    "这波操作",
    "格局打开",
    "真香",
    "离谱",
    "太秀了",
    "有内味了",
    "针不戳",
    "awsl",
    "yyds",
    "xswl",
    "u1s1",
    "dbq",
    "无语子",
    "好耶",
    "芭比Q了",
    "寄了",
    "麻了",
    "绷不住了",
    "典",
    "孝",
    "急了",
    "乐",
    "赢麻了",
    "泰裤辣",
    "下次一定",
    "白嫖成功",
    "来了老弟",
    "大型双标现场",
    "梦回童年",
    "青春回来了",
    "DNA动了",
    "原来你也在这里",
    "我直接好家伙",
    "一整个爱住",
    "这就是传说中的",
    "我宣布",
    "永远的神",
    "人类高质量",
    "是我想多了",
    "打工人",
    "干饭人",
    "社死现场",
    "内卷",
    "躺平",
    "摸鱼中",
    "emo了",
    "哈哈哈",
    "哈哈哈哈哈",
    "嘿嘿",
    "嘻嘻",
    "呜呜呜",
    "啊啊啊啊",
    "哇",
    "哇哦",
    "嗯嗯",
    "哦哦",
    "噢",
    "啧啧",
    "呵呵",
]

REACTIONS = [
    "好看",
    "好听",
    "太好听了",
    "好帅",
    "好美",
    "好可爱",
    "可爱死了",
    "太强了",
    "好厉害",
    "牛",
    "牛啊",
    "牛哇",
    "绝了",
    "神了",
    "太甜了",
    "好温柔",
    "笑出声",
    "笑不活了",
    "看哭了",
    "哭死",
    "感动",
    "心疼",
    "好燃",
    "燃起来了",
    "鸡皮疙瘩起来了",
    "好喜欢",
    "爱了",
    "爱了爱了",
    "太真实了",
    "太难了",
    "好险",
    "吓我一跳",
    "吓死",
    "好家伙",
    "真的假的",
    "原来如此",
    "懂了",
    "学到了",
    "记住了",
    "收藏了",
    "三连了",
    "已关注",
    "来晚了",
    "又来了",
    "我又来了",
    "循环中",
    "单曲循环",
    "再来一遍",
    "经典",
    "神作",
    "封神",
    "太顶了",
    "高级",
    "舒服",
    "好舒服",
    "治愈",
    "好治愈",
    "解压",
    "好解压",
    "救命",
    "天哪",
    "我的天",
    "妈呀",
]

ROLLCALL = [
    "打卡",
    "签到",
    "前排",
    "第一",
    "沙发",
    "来了来了",
    "报道",
    "路过",
    "路过路过",
    "进来看看",
    "随便看看",
    "来看看",
    "看看",
    "围观",
    "吃瓜",
    "吃瓜群众",
    "蹲一个",
    "蹲",
    "蹲后续",
    "插眼",
    "马克",
    "留名",
    "到此一游",
    "我来了",
    "又是我",
    "回来了",
    "有人吗",
    "有人在吗",
    "还有人吗",
    "有没有一起看的",
    "有没有同学",
    "有没有老乡",
    "同学们好",
    "大家好",
    "晚上好",
    "早上好",
    "中午好",
    "晚安",
    "大家晚安",
    "下班了",
    "放学了",
    "考完试来看",
    "周末快乐",
    "新年快乐",
    "生日快乐",
    "节日快乐",
]

GAME = [
    "这个boss好难",
    "打野来抓了",
    "残血反杀",
    "C位",
    "这波团战赢了",
    "开大了",
    "五杀",
    "超神",
    "一血",
    "稳住能赢",
    "男主好帅",
    "女主好美",
    "反派洗白了",
    "剧情反转了",
    "伏笔来了",
    "名台词",
    "第三集最好看",
    "这段我看了十遍",
    "这个角色我喜欢",
    "配音绝了",
    "作画崩了",
    "画风好好看",
    "这关我卡了好久",
    "手残党",
    "菜是原罪",
    "我太菜了",
    "副本打完了",
    "抽卡又歪了",
    "十连全蓝",
    "保底出了",
    "欧皇",
    "非酋",
    "肝不动了",
    "这个版本好强",
    "削弱了",
    "加强了",
    "等更新",
    "催更",
    "更新了",
    "第二季呢",
    "番剧",
    "新番",
    "追番",
    "补番",
    "弹幕护体",
    "前方核能",
    "高能预警",
    "全体起立",
]

LYRICS = [
    "风吹过的街道 我还在等你",
    "月光洒在窗台 想起你的脸",
    "走过春夏秋冬 不说再见\n/ 星星在闪烁 夜色正温柔",
    "陪你看日落 陪你到白头",
    "我们的故事 写在那年夏天\n/ 雨下了一整夜 你没有回来",
    "追着光的方向 一直往前走",
    "晚风轻轻吹 吹散了回忆\n/ 那年的少年 笑得很灿烂",
    "天空很蓝 云很白",
    "一起唱 啦啦啦",
    "大风吹 大风吹",
]

NAMES = [
    "小明",
    "阿杰",
    "小雨",
    "大鹏",
    "阿花",
    "老王",
    "小李",
    "阿强",
    "小美",
    "团长",
    "队长",
    "学姐",
    "学长",
    "老师",
    "班长",
    "哥哥",
    "姐姐",
    "弟弟",
    "妹妹",
    "阿姨",
    "叔叔",
    "奶奶",
    "爷爷",
    "宝宝",
    "猫猫",
    "狗狗",
    "喵喵",
    "小猫咪",
    "大橘",
    "二哈",
    "阿福",
    "阿宝",
    "糖糖",
    "豆豆",
]

LATIN = [
    "nice",
    "good",
    "cool",
    "wow",
    "omg",
    "lol",
    "lmao",
    "gg",
    "wp",
    "hello",
    "hi",
    "hey",
    "bye",
    "love",
    "you",
    "so",
    "cute",
    "amazing",
    "awesome",
    "perfect",
    "beautiful",
    "great",
    "job",
    "yes",
    "no",
    "ok",
    "okay",
    "sure",
    "thanks",
    "thank",
    "you",
    "sorry",
    "haha",
    "hahaha",
    "yeah",
    "nope",
    "what",
    "wait",
    "why",
    "not",
    "bgm",
    "mv",
    "vlog",
    "live",
    "up",
    "up主",
    "cp",
    "ooc",
    "pov",
    "fps",
    "rpg",
    "dlc",
    "boss",
    "npc",
    "mvp",
    "ace",
    "pk",
    "kpl",
    "yyds",
    "awsl",
    "xswl",
    "nb",
    "nbnb",
    "hhh",
    "hhhh",
    "zqsg",
    "plmm",
    "xdm",
    "djll",
    "bdjw",
    "ssfd",
    "u1s1",
    "yysy",
    "dddd",
]

PINYIN = [
    "haoxiao",
    "haokan",
    "haoting",
    "jiayou",
    "zhenbang",
    "tailihaile",
    "xiexie",
    "wanan",
    "zaoan",
    "zaijian",
    "laile",
    "haha",
    "xixi",
    "hehe",
    "wuwu",
    "aaaa",
    "dalao",
    "niubi",
    "taiqiangle",
    "ganbei",
    "kuaile",
    "shengrikuaile",
]

GROUPS = [
    "ABC",
    "TFBOYS",
    "EXO",
    "BTS",
    "SNH48",
    "BLACKPINK",
    "TWICE",
    "NCT",
    "GOT7",
    "IU",
    "JJ",
    "MJ",
    "LOL",
    "DOTA",
    "CSGO",
    "PUBG",
    "NBA",
    "CBA",
    "F1",
    "KPL",
    "LPL",
    "TES",
    "EDG",
    "RNG",
    "IG",
    "FPX",
    "WBG",
]

KAOMOJI = [
    "(^_^)",
    "(^o^)",
    "(*^▽^*)",
    "(≧▽≦)",
    "(╯▽╰)",
    "(｡♥‿♥｡)",
    "(￣▽￣)",
    "(°∀°)ﾉ",
    "(ノ°▽°)ノ",
    "(´・ω・`)",
    "(*´∀`)",
    "(╥﹏╥)",
    "(T_T)",
    "T_T",
    "QAQ",
    "QWQ",
    "TAT",
    "orz",
    "OTZ",
    "Orz",
    ">_<",
    "^_^",
    "^^",
    "^o^",
    "-_-",
    "=_=",
    "o(*￣▽￣*)o",
    "(～￣▽￣)～",
    "ヾ(≧▽≦*)o",
    "┭┮﹏┭┮",
    "(๑•̀ㅂ•́)و✧",
    "✧(≖",
    "◡",
    "≖✿)",
    "(⊙o⊙)",
    "⊙﹏⊙",
    "(⊙_⊙)?",
    "(ー_ー)!!",
    "(>_<)",
    "(=^・^=)",
    "≡ω≡",
    "○(",
    "＾皿＾)っ",
    "<(￣︶￣)>",
    "o(〃＾▽＾〃)o",
    "(",
    "•̀",
    "ω",
    "•́",
    ")✧",
    "★★★",
    "☆☆☆",
    "♪♪♪",
    "～～～",
]

ASCII_ART = [
    "<3",
    "<3<3<3",
    ":)",
    ":D",
    ";)",
    "xD",
    "XD",
    ":P",
    "=)",
    "^^",
    "Orz",
    "\\(^o^)/",
    "+1",
    "+1+1",
    "1111",
    "666",
    "6666666",
    "233",
    "23333",
    "2333333",
    "88",
    "886",
    "555",
    "5555",
    "999",
    "111",
    "000",
    "?",
    "??",
    "？？？",
    "!!!",
    "！！！",
    "...",
    "。。。",
    "——",
    "~~~",
    "///",
    "www",
    "wwww",
    "hhhhh",
    "=.=",
    "-.-",
    "o.O",
    "O.o",
]

TIMES = [
    "00:12",
    "1:23",
    "03:45",
    "12:30",
    "2:05:17",
    "第1集",
    "第12集",
    "P3",
    "3P",
    "10/10",
    "100分",
    "99+",
    "1w",
    "10w+",
    "3:1",
    "2:0",
    "5v5",
    "1v3",
    "3连",
    "第3遍",
    "第100遍",
]

TAILS = [
    "",
    "",
    "",
    "",
    "!",
    "！",
    "!!",
    "！！",
    "~",
    "～",
    "～～",
    "...",
    "。。。",
    "。",
    "，",
    "?",
    "？",
    "？？",
    "hhh",
    "哈哈",
    "233",
    "666",
    "（笑",
    "(笑)",
    "w",
    "ww",
    "orz",
    "[doge]",
    "😂",
    "👍",
    "❤",
    "🤣",
    "🙏",
    "✨",
]

YEARS = ["2019", "2020", "2021", "2022", "2023", "2024", "2025", "2026"]
DAYS = ["愚人节", "七夕", "中秋", "国庆", "元旦", "春节", "情人节", "圣诞", "跨年", "高考", "毕业"]


def _spaced(text: str, rng: random.Random) -> str:
    sep = rng.choice([" ", " ", "  ", "　", "·", "/", "~"])
    return sep.join(text.replace(" ", ""))


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def _core(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.14:
        return rng.choice(MEMES)
    if kind < 0.28:
        return rng.choice(REACTIONS)
    if kind < 0.38:
        return rng.choice(ROLLCALL)
    if kind < 0.48:
        return rng.choice(GAME)
    if kind < 0.53:
        return rng.choice(LYRICS)
    if kind < 0.60:
        name = rng.choice(NAMES + GROUPS)
        return rng.choice(
            [
                "{n}",
                "{n}好帅",
                "{n}冲冲冲",
                "{n}加油",
                "我爱{n}",
                "{n}永远的神",
                "{n}!!!",
                "{n} yyds",
                "{n}我来了",
                "{n}生日快乐",
                "{n}{r}",
            ]
        ).format(n=name, r=rng.choice(REACTIONS))
    if kind < 0.70:
        words = rng.sample(LATIN, rng.randint(1, 3))
        text = " ".join(words)
        return text.upper() if rng.random() < 0.25 else text
    if kind < 0.74:
        return rng.choice(PINYIN)
    if kind < 0.82:
        return rng.choice(KAOMOJI + ASCII_ART)
    if kind < 0.90:
        return rng.choice(
            [
                "{y}年还在看",
                "{y}{d}快乐",
                "{y}年打卡",
                "{y}了还有人吗",
                "{t}",
                "{t}名场面",
                "{t}笑死",
                "{t}高能",
                "打卡{t}",
                "第{k}次看",
                "{k}刷",
                "{k}周目",
                "{y}{d}",
                "{k}{k}{k}",
            ]
        ).format(y=rng.choice(YEARS), d=rng.choice(DAYS), t=rng.choice(TIMES), k=rng.randint(1, 20))
    parts = [rng.choice(MEMES + REACTIONS + GAME + NAMES) for _ in range(rng.randint(2, 3))]
    return rng.choice(["", " ", "，", ",", "！", "~"]).join(parts)


def generate(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        text = _core(rng)
        roll = rng.random()
        if roll < 0.12:
            text = _spaced(text, rng)
        elif roll < 0.20:
            text = _fullwidth(text)
        elif roll < 0.28:
            text = text + rng.choice(KAOMOJI + ASCII_ART)
        elif roll < 0.34:
            text = rng.choice(LATIN) + " " + text
        text = text + rng.choice(TAILS)
        if text not in seen:
            seen.add(text)
            out.append(text)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument(
        "--contrast",
        type=int,
        default=1500,
        help="contrast rows (tools/corpus_gen/contrast.py): group words, disgust at"
        " things, intensifier swearing and playful words in comments that insult nobody",
    )
    ap.add_argument(
        "--rhetoric",
        type=int,
        default=600,
        help="rhetorical, amazed and self-directed 'questions' (chatter) for the contrast file",
    )
    ap.add_argument(
        "--contrast-out",
        type=Path,
        default=None,
        help="write the contrast rows here (not written by default: the shipped model does"
        " not use them; corpus/live/contrast.jsonl is what `roomwatch train` would read)",
    )
    ap.add_argument("--out", type=Path, default=Path("corpus/live/chatter.jsonl"))
    args = ap.parse_args()
    with args.out.open("w", encoding="utf-8") as fh:
        rows = generate(args.n, args.seed)
        for text in rows:
            fh.write(
                json.dumps(
                    {"text": text, "label": "chatter", "domain": "surface"}, ensure_ascii=False
                )
                + "\n"
            )
    if args.contrast_out is None:
        return
    contrast = [(t, "contrast") for t in generate_contrast(args.contrast, args.seed, set(rows))]
    taken = set(rows) | {t for t, _ in contrast}
    contrast += [(t, "rhetoric") for t in generate_rhetoric(args.rhetoric, args.seed, taken)]
    with args.contrast_out.open("w", encoding="utf-8") as fh:
        for text, domain in contrast:
            fh.write(
                json.dumps({"text": text, "label": "chatter", "domain": domain}, ensure_ascii=False)
                + "\n"
            )


if __name__ == "__main__":
    main()
