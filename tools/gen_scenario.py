"""Generate a labelled alert scenario recording (dev-time only).

Writes ``<out>.jsonl.gz`` (gzip JSONL in the roomwatch record format) and
``<out>.truth.json`` (event kinds with onset/end ``ts``, plus the intended
label and sentiment of every record, keyed by record id). Labels and
sentiment hints live only in the truth sidecar, never in the records.

The scenario is one room: calm stretches between incidents, a busy-but-calm
flash sale (volume x5, all happy), a food-complaint wave, an abuse raid from
30 accounts, a feed outage and a mood turn (the host says something
unpopular; many varied negative comments, no single topic); the room's base
rate also drifts upwards over the whole recording. ``--seed`` changes rates, durations, wording, the
complaint topic, the raid template and the order of incidents, so a second
recording is "never seen" by whoever tuned the thresholds::

    python tools/gen_scenario.py                       # samples/scenario-alerts.*
    python tools/gen_scenario.py --seed 7 --out samples/scenario-unseen
    python tools/gen_scenario.py --seed 25 --pace 0.2 --out samples/scenario-quiet
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_SEED = 1126
T0 = 1_764_115_200.0  # 2025-11-26 00:00 UTC

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
)
_GIVEN = "小大阿春秋明华丽芳军伟静敏强磊洋艳勇娟涛超霞平刚桂英秀兰玉梅红凤兵飞鹏宇浩然欣怡子涵雨萱"
_NICK = (
    "爱吃苹果的",
    "果园",
    "吃货",
    "山里的",
    "快乐的",
    "在路上的",
    "北方的",
    "南方的",
    "不吃香菜的",
)

_HAPPY = (
    "主播好！",
    "支持助农👍",
    "苹果看着好新鲜",
    "已经回购第三次了",
    "好吃不贵",
    "家人们冲",
    "上次买的超甜",
    "主播辛苦了",
    "支持家乡产品",
    "果子真大",
    "看着就有食欲",
    "给主播点赞",
    "我妈说很好吃",
    "颜色真漂亮",
    "脆甜脆甜的",
    "来了来了",
    "晚上好呀",
    "包装很用心",
    "老粉来报到",
    "好评好评",
    "这个价格很实在",
    "感谢主播推荐",
    "我家孩子爱吃",
    "哈哈哈太可爱了",
)
_NEUTRAL = (
    "刚进来",
    "在看",
    "今天卖什么",
    "嗯嗯",
    "听着呢",
    "主播那边天气怎么样",
    "果园在哪里",
    "路过看看",
    "第一次看这个直播",
    "背景音乐叫什么",
)
_QUESTIONS = (
    "多少钱一箱？",
    "几号链接？",
    "发什么快递",
    "能放多久啊",
    "包邮吗",
    "有没有小果",
    "甜不甜？",
    "什么时候发货",
    "新疆能发吗",
    "一箱几斤",
    "可以开发票吗",
    "有优惠券吗",
    "是今年的新果吗",
    "坏果包赔吗",
    "和上次的一样吗",
    "能不能寄到学校",
)
_MILD_NEG = ("有点贵", "网卡了", "主播说话太快了", "声音有点小", "上次的有点小", "等半天了")
_STRAY_GRIEVANCE = (
    "上次买的有两个坏了",
    "快递有点慢",
    "客服回复太慢",
    "收到的比图片小",
    "上周的还没发货",
)
_STRAY_ABUSE = ("主播话真多", "托儿吧", "无语", "就这？")
_STRAY_SPAM = ("加我看福利", "关注我有惊喜", "点我头像领红包")

_FLASH_HAPPY = (
    "抢到了！",
    "已拍",
    "冲冲冲",
    "拍了两箱",
    "手慢无啊哈哈",
    "好划算",
    "已下单✌",
    "秒了秒了",
    "这个价太值了",
    "给我妈也拍了一箱",
    "抢到啦开心",
    "再上点库存吧",
    "太便宜了吧",
    "拼手速啦",
    "3号链接冲",
    "买买买",
    "主播太实在了",
    "终于抢到了",
    "已付款",
    "库存加一点",
)
_FLASH_Q = ("还有货吗？", "几号链接秒杀", "什么时候再上", "能拍几箱", "秒杀包邮吗")

#: Complaint waves: topic -> (template parts, watch-term phrases).
_WAVES: dict[str, dict[str, tuple[str, ...]]] = {
    "质量问题": {
        "core": (
            "收到的苹果全发霉了",
            "一箱里一半是烂果",
            "发霉了还敢卖",
            "果子都烂了，怎么回事",
            "我家的也发霉了",
            "打开全是烂的",
            "坏果太多了吧",
            "苹果长毛了",
            "里面都变质了",
            "烂果还发货？",
            "刚拆开就闻到臭了",
            "都压烂了",
            "发霉的苹果谁敢吃",
        ),
        "tail": (
            "",
            "",
            "！",
            "！！",
            "，太过分了",
            "，要求退款",
            "，气死了",
            "😡",
            "，不会再买了",
        ),
    },
    "食品安全": {
        "core": (
            "吃了你家的果子拉肚子",
            "孩子吃完过敏了",
            "这个有没有打农药",
            "吃完肚子疼",
            "家里老人吃了腹泻",
            "是不是有防腐剂",
            "吃了上吐下泻",
            "全家吃完都拉肚子",
            "食品安全出问题了",
            "吃了起疹子，是不是过敏",
        ),
        "tail": ("", "", "！", "，怎么回事", "，太吓人了", "，给个说法", "😡"),
    },
    "退款售后": {
        "core": (
            "申请退款三天了没人理",
            "退款一直不处理",
            "客服不理人",
            "售后电话打不通",
            "说好的坏果包赔呢，退款被拒",
            "退货申请被驳回",
            "退款到底什么时候到",
            "售后太差了",
            "客服不回消息",
            "仅退款也不给",
        ),
        "tail": ("", "", "！", "！！", "，什么态度", "，骗子吧", "😠"),
    },
}
_WAVE_WATCH = (
    "我要打12315投诉",
    "已经向12315投诉了",
    "要曝光你们",
    "大家一起维权",
    "投诉到平台",
    "这就去投诉",
    "找媒体曝光",
)
_WAVE_ECHO = ("真的假的？", "我的还没到", "我收到的没问题啊", "主播回应一下", "怎么回事啊")

#: A mood turn: the host says something unpopular and the room sours, with
#: no single complaint topic.
_SOUR = (
    "主播这话说得太过分了",
    "怎么能这么说农民",
    "听着真不舒服",
    "取关了",
    "太让人失望了",
    "这态度谁还买",
    "寒心",
    "说话注意点",
    "看不下去了",
    "什么三观",
    "瞧不起谁呢",
    "以后不来了",
    "主播飘了",
    "这话太难听了",
    "不尊重人",
    "真是无语了",
    "过分了啊",
    "收回你的话",
    "心凉了",
    "越看越气",
    "原来是这种人",
    "太伤人了",
    "粉转黑",
    "必须道歉",
    "脱粉了",
    "呵呵",
    "令人失望",
    "别装了",
    "亏我还一直支持",
    "说的是人话吗",
)
_SOUR_ABUSE = ("主播闭嘴吧", "滚吧你", "什么东西", "脑子有病吧")

_RAIDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "abuse": ("abuse", ("主播是骗子大家别买", "垃圾主播滚出直播间", "骗子主播卖烂货")),
    "spam": ("spam", ("加V信看内部价 wx8899", "点头像进群领券 免费送苹果", "兼职刷单日结 加微")),
}
_RAID_DECOR = ("", "", "!", "！！！", "。", "😡", "👎", " ", "～", "!!")


@dataclass
class Gen:
    rng: random.Random
    room: str
    records: list[dict[str, Any]] = field(default_factory=list)
    labels: dict[str, list[Any]] = field(default_factory=dict)
    users: dict[str, tuple[str, int]] = field(default_factory=dict)
    seq: int = 0

    def user(self, uid: str) -> dict[str, Any]:
        if uid not in self.users:
            r = self.rng
            if r.random() < 0.3:
                name = r.choice(_NICK) + r.choice(_SURNAMES) + r.choice(_GIVEN)
            else:
                name = r.choice(_SURNAMES) + r.choice(_GIVEN) + r.choice(("", r.choice(_GIVEN)))
            self.users[uid] = (name, r.randint(1, 40))
        name, level = self.users[uid]
        return {"id": uid, "name": name, "level": level}

    def emit(self, ts: float, uid: str, text: str, label: str, sentiment: float) -> None:
        self.seq += 1
        rid = f"m-{self.seq:06d}"
        self.records.append(
            {
                "room": self.room,
                "text": text,
                "ts": round(ts, 3),
                "id": rid,
                "user": self.user(uid),
                "kind": "comment",
                "platform": "douyin",
            }
        )
        self.labels[rid] = [label, round(sentiment, 2)]


def _arrivals(rng: random.Random, start: float, end: float, rate: float) -> list[float]:
    out = []
    t = start + rng.expovariate(rate)
    while t < end:
        out.append(t)
        t += rng.expovariate(rate)
    return out


def _background(g: Gen, ts: float, audience: int) -> None:
    r = g.rng
    uid = f"u{r.randint(1, audience)}"
    x = r.random()
    if x < 0.45:
        g.emit(ts, uid, r.choice(_HAPPY), "chatter", r.uniform(0.3, 0.9))
    elif x < 0.57:
        g.emit(ts, uid, r.choice(_NEUTRAL), "chatter", r.uniform(-0.1, 0.2))
    elif x < 0.88:
        g.emit(ts, uid, r.choice(_QUESTIONS), "question", r.uniform(-0.1, 0.2))
    elif x < 0.935:
        g.emit(ts, uid, r.choice(_MILD_NEG), "chatter", r.uniform(-0.5, -0.2))
    elif x < 0.97:
        g.emit(ts, uid, r.choice(_STRAY_GRIEVANCE), "grievance", r.uniform(-0.7, -0.4))
    elif x < 0.985:
        g.emit(ts, uid, r.choice(_STRAY_ABUSE), "abuse", r.uniform(-0.8, -0.4))
    else:
        g.emit(ts, uid, r.choice(_STRAY_SPAM), "spam", r.uniform(-0.1, 0.2))


def generate(seed: int, pace: float = 1.0) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The scenario of ``seed``; ``pace`` scales every rate (background, waves,
    mood turn, flash sale; not the raid's 30 accounts) and stretches the
    waves, the mood turn and the calm between them by ``1 / sqrt(pace)``: a
    quiet room's incidents build up over minutes, not seconds."""
    rng = random.Random(seed)
    room = "county-apples-1126" if seed == DEFAULT_SEED else f"zhunong-{seed}"
    if pace != 1.0:
        room = f"quiet-{seed}"
    g = Gen(rng, room)
    slow = 1.0 / math.sqrt(pace)
    base_rate = rng.uniform(1.6, 2.8) * pace
    drift = rng.uniform(1.3, 1.8)  # the room gets busier over the recording
    audience = rng.randint(300, 600)
    incidents = ["flash_sale", "food_complaints", "abuse_raid", "feed_outage", "mood_turn"]
    if seed != DEFAULT_SEED:
        rng.shuffle(incidents)
    plan: list[tuple[str, float]] = [("calm", rng.uniform(240, 300))]
    for kind in incidents:
        duration = {
            "flash_sale": rng.uniform(100, 150),
            "food_complaints": rng.uniform(90, 130),
            "abuse_raid": rng.uniform(40, 60),
            "feed_outage": rng.uniform(45, 90),
            "mood_turn": rng.uniform(60, 90),
        }[kind]
        if kind in ("food_complaints", "mood_turn"):
            duration *= slow
        plan.append((kind, duration))
        plan.append(("calm", rng.uniform(160, 240) * slow))
    total = sum(d for _, d in plan)

    def rate_at(t: float) -> float:
        return base_rate * (1.0 + (drift - 1.0) * (t - T0) / total)

    events: list[dict[str, Any]] = []
    t = T0
    wave_topic = "质量问题" if seed == DEFAULT_SEED else rng.choice(sorted(_WAVES))
    raid_kind = "abuse" if seed == DEFAULT_SEED else rng.choice(sorted(_RAIDS))
    for kind, duration in plan:
        start, end = t, t + duration
        event: dict[str, Any] = {"kind": kind, "onset": round(start, 3), "end": round(end, 3)}
        if kind == "feed_outage":
            event["expect"] = "volume_drop"
        elif kind == "food_complaints":
            event["expect"] = "grievance_topic"
            event["topic"] = wave_topic
        elif kind == "mood_turn":
            event["expect"] = "negative_spike"
        elif kind == "abuse_raid":
            event["expect"] = "abuse_raid"
            event["accounts"] = 30
            event["raid_label"] = _RAIDS[raid_kind][0]
        else:
            event["expect"] = None
        events.append(event)
        if kind == "feed_outage":
            t = end
            continue
        # Background traffic, piecewise with the drifting rate.
        s = start
        while s < end:
            e = min(end, s + 10.0)
            mult = 5.0 if kind == "flash_sale" else 1.0
            for ts in _arrivals(rng, s, e, rate_at(s) * (1.0 if kind == "flash_sale" else mult)):
                _background(g, ts, audience)
            if kind == "flash_sale":
                for ts in _arrivals(rng, s, e, rate_at(s) * (mult - 1.0)):
                    uid = f"u{rng.randint(1, audience * 3)}"
                    if rng.random() < 0.8:
                        g.emit(ts, uid, rng.choice(_FLASH_HAPPY), "chatter", rng.uniform(0.5, 1.0))
                    else:
                        g.emit(ts, uid, rng.choice(_FLASH_Q), "question", rng.uniform(0.0, 0.3))
            s = e
        if kind == "food_complaints":
            _wave(g, start, end, wave_topic, pace)
        elif kind == "abuse_raid":
            _raid(g, start, end, raid_kind)
        elif kind == "mood_turn":
            _mood(g, start, end, audience, pace)
        t = end
    g.records.sort(key=lambda rec: rec["ts"])
    truth = {
        "seed": seed,
        "room": room,
        "start": T0,
        "end": round(t, 3),
        "records": len(g.records),
        "base_rate_per_s": round(base_rate, 3),
        "drift": round(drift, 3),
        **({"pace": pace} if pace != 1.0 else {}),
        "events": events,
        "labels": g.labels,
        "note": "labels maps record id -> [intended label, intended sentiment]",
    }
    return g.records, truth


def _wave(g: Gen, start: float, end: float, topic: str, pace: float) -> None:
    r = g.rng
    peak = r.uniform(0.8, 1.4) * pace
    ramp = 8.0
    complainers = [f"c{topic[:1]}{i}" for i in range(r.randint(50, 90))]
    ts = start
    while True:
        ts += r.expovariate(peak)
        if ts >= end:
            break
        # Ramp up over the first seconds, taper in the last 20 s.
        level = min(1.0, (ts - start) / ramp, (end - ts) / 20.0)
        if r.random() > max(level, 0.15):
            continue
        uid = r.choice(complainers)
        x = r.random()
        if x < 0.15:
            g.emit(ts, uid, r.choice(_WAVE_WATCH), "grievance", r.uniform(-0.9, -0.6))
        elif x < 0.25:
            g.emit(
                ts, f"u{r.randint(1, 400)}", r.choice(_WAVE_ECHO), "question", r.uniform(-0.3, 0.0)
            )
        else:
            parts = _WAVES[topic]
            text = r.choice(parts["core"]) + r.choice(parts["tail"])
            g.emit(ts, uid, text, "grievance", r.uniform(-0.95, -0.5))


def _mood(g: Gen, start: float, end: float, audience: int, pace: float) -> None:
    r = g.rng
    peak = r.uniform(1.5, 2.5) * pace
    ts = start
    while True:
        ts += r.expovariate(peak)
        if ts >= end:
            break
        level = min(1.0, (ts - start) / 8.0, (end - ts) / 20.0)
        if r.random() > max(level, 0.15):
            continue
        uid = f"u{r.randint(1, audience)}"
        text = r.choice(_SOUR) + r.choice(("", "", "！", "。", "😒", "👎"))
        x = r.random()
        if x < 0.12:
            g.emit(ts, uid, r.choice(_SOUR_ABUSE), "abuse", r.uniform(-0.9, -0.6))
        elif x < 0.25:
            g.emit(ts, uid, text, "grievance", r.uniform(-0.8, -0.5))
        else:
            g.emit(ts, uid, text, "chatter", r.uniform(-0.9, -0.4))


def _raid(g: Gen, start: float, end: float, kind: str) -> None:
    r = g.rng
    label, templates = _RAIDS[kind]
    template = r.choice(templates)
    accounts = [f"r{r.randint(10_000, 99_999)}x{i}" for i in range(30)]
    for uid in accounts:
        first = start + r.uniform(0, min(20.0, end - start - 5))
        for k in range(r.randint(2, 4)):
            ts = first + k * r.uniform(3, 9)
            if ts >= end:
                break
            text = template
            if r.random() < 0.3:
                cut = r.randint(1, len(text) - 1)
                text = text[:cut] + r.choice(("", " ", "，", "!")) + text[cut:]
            text = text + r.choice(_RAID_DECOR)
            sentiment = r.uniform(-0.95, -0.6) if label == "abuse" else r.uniform(-0.1, 0.2)
            g.emit(ts, uid, text, label, sentiment)


def write(records: list[dict[str, Any]], truth: dict[str, Any], out: Path) -> tuple[Path, Path]:
    out.parent.mkdir(parents=True, exist_ok=True)
    rec_path = out.with_name(out.name + ".jsonl.gz")
    truth_path = out.with_name(out.name + ".truth.json")
    # mtime=0 keeps the gzip bytes reproducible for a given seed.
    with open(rec_path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":")).encode() + b"\n")
    labels = truth["labels"]
    head = {k: v for k, v in truth.items() if k != "labels"}
    text = json.dumps(head, ensure_ascii=False, indent=1)[:-2]
    text += ',\n "labels": ' + json.dumps(labels, ensure_ascii=False, separators=(",", ":"))
    truth_path.write_text(text + "\n}\n", encoding="utf-8")
    return rec_path, truth_path


def validate(path: Path) -> int:
    """Parse every line back with the real record parser; returns the count."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    from roomwatch.core.record import parse_json

    n = 0
    last = 0.0
    with gzip.open(path, "rb") as fh:
        for line in fh:
            comment = parse_json(line, received_at=0.0)
            if comment.ts < last:
                raise SystemExit(f"{path}: records out of ts order at line {n + 1}")
            last = comment.ts
            n += 1
    return n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output stem (default samples/scenario-alerts for the default seed, "
        "samples/scenario-seed<N> otherwise)",
    )
    parser.add_argument(
        "--pace",
        type=float,
        default=1.0,
        help="scale every rate by this (0.2: a 助农 stream of about 25 comments a minute)",
    )
    args = parser.parse_args(argv)
    if not 0 < args.pace <= 10:
        parser.error("--pace must be above 0 and at most 10")
    out = args.out
    if out is None:
        name = "scenario-alerts" if args.seed == DEFAULT_SEED else f"scenario-seed{args.seed}"
        out = Path(__file__).resolve().parent.parent / "samples" / name
    records, truth = generate(args.seed, args.pace)
    rec_path, truth_path = write(records, truth, out)
    n = validate(rec_path)
    kinds = ", ".join(
        f"{e['kind']}@{e['onset'] - truth['start']:.0f}s"
        for e in truth["events"]
        if e["kind"] != "calm"
    )
    print(f"wrote {rec_path} ({n} records, validated) and {truth_path}; events: {kinds}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
