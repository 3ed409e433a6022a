"""Labels, domains, splits, the ``Row`` type and the pools every label shares.

The pools themselves (products, colours, address terms, particles, punctuation,
emoji, places...) are data in ``data/vocab.json``. ``_partition`` is the hold-out
rule: which items of a pool only dev or test may use.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from .data import load

_D = load("vocab")

LABELS = ("question", "grievance", "abuse", "spam", "chatter")
DOMAINS = ("beauty", "food", "fruit", "zhunong", "clothing", "electronics", "general")
SPLITS = ("train", "dev", "test")
MAX_PER_KEY = 2  # at most two rows per split differ only in punctuation/emoji/spacing
OWN_SHARE = 0.4  # dev/test: share of draws from held-out families (rest: held-out slots)
SPLIT_SHARE = {"train": 0.70, "dev": 0.15, "test": 0.15}
LABEL_TOTALS = {
    "question": 3600,
    "chatter": 3600,
    "grievance": 2600,
    "abuse": 2600,
    "spam": 2600,
}


@dataclass(frozen=True, slots=True)
class Row:
    text: str
    label: str
    sentiment: int
    domain: str
    hard: bool = False
    family: str = ""  # generator family (internal; not written to the corpus files)

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "label": self.label,
            "sentiment": self.sentiment,
            "domain": self.domain,
            "hard": self.hard,
        }


PRODUCTS: dict[str, tuple[str, ...]] = _D["PRODUCTS"]
HOLDOUT_MIN = 9
# Canonical phrasings named in the label guide: they are always train vocabulary and
# are never held out (a pool item containing one of these stays in train).
CORE_TERMS = frozenset(_D["CORE_TERMS"])


def _is_core(item: str) -> bool:
    return any(t in item for t in CORE_TERMS)


@functools.lru_cache(maxsize=4096)
def _partition(seq: tuple[str, ...], split: str) -> tuple[list[str], list[str]]:
    """(items of ``seq`` held for ``split``, core items that always stay in train)."""
    core = [x for x in seq if _is_core(x)]
    rest = [x for x in seq if not _is_core(x)]
    return [x for i, x in enumerate(rest) if index_split(i) == split], core


# pool index -> split. Every 7th item (offset 3) is test-only, every 7th (offset 5) is
# dev-only; used for products and for every phrase pool picked with ``Ctx.hpick``.
def index_split(index: int) -> str:
    if index % 7 == 3:
        return "test"
    if index % 7 == 5:
        return "dev"
    return "train"


PRODUCT_DOMAINS = tuple(d for d in DOMAINS if d != "general")
COLORS = _D["COLORS"]
SIZES = ("S", "M", "L", "XL", "XXL", "2XL", "3XL", "均码", "36码", "38码", "40码", "42码")
ADDRESS = _D["ADDRESS"]
ZHUNONG_ADDRESS = ("书记", "县长", "镇长", "村长", "领导", "主任", "书记同志", "局长")
PARTICLES = _D["PARTICLES"]
PUNCT = _D["PUNCT"]
STATEMENT_PUNCT = _D["STATEMENT_PUNCT"]
EMOJI = _D["EMOJI"]
POS_EMOJI = _D["POS_EMOJI"]
NEG_EMOJI = ("😡", "😭", "💢", "😤", "🙄", "😠", "👎", "😞", "🤬")
EMOTES = _D["EMOTES"]
NEG_EMOTES = ("[流泪]", "[发怒]", "[大哭]", "[抠鼻]", "[撇嘴]", "[再见]", "[白眼]", "[难过]")
PLACES = _D["PLACES"]
REGION_PEOPLE = _D["REGION_PEOPLE"]
ROOM_NAMES = _D["ROOM_NAMES"]
