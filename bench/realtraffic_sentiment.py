"""How the classifier reads moods on real barrage and on licensed real chat.

Run from the repo root::

    .venv/bin/python bench/realtraffic_sentiment.py [--data DIR] [--model DIR]
        [--part sent-tune|sent-final --i-know-this-is-final]

The hand labels live in ``bench/realtraffic/sentiment.tsv`` (row number, part,
neg/neu/pos, and a second labeller's on 200 rows; no text); the rows were
drawn by ``bench/realtraffic/sentiment_sample.py`` from the uniformly random
strata of ``labels.tsv``. ``sent-tune`` (500 rows) is for choosing;
``sent-final`` (500) is looked at once, after the choice, and refuses without
``--i-know-this-is-final``. The licensed sample
(``tests/data/real_text_sample.jsonl``, 600 rows with a person's sentiment)
is always shown.

A verdict's sentiment is read as negative at or below -0.3 (what the comms
alerts count: ``AlertConfig.negative_sentiment``), positive at or above 0.3,
neutral between. Printed per set:

* the three moods right (accuracy), and each mood's precision and recall;
* the share of rows called negative, next to the share that is;
* the sign right on the rows a person gave a mood (``p(pos) > p(neg)`` for
  pos), the figure issue 11 asks for;
* agreement between the two labellers where both read a row.

It prints figures only, never a comment's text (the real traffic is
unlicensed).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import realtraffic_eval as ev  # noqa: E402

from roomwatch.assets import asset_dir  # noqa: E402
from roomwatch.core.analyze import Analyzer  # noqa: E402

LABELS_FILE = ROOT / "bench" / "realtraffic" / "sentiment.tsv"
LICENSED = ROOT / "tests" / "data" / "real_text_sample.jsonl"
MOODS = {"neg": -1, "neu": 0, "pos": 1}
NEGATIVE = -0.3


def read_labels(path: Path) -> list[tuple[int, str, int, int | None]]:
    """(row, part, mood, the second labeller's mood or None) per labelled row."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith(("#", "row\t")):
            continue
        row, part, mood, second = line.split("\t")
        out.append((int(row), part, MOODS[mood], MOODS[second] if second else None))
    return out


def mood(sentiment: float) -> int:
    return -1 if sentiment <= NEGATIVE else 1 if sentiment >= -NEGATIVE else 0


def report(name: str, gold: Sequence[int], got: Sequence[float]) -> None:
    pred = [mood(s) for s in got]
    n = len(gold)
    right = sum(p == g for p, g in zip(pred, gold, strict=True))
    print(f"== {name} == n={n}")
    print(f"  three moods right {right / n:.3f} ({right}/{n})")
    for k, label in ((-1, "neg"), (0, "neu"), (1, "pos")):
        tp = sum(p == k and g == k for p, g in zip(pred, gold, strict=True))
        called = sum(p == k for p in pred)
        true = sum(g == k for g in gold)
        print(
            f"  {label}: precision {ev._ratio(tp, called)}  recall {ev._ratio(tp, true)}"
            f"  called {called / n:.3f}, truly {true / n:.3f}"
        )
    polar = [(g, s) for g, s in zip(gold, got, strict=True) if g != 0]
    sign = sum((s > 0) == (g == 1) for g, s in polar)
    print(f"  sign right on the rows with a mood {ev._ratio(sign, len(polar))}")


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=None, help=f"folder holding {ev.SOURCE}")
    ap.add_argument("--model", type=Path, default=None, help="models folder (default: shipped)")
    ap.add_argument("--part", choices=("sent-tune", "sent-final"), default="sent-tune")
    ap.add_argument("--i-know-this-is-final", action="store_true")
    args = ap.parse_args(argv)
    if args.part == "sent-final" and not args.i_know_this_is_final:
        raise SystemExit("sent-final is looked at once: add --i-know-this-is-final if this is it")
    analyzer = Analyzer.load(asset_dir("models", args.model), asset_dir("lexicons", None))
    print(f"model {analyzer.version}")

    labelled = [r for r in read_labels(LABELS_FILE) if r[1] == args.part]
    sha, _ = ev.read_labels(ev.LABELS_FILE)
    texts = ev.read_source(args.data or ev.default_data(), sha or None)
    verdicts = ev.classify(analyzer, [texts[row] for row, _, _, _ in labelled])
    report(
        f"real barrage, {args.part}",
        [m for _, _, m, _ in labelled],
        [v.sentiment for v in verdicts],
    )
    both = [(m, s) for _, _, m, s in labelled if s is not None]
    if both:
        agree = sum(m == s for m, s in both)
        print(f"  two labellers agree on {ev._ratio(agree, len(both))} of the rows both read")

    rows = [json.loads(line) for line in LICENSED.read_text(encoding="utf-8").splitlines()]
    verdicts = ev.classify(analyzer, [row["text"] for row in rows])
    report(
        "licensed real chat (tests/data/real_text_sample.jsonl)",
        [row["sentiment"] for row in rows],
        [v.sentiment for v in verdicts],
    )


if __name__ == "__main__":
    main()
