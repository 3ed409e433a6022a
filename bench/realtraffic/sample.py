"""Draw the rows of the hand-labelled real-traffic set (reproducible).

Run from the repo root::

    python bench/realtraffic/sample.py [--data ../shared/data/realtraffic] --out /tmp/rt

Writes, OUTSIDE the repo, ``<out>/<stratum>.tsv`` with ``row<TAB>text`` for a
person to read and label; the repository keeps only row numbers and labels
(``labels.tsv``). The text is unlicensed: never write it under the repo.

Strata (rows are 0-based data rows of ``bilibili_video_danmaku.tsv``,
header excluded):

* ``random-dev`` (1,600) and ``random-final`` (400): ``random.Random(SEED)
  .sample(range(n), 2000)``; the first 1,600 are dev, the last 400 final.
* ``enriched-dev`` (400): rows not in the random sample whose text matches
  ``ENRICH`` (a broad, neutral filter: question marks and question words, common
  insult characters, contact/ad hints, complaint words), sampled with
  ``random.Random(SEED + 1)``. It exists so that positives are present; its
  figures are reported separately and say nothing about label shares.
* ``random-final2`` (400) and ``enriched-final2`` (200): a second held-out
  part drawn with ``SEED2`` from the rows not in any stratum above (uniform,
  then among the rest matching ``ENRICH``), and ``asks-final2`` (200) among
  the rest matching ``ASKS`` (ENRICH's question-form part); labelled before
  stop 14 changed any rule and evaluated once at its end.
* ``random-final3`` (400) and ``asks-final3`` (200): a third held-out part
  (stop 15), drawn with ``SEED3`` from the rows in no stratum above (uniform,
  then among the rest matching ``ASKS``); labelled after that stop's rule
  changes without looking at a verdict, and evaluated once.
* ``random-final4`` (400), ``asks-final4`` (200) and ``enriched-final4``
  (200): a fourth held-out part (stop 16), drawn with ``SEED4`` from the rows
  in no stratum above (uniform, then among the rest matching ``ASKS``, then
  among the rest matching ``ENRICH``); labelled before any rule of that stop
  was evaluated on it, without looking at a verdict, and evaluated once at
  its end.
* ``random-final5`` (400), ``asks-final5`` (200) and ``enriched-final5``
  (200): a fifth held-out part (stop 16), drawn like the fourth with
  ``SEED5`` from the rows in no stratum above (uniform, then among the rest
  matching ``ASKS``, then among the rest matching ``ENRICH``); labelled
  without looking at a verdict, and evaluated once at the end of stop 16 on
  what it shipped.
* ``random-final6`` (400), ``asks-final6`` (400) and ``enriched-final6``
  (200): a sixth held-out part (stop 17, for the next change), drawn like the
  fifth with ``SEED6`` from the rows in no stratum above (uniform, then among
  the rest matching ``ASKS``, then among the rest matching ``ENRICH``); twice
  as many ask rows as before, because the question figures of the earlier
  parts rested on about 20 questions. Labelled without looking at a verdict
  and not evaluated when drawn.
* ``random-final7`` (400), ``asks-final7`` (400) and ``enriched-final7``
  (200): a seventh held-out part (stop 18, for the lead's end-of-stop
  evaluation), drawn like the sixth with ``SEED7`` from the rows in no stratum
  above (uniform, then among the rest matching ``ASKS``, then among the rest
  matching ``ENRICH``). Labelled without looking at a verdict and not
  evaluated when drawn.
* ``random-final8`` (400), ``asks-final8`` (400) and ``enriched-final8``
  (200): an eighth held-out part (stop 19, a second unlooked part beside
  the seventh), drawn like the seventh with ``SEED8`` from the rows in no
  stratum above (uniform, then among the rest matching ``ASKS``, then among
  the rest matching ``ENRICH``). Labelled without looking at a verdict and
  not evaluated when drawn.
* ``random-final9`` (400), ``asks-final9`` (400) and ``enriched-final9``
  (200): a ninth held-out part (stop 20, drawn after final8 had its one
  look), drawn like the eighth with ``SEED9`` from the rows in no stratum
  above. Labelled without looking at a verdict and not evaluated when drawn.
* ``random-final10`` (400), ``asks-final10`` (400) and ``enriched-final10``
  (200): a tenth held-out part (stop 20, for the next change, since final8
  and final9 had their looks in stop 20), drawn like the ninth with
  ``SEED10`` from the rows in no stratum above. Labelled without looking at
  a verdict and not evaluated when drawn.
* ``random-final11`` (400), ``asks-final11`` (400) and ``enriched-final11``
  (200): an eleventh held-out part (stop 21, drawn before final10's one look
  at that stop's end, for the change after it), drawn like the tenth with
  ``SEED11`` from the rows in no stratum above. Labelled without looking at a
  verdict and not evaluated when drawn.
* ``random-final12`` (400), ``asks-final12`` (400) and ``enriched-final12``
  (200): a twelfth held-out part (stop 22, drawn after final11's one look, for
  the next change), drawn like the eleventh with ``SEED12`` from the rows in
  no stratum above. Labelled without looking at a verdict and not evaluated
  when drawn.
* ``random-final13`` (400), ``asks-final13`` (400) and ``enriched-final13``
  (200): a thirteenth held-out part (stop 23, drawn after final12's one look,
  for the next change), drawn like the twelfth with ``SEED13`` from the rows in
  no stratum above. Labelled without looking at a verdict and not evaluated
  when drawn.
* ``random-final14`` (400), ``asks-final14`` (400) and ``enriched-final14``
  (200): a fourteenth held-out part (stop 24, drawn before final13's one look,
  so that an unlooked part remains), drawn like the thirteenth with ``SEED14``.
"""

from __future__ import annotations

import argparse
import random
import re
from pathlib import Path

SEED = 20261206
N_DEV, N_FINAL, N_ENRICHED = 1600, 400, 400
# A second held-out part (stop 14), drawn with a new seed from rows not in the
# first draw, labelled before the round's rule changes and looked at once.
SEED2 = 20261207
N_FINAL2, N_ENRICHED_FINAL2, N_ASKS_FINAL2 = 400, 200, 200
# A third held-out part (stop 15), from rows in no stratum above.
SEED3 = 20261210
N_FINAL3, N_ASKS_FINAL3 = 400, 200
# A fourth held-out part (stop 16), from rows in no stratum above.
SEED4 = 20261212
N_FINAL4, N_ASKS_FINAL4, N_ENRICHED_FINAL4 = 400, 200, 200
# A fifth held-out part (stop 16's retrained model), from rows in no stratum above.
SEED5 = 20261215
N_FINAL5, N_ASKS_FINAL5, N_ENRICHED_FINAL5 = 400, 200, 200
# A sixth held-out part (stop 17), from rows in no stratum above; more ask rows,
# because a question figure on ~20 questions moves by 5 points per comment.
SEED6 = 20261218
N_FINAL6, N_ASKS_FINAL6, N_ENRICHED_FINAL6 = 400, 400, 200
# A seventh held-out part (stop 18), from rows in no stratum above; drawn like
# the sixth, because final6 had its one look at the end of stop 17.
SEED7 = 20261221
N_FINAL7, N_ASKS_FINAL7, N_ENRICHED_FINAL7 = 400, 400, 200
# An eighth held-out part (stop 19), from rows in no stratum above; drawn like
# the seventh, so that a second unlooked part stands beside final7.
SEED8 = 20261224
N_FINAL8, N_ASKS_FINAL8, N_ENRICHED_FINAL8 = 400, 400, 200
# A ninth held-out part (stop 20), from rows in no stratum above; drawn like
# the eighth, because final8 had its one look in stop 20.
SEED9 = 20261227
N_FINAL9, N_ASKS_FINAL9, N_ENRICHED_FINAL9 = 400, 400, 200
# A tenth held-out part (stop 20, for the next change), drawn like the ninth.
SEED10 = 20261230
N_FINAL10, N_ASKS_FINAL10, N_ENRICHED_FINAL10 = 400, 400, 200
# An eleventh held-out part (stop 21, for the change after it), drawn like the tenth.
SEED11 = 20261233
N_FINAL11, N_ASKS_FINAL11, N_ENRICHED_FINAL11 = 400, 400, 200
# A twelfth held-out part (stop 22, after final11's look), drawn like the eleventh.
SEED12 = 20261236
N_FINAL12, N_ASKS_FINAL12, N_ENRICHED_FINAL12 = 400, 400, 200
# A thirteenth held-out part (stop 23, after final12's look), drawn like the
# twelfth (20261240 is the sentiment sample's seed: skipped).
SEED13 = 20261242
N_FINAL13, N_ASKS_FINAL13, N_ENRICHED_FINAL13 = 400, 400, 200
# A fourteenth held-out part (stop 24, drawn before final13's look), drawn like
# the thirteenth, so that an unlooked part remains after it.
SEED14 = 20261245
N_FINAL14, N_ASKS_FINAL14, N_ENRICHED_FINAL14 = 400, 400, 200
# The held-out parts after the first draw: (part, seed, (stratum kind, rows) in
# the order drawn). Their draws must never change (tests/tools/test_realtraffic_labels.py).
HELD_OUT: tuple[tuple[str, int, tuple[tuple[str, int], ...]], ...] = (
    (
        "final2",
        SEED2,
        (("random", N_FINAL2), ("enriched", N_ENRICHED_FINAL2), ("asks", N_ASKS_FINAL2)),
    ),
    ("final3", SEED3, (("random", N_FINAL3), ("asks", N_ASKS_FINAL3))),
    *(
        (f"final{n}", seed, (("random", random_k), ("asks", asks_k), ("enriched", enriched_k)))
        for n, seed, random_k, asks_k, enriched_k in (
            (4, SEED4, N_FINAL4, N_ASKS_FINAL4, N_ENRICHED_FINAL4),
            (5, SEED5, N_FINAL5, N_ASKS_FINAL5, N_ENRICHED_FINAL5),
            (6, SEED6, N_FINAL6, N_ASKS_FINAL6, N_ENRICHED_FINAL6),
            (7, SEED7, N_FINAL7, N_ASKS_FINAL7, N_ENRICHED_FINAL7),
            (8, SEED8, N_FINAL8, N_ASKS_FINAL8, N_ENRICHED_FINAL8),
            (9, SEED9, N_FINAL9, N_ASKS_FINAL9, N_ENRICHED_FINAL9),
            (10, SEED10, N_FINAL10, N_ASKS_FINAL10, N_ENRICHED_FINAL10),
            (11, SEED11, N_FINAL11, N_ASKS_FINAL11, N_ENRICHED_FINAL11),
            (12, SEED12, N_FINAL12, N_ASKS_FINAL12, N_ENRICHED_FINAL12),
            (13, SEED13, N_FINAL13, N_ASKS_FINAL13, N_ENRICHED_FINAL13),
            (14, SEED14, N_FINAL14, N_ASKS_FINAL14, N_ENRICHED_FINAL14),
        )
    ),
)
# The ask part of ENRICH alone: questions are ~2% of random rows, so a held-out
# question figure needs rows picked by a neutral question-form filter.
ASKS = re.compile(r"[？?吗嘛呢]|什么|啥|怎么|咋|多少|哪|几|谁|求|有没有|能不能|是不是")

ENRICH = re.compile(
    r"[？?吗嘛呢]|什么|啥|怎么|咋|多少|哪|几|谁|求|有没有|能不能|是不是"  # asks
    r"|傻|逼|滚|死|蠢|贱|狗|猪|垃圾|废物|脑残|智障|弱智|恶心|丑|妈|nm|sb|SB|tm"  # insults
    r"|加我|私聊|微信|vx|VX|qq|QQ|群|http|www|\d{5,}"  # contact / ads
    r"|退|骗|投诉|客服|差评|快递|举报"  # complaints
)


_FILTERS: dict[str, re.Pattern[str] | None] = {"random": None, "asks": ASKS, "enriched": ENRICH}


def default_data(repo: Path) -> Path:
    """``../shared/data/realtraffic`` next to the repo (or next to a parent, for worktrees)."""
    for base in repo.parents:
        candidate = base / "shared" / "data" / "realtraffic"
        if candidate.is_dir():
            return candidate
    return repo.parent / "shared" / "data" / "realtraffic"


def read_texts(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").split("\n")
    return [line.split("\t", 3)[3] for line in lines[1:] if line]


def draw(texts: list[str]) -> dict[str, list[int]]:
    taken: set[int] = set()

    def take(seed: int, k: int, pattern: re.Pattern[str] | None = None) -> list[int]:
        """``k`` rows of no earlier stratum (matching ``pattern``, if given)."""
        pool = [
            i
            for i in range(len(texts))
            if i not in taken and (pattern is None or pattern.search(texts[i]))
        ]
        rows = random.Random(seed).sample(pool, k)
        taken.update(rows)
        return rows

    picked = take(SEED, N_DEV + N_FINAL)
    strata = {
        "random-dev": picked[:N_DEV],
        "random-final": picked[N_DEV:],
        "enriched-dev": take(SEED + 1, N_ENRICHED, ENRICH),
    }
    # Each later part's strata in the order drawn, the i-th with the part's seed + i.
    for part, seed, sizes in HELD_OUT:
        for i, (kind, k) in enumerate(sizes):
            strata[f"{kind}-{part}"] = take(seed + i, k, _FILTERS[kind])
    return strata


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = Path(__file__).resolve().parents[2]
    ap.add_argument("--data", type=Path, default=default_data(here))
    ap.add_argument("--out", type=Path, required=True, help="a folder outside the repo")
    args = ap.parse_args()
    if here in args.out.resolve().parents or args.out.resolve() == here:
        raise SystemExit("--out must be outside the repository (the text is unlicensed)")
    texts = read_texts(args.data / "bilibili_video_danmaku.tsv")
    args.out.mkdir(parents=True, exist_ok=True)
    for stratum, rows in draw(texts).items():
        with (args.out / f"{stratum}.tsv").open("w", encoding="utf-8") as f:
            for i in rows:
                f.write(f"{i}\t{texts[i]}\n")
        print(stratum, len(rows))


if __name__ == "__main__":
    main()
