"""What a family is given and the finishing step every family ends with.

``Ctx`` wraps the split's RNG and picks from pools (``hpick`` respects the
hold-out rule), ``@family`` registers a generator function for a label, and
``finish`` adds typos, particles, punctuation, emoji and noise to a core phrase.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .data import load
from .vocab import (
    ADDRESS,
    EMOJI,
    EMOTES,
    HOLDOUT_MIN,
    NEG_EMOJI,
    NEG_EMOTES,
    PARTICLES,
    POS_EMOJI,
    PRODUCT_DOMAINS,
    PUNCT,
    STATEMENT_PUNCT,
    ZHUNONG_ADDRESS,
    _partition,
)

_D = load("grammar")


@dataclass(slots=True)
class Ctx:
    rng: random.Random
    split: str
    products: dict[str, tuple[str, ...]]
    used_product: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    def pick(self, seq: Sequence[str]) -> str:
        return seq[self.rng.randrange(len(seq))]

    def maybe(self, p: float) -> bool:
        return self.rng.random() < p

    def opt(self, seq: Sequence[str], p: float = 0.5) -> str:
        return self.pick(seq) if self.maybe(p) else ""

    def hpick(self, seq: Sequence[str]) -> str:
        """Pick from a phrase pool whose items are partitioned between splits.

        Pools of at least ``HOLDOUT_MIN`` items lose every 7th item (offset 3) to test
        and every 7th (offset 5) to dev; train only ever sees the rest.
        """
        if len(seq) < HOLDOUT_MIN:
            return self.pick(seq)
        part, core = _partition(tuple(seq), self.split)
        if self.split == "train":
            return self.pick(part + core)
        if not part:  # nothing held out in this pool: fall back to the whole pool
            return self.pick(seq)
        self.used_product = True
        return self.pick(part)

    def product(self, domain: str) -> str:
        self.used_product = True
        return self.pick(self.products[domain])

    def domain(self, choices: Sequence[str] = PRODUCT_DOMAINS) -> str:
        return self.pick(choices)

    def num(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)


FamilyFn = Callable[[Ctx], tuple[str, int, str, bool]]


@dataclass(frozen=True, slots=True)
class Family:
    name: str
    label: str
    fn: FamilyFn
    split: str  # "train" (shared), "dev" or "test" (held out)
    weight: float


REGISTERED: list[Family] = []


def family(label: str, split: str = "train", weight: float = 1.0) -> Callable[[FamilyFn], FamilyFn]:
    def deco(fn: FamilyFn) -> FamilyFn:
        REGISTERED.append(Family(fn.__name__, label, fn, split, weight))
        return fn

    return deco


TYPOS: tuple[tuple[str, tuple[str, ...]], ...] = _D["TYPOS"]


def cat(*parts: object) -> str:
    return "".join(str(p) for p in parts)


def typo(ctx: Ctx, text: str, p: float = 0.25) -> str:
    if not ctx.maybe(p):
        return text
    cands = [(a, b) for a, b in TYPOS if a in text]
    if not cands:
        return text
    a, subs = cands[ctx.rng.randrange(len(cands))]
    return text.replace(a, ctx.pick(subs), 1)


def tail(ctx: Ctx, sentiment: int, p_emoji: float = 0.25, *, ask: bool = False) -> str:
    out = ctx.pick(PUNCT if ask or ctx.maybe(0.15) else STATEMENT_PUNCT)
    if ctx.maybe(p_emoji):
        pool: Sequence[str]
        if sentiment > 0:
            pool = POS_EMOJI + EMOTES
        elif sentiment < 0:
            pool = NEG_EMOJI + NEG_EMOTES
        else:
            pool = EMOJI + EMOTES
        e = ctx.pick(pool)
        out += e * (1 if ctx.maybe(0.7) else ctx.num(2, 3))
    return out


def noise(ctx: Ctx, text: str) -> str:
    r = ctx.rng.random()
    head = len(text.split("[", 1)[0])
    if r < 0.04 and head > 3:
        i = ctx.rng.randrange(1, head)
        return text[:i] + " " + text[i:]
    if r < 0.07:
        return text + text[-1] * ctx.num(1, 3) if text and text[-1].isalnum() else text
    if r < 0.10:
        return text.upper() if text.isascii() else text
    return text


_NO_PARTICLE_AFTER = set("？?！!。~…，吗嘛么呢吧不啊呀哦啦哈嘞噻撒捏鸭咩哇呐哟")


def finish(
    ctx: Ctx,
    core: str,
    sentiment: int,
    *,
    particle: float = 0.2,
    emoji: float = 0.25,
    typo_p: float = 0.25,
    ask: bool = False,
) -> str:
    text = typo(ctx, core, typo_p)
    if ctx.maybe(particle) and text and text[-1] not in _NO_PARTICLE_AFTER:
        text += ctx.pick(PARTICLES)
    if not text or text[-1] not in "？?！!。~…":
        text += tail(ctx, sentiment, emoji, ask=ask)
    elif ctx.maybe(emoji):
        text += tail(ctx, sentiment, 1.0, ask=ask).lstrip("！!？?。~…，")
    return noise(ctx, text).strip()


def addr(ctx: Ctx, domain: str, p: float = 0.35) -> str:
    if not ctx.maybe(p):
        return ""
    pool = ZHUNONG_ADDRESS + ADDRESS[:4] if domain == "zhunong" else ADDRESS
    sep = ctx.hpick(("", "，", ",", " ", "！", "~"))
    return ctx.pick(pool) + sep
