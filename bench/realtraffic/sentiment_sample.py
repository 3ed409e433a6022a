"""Draw the rows of the hand-labelled real-traffic sentiment set (reproducible).

Run from the repo root::

    python bench/realtraffic/sentiment_sample.py [--data ../shared/data/realtraffic] --out /tmp/rt

The rows are drawn from the uniformly random strata of ``labels.tsv`` that
had had their look when it was drawn (stop 22: :data:`POOL`, ``random-dev``
to ``random-final10``; the random part of every such part, so the sample's
mood shares are the file's), ``random.Random(SEED).sample`` of 1,000: the
first 500 are ``sent-tune`` (for choosing the sentiment knobs), the last 500
``sent-final`` (looked at once, after the choice). The pool is fixed, so
later label parts change neither the draw nor what a labeller reads.

Writes, OUTSIDE the repo, ``<out>/sent-tune.tsv`` and ``<out>/sent-final.tsv``
with ``row<TAB>text`` for a person to read and label with the sentiment part
of ``docs/labelling-guide.md``; the repository keeps only row numbers and
labels (``sentiment.tsv``). The text is unlicensed: never write it under the
repo.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20261240
N = 1000
N_TUNE = 500
POOL = frozenset(("random-dev", "random-final", *(f"random-final{n}" for n in range(2, 11))))


def draw(labels: Path) -> list[int]:
    """The sample's rows, tune part first."""
    rows = []
    for line in labels.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith(("#", "row\t")):
            continue
        row, stratum, _ = line.split("\t")
        if stratum in POOL:
            rows.append(int(row))
    return random.Random(SEED).sample(sorted(rows), N)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=HERE.parents[2] / "shared/data/realtraffic")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    if HERE.parents[1] in args.out.resolve().parents:
        raise SystemExit("--out must be outside the repository: the text is unlicensed")
    lines = (args.data / "bilibili_video_danmaku.tsv").read_text(encoding="utf-8").split("\n")
    texts = [line.split("\t", 3)[3] for line in lines[1:] if line]
    rows = draw(HERE / "labels.tsv")
    args.out.mkdir(parents=True, exist_ok=True)
    for part, chunk in (("sent-tune", rows[:N_TUNE]), ("sent-final", rows[N_TUNE:])):
        with open(args.out / f"{part}.tsv", "w", encoding="utf-8") as f:
            for row in chunk:
                f.write(f"{row}\t{texts[row]}\n")


if __name__ == "__main__":
    main()
