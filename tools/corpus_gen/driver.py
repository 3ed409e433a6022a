"""Draw the corpus: families per label and split, dedupe, shuffle, write JSONL.

``generate`` is deterministic for a seed: every (split, label) pair has its own
``random.Random``, and each label's families are walked in the order of
``LABEL_MODULES``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from . import abuse, chatter, grievance, question_room, question_shop, spam
from .evasion import evasion_variant
from .grammar import REGISTERED, Ctx, Family
from .vocab import (
    LABEL_TOTALS,
    LABELS,
    MAX_PER_KEY,
    OWN_SHARE,
    PRODUCTS,
    SPLIT_SHARE,
    SPLITS,
    Row,
    index_split,
)

__all__ = ["FAMILIES", "LABEL_MODULES", "generate", "main", "norm_key", "write_corpus"]

DESCRIPTION = "Generate roomwatch's labelled live-room comment corpus (dev-time only)."

# One module per label (questions take two). The weighted pick walks a label's
# families in this order, so reordering modules or families changes the corpus.
LABEL_MODULES = (question_shop, question_room, grievance, abuse, spam, chatter)
FAMILIES: list[Family] = [
    f for m in LABEL_MODULES for f in REGISTERED if f.fn.__module__ == m.__name__
]
assert len(FAMILIES) == len(REGISTERED), "a family module is missing from LABEL_MODULES"

_STRIP = re.compile(r"[\s\W_]+", re.UNICODE)


def norm_key(text: str) -> str:
    """Loose key used to keep near-identical texts out of different splits."""
    t = unicodedata.normalize("NFKC", text).lower()
    return _STRIP.sub("", t)


def _split_products() -> dict[str, dict[str, tuple[str, ...]]]:
    out: dict[str, dict[str, list[str]]] = {s: {d: [] for d in PRODUCTS} for s in SPLITS}
    for d, items in PRODUCTS.items():
        for i, p in enumerate(items):
            out[index_split(i)][d].append(p)
    # a product that appears in several domains (苹果, 猕猴桃) must stay on one side
    train_names = {p for lst in out["train"].values() for p in lst}
    for s in ("dev", "test"):
        for d in PRODUCTS:
            out[s][d] = [p for p in out[s][d] if p not in train_names]
    for s in ("dev", "test"):
        for d in PRODUCTS:
            if not out[s][d]:
                out[s][d] = [PRODUCTS[d][3 if s == "test" else 5]]
    return {s: {d: tuple(v) for d, v in ds.items()} for s, ds in out.items()}


def _quota(total: int) -> dict[str, int]:
    dev = round(total * SPLIT_SHARE["dev"])
    test = round(total * SPLIT_SHARE["test"])
    return {"train": total - dev - test, "dev": dev, "test": test}


def _pick_family(rng: random.Random, fams: Sequence[Family]) -> Family:
    total = sum(f.weight for f in fams)
    r = rng.random() * total
    for f in fams:
        r -= f.weight
        if r <= 0:
            return f
    return fams[-1]


def generate(seed: int = 1126, totals: dict[str, int] | None = None) -> dict[str, list[Row]]:
    """Generate the three splits plus ``test_evasion``; deterministic for ``seed``."""
    totals = dict(LABEL_TOTALS if totals is None else totals)
    products = _split_products()
    seen_exact: set[str] = set()
    keys_by_split: dict[str, Counter[str]] = {s: Counter() for s in SPLITS}
    out: dict[str, list[Row]] = {s: [] for s in SPLITS}
    for split in SPLITS:
        for label in LABELS:
            rng = random.Random(f"{seed}:{split}:{label}")
            own = [f for f in FAMILIES if f.label == label and f.split == split]
            shared = [f for f in FAMILIES if f.label == label and f.split == "train"]
            want = _quota(totals[label])[split]
            got = 0
            tries = 0
            while got < want and tries < want * 60:
                tries += 1
                if split == "train":
                    fam = _pick_family(rng, shared)
                    held_out = False
                else:
                    # dev/test: own held-out families, or shared families with held-out products
                    use_own = own and rng.random() < OWN_SHARE
                    fam = _pick_family(rng, own if use_own else shared)
                    held_out = bool(use_own)
                ctx = Ctx(rng=rng, split=split, products=products[split])
                text, sentiment, domain, hard = fam.fn(ctx)
                if split != "train" and not held_out and not ctx.used_product:
                    continue
                text = text.strip()
                if not text or text in seen_exact:
                    continue
                key = norm_key(text)
                if split != "train" and any(key in keys_by_split[s] for s in SPLITS if s != split):
                    continue
                if not key or keys_by_split[split][key] >= MAX_PER_KEY:
                    continue
                seen_exact.add(text)
                keys_by_split[split][key] += 1
                out[split].append(Row(text, label, sentiment, domain, hard, fam.name))
                got += 1
        rng = random.Random(f"{seed}:{split}:shuffle")
        rng.shuffle(out[split])
    erng = random.Random(f"{seed}:evasion")
    out["test_evasion"] = [
        Row(evasion_variant(r.text, erng), r.label, r.sentiment, r.domain, True, r.family)
        for r in out["test"]
        if r.label == "abuse"
    ]
    return out


def rows_to_jsonl(rows: Iterable[Row], extra: Sequence[dict[str, Any]] | None = None) -> str:
    lines = []
    for i, r in enumerate(rows):
        d = r.to_dict()
        if extra is not None:
            d.update(extra[i])
        lines.append(json.dumps(d, ensure_ascii=False))
    return "\n".join(lines) + "\n"


def write_corpus(out_dir: Path, seed: int = 1126) -> dict[str, Counter[str]]:
    data = generate(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    for split in SPLITS:
        (out_dir / f"{split}.jsonl").write_text(rows_to_jsonl(data[split]), encoding="utf-8")
    plains = [{"plain": r.text} for r in data["test"] if r.label == "abuse"]
    (out_dir / "test_evasion.jsonl").write_text(
        rows_to_jsonl(data["test_evasion"], plains), encoding="utf-8"
    )
    return {name: Counter(r.label for r in rows) for name, rows in data.items()}


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=DESCRIPTION)
    ap.add_argument("--out", default="corpus/live", type=Path)
    ap.add_argument("--seed", default=1126, type=int)
    args = ap.parse_args(argv)
    counts = write_corpus(args.out, args.seed)
    for name, c in counts.items():
        print(name, sum(c.values()), dict(sorted(c.items())))
    return 0
