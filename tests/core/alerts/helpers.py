"""Shared inputs for the alert detector tests: synthetic rooms in record time."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from typing import Any

from roomwatch.core.alerts import AlertConfig, AlertEvent, AlertManager, Observation, Sample
from roomwatch.core.alerts.baseline import Baseline
from roomwatch.core.alerts.state import Hit, Room
from roomwatch.core.record import Comment, User

T0 = 1_764_115_200.0
ROOM = "county-apples-1126"

HAPPY = (
    "主播好",
    "支持助农",
    "苹果好甜",
    "已下单",
    "好吃不贵",
    "来了来了",
    "多少钱一箱",
    "几号链接",
)
MILD = ("有点贵", "网卡了")


def obs(
    ts: float,
    text: str,
    *,
    label: str = "chatter",
    sentiment: float = 0.5,
    user: str = "u1",
    room: str = ROOM,
    tokens: tuple[str, ...] | None = None,
) -> Observation:
    comment = Comment(room=room, text=text, ts=ts, user=User(id=user, name=f"名{user}"))
    return Observation(
        comment, label, sentiment, text, tokens if tokens is not None else tuple(text.split())
    )


def calm(
    start: float,
    end: float,
    *,
    rate: float = 2.0,
    seed: int = 1,
    room: str = ROOM,
    negative_share: float = 0.05,
) -> list[Observation]:
    rng = random.Random(seed)
    out = []
    t = start + rng.expovariate(rate)
    while t < end:
        if rng.random() < negative_share:
            out.append(
                obs(t, rng.choice(MILD), sentiment=-0.4, user=f"u{rng.randint(1, 300)}", room=room)
            )
        else:
            out.append(
                obs(t, rng.choice(HAPPY), sentiment=0.6, user=f"u{rng.randint(1, 300)}", room=room)
            )
        t += rng.expovariate(rate)
    return out


def run(
    manager: AlertManager, observations: Iterable[Observation], until: float, start: float = T0
) -> list[AlertEvent]:
    """Feed observations in ts order, ticking every whole second up to ``until``."""
    events: list[AlertEvent] = []
    next_tick = float(int(start) + 1)
    for o in sorted(observations, key=lambda o: o.comment.ts):
        while next_tick <= o.comment.ts:
            events.extend(manager.tick(next_tick))
            next_tick += 1.0
        events.extend(manager.observe(o))
    while next_tick <= until:
        events.extend(manager.tick(next_tick))
        next_tick += 1.0
    return events


def kinds(events: Iterable[AlertEvent], detector: str | None = None) -> list[str]:
    return [e.kind for e in events if detector is None or e.alert.detector == detector]


def wave(
    start: float,
    end: float,
    rate: float,
    texts: tuple[str, ...],
    *,
    label: str,
    sentiment: float,
    prefix: str,
    seed: int = 2,
    tokens: dict[str, tuple[str, ...]] | None = None,
) -> list[Observation]:
    rng = random.Random(seed)
    out = []
    t = start + rng.expovariate(rate)
    i = 0
    while t < end:
        text = rng.choice(texts)
        toks = tokens.get(text) if tokens else None
        out.append(obs(t, text, label=label, sentiment=sentiment, user=f"{prefix}{i}", tokens=toks))
        i += 1
        t += rng.expovariate(rate)
    return out


SOUR = (
    "主播态度太差了",
    "这说的什么话",
    "越看越生气",
    "太让人失望了",
    "怎么能这样说",
    "听不下去了",
    "真让人寒心",
    "什么玩意儿",
)


MOULD = ("收到的苹果全 发霉 了", "一箱 烂果 太多", "发霉 了 还 敢卖", "苹果 长毛 了 退款")


RAID = (
    "主播是骗子大家别买",
    "主播是骗子 大家别买!!",
    "主播是骗子大家别买😡",
    "主播是骗子，大家别买",
)


def raid(
    start: float,
    accounts: int,
    *,
    label: str = "abuse",
    texts: tuple[str, ...] = RAID,
    per_account: int = 3,
    sentiment: float = -0.8,
) -> list[Observation]:
    rng = random.Random(7)
    out = []
    for a in range(accounts):
        first = start + rng.uniform(0, 15)
        for k in range(per_account):
            out.append(
                obs(
                    first + 4 * k, rng.choice(texts), label=label, sentiment=sentiment, user=f"r{a}"
                )
            )
    return out


#: One continuous calm background, cut into pieces by :func:`bg`.
BACKGROUND = calm(T0, T0 + 1200, seed=21)


def bg(start: float, end: float) -> list[Observation]:
    return [o for o in BACKGROUND if start < o.comment.ts <= end]


def raid_manager(**overrides: object) -> tuple[AlertManager, list[AlertEvent]]:
    m = AlertManager(AlertConfig(**overrides))  # type: ignore[arg-type]
    return m, run(m, bg(T0, T0 + 140), T0 + 140)


def learned_room(
    *, rate: float = 2.0, seconds: int = 600, counts: dict[str, float] | None = None
) -> Room:
    """A warm room whose baseline has seen ``seconds`` of ``rate`` comments a
    second (plus ``counts``: other keys per second), with an empty window at
    ``T0 + seconds``: for calling a detector module directly."""
    cfg = AlertConfig()
    now = T0 + seconds
    room = Room(ROOM, T0, now, now, int(now))
    room.seen = int(rate * seconds)
    room.baseline = Baseline(cfg.baseline_half_life_seconds)
    per_second = {"n": rate, **(counts or {})}
    rng = random.Random(3)
    for _ in range(seconds):
        # Whole counts that average to the rates asked for.
        step = {k: int(v) + (rng.random() < v - int(v)) for k, v in per_second.items()}
        room.baseline.step(step, {}, 1)
    room.buckets.append((int(now), Counter()))
    # ... and whose pace, at its last comment (now), is the same rate.
    room.pace, room.pace_ts = rate * cfg.outage_pace_seconds, now
    return room


def fill(room: Room, counts: dict[str, int]) -> None:
    """Put ``counts`` into the room's newest second (and so its window)."""
    bucket = room.buckets[-1][1]
    for key, n in counts.items():
        bucket[key] += n
        room.window[key] += n


def hit(ts: float, user: str, text: str, **kwargs: Any) -> Hit:
    sample = Sample(text, user, kwargs.pop("label", "chatter"), -0.8, ts)
    return Hit(ts, user, kwargs.pop("negative", True), sample, **kwargs)
