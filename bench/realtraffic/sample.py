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
"""

from __future__ import annotations

import argparse
import random
import re
from pathlib import Path

SEED = 20261206
N_DEV, N_FINAL, N_ENRICHED = 1600, 400, 400

ENRICH = re.compile(
    r"[？?吗嘛呢]|什么|啥|怎么|咋|多少|哪|几|谁|求|有没有|能不能|是不是"  # asks
    r"|傻|逼|滚|死|蠢|贱|狗|猪|垃圾|废物|脑残|智障|弱智|恶心|丑|妈|nm|sb|SB|tm"  # insults
    r"|加我|私聊|微信|vx|VX|qq|QQ|群|http|www|\d{5,}"  # contact / ads
    r"|退|骗|投诉|客服|差评|快递|举报"  # complaints
)


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
    n = len(texts)
    picked = random.Random(SEED).sample(range(n), N_DEV + N_FINAL)
    taken = set(picked)
    pool = [i for i in range(n) if i not in taken and ENRICH.search(texts[i])]
    enriched = random.Random(SEED + 1).sample(pool, N_ENRICHED)
    return {
        "random-dev": picked[:N_DEV],
        "random-final": picked[N_DEV:],
        "enriched-dev": enriched,
    }


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
