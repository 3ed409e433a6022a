"""How far a bar on the model's own confidence can move issue 11's figures.

Run from the repo root::

    .venv/bin/python bench/realtraffic_curve.py [--data DIR] [--shared DIR] [--model DIR]

``realtraffic_knobs.py`` moves one decision constant at a time. This asks the
question before it: does the model *rank* real barrage well enough for any bar
to reach the targets? On the parts of the hand-labelled sample already looked
at (``realtraffic_eval.LOOKED``) it prints, by kind of stratum (random, asks,
enriched) and pooled:

* **review queue:** every abuse verdict whose abuse probability is at least a
  bar, with the spam verdicts as they are: precision (truly abuse or spam) and
  abuse recall, per bar. A bar only removes verdicts, so this is the best a
  stricter abuse rule of any kind that keeps the ranking could do.
* **questions:** the same for question verdicts and their question
  probability: precision and recall per bar.
* **abuse evidence by kind:** the abuse verdicts split by what they rest on
  (an evasion spelling, a lexicon insult / profanity / sexual term or curse
  pattern, or the model's n-grams with a target only), true and false, and
  the same split on COLD's selection split (the 15% of COLD train the trainer
  holds out), with each kind's likelihood ratio, (true / positives) over
  (false / negatives): how much more often the evidence appears on abuse
  than on other comments.

It prints figures only, never a comment's text (the real traffic is
unlicensed). ``--shared`` is the folder holding ``COLD/`` (default: the
parent of ``--data``); without COLD the last part is skipped.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import realtraffic_eval as ev  # noqa: E402

from roomwatch.assets import asset_dir  # noqa: E402
from roomwatch.core.analyze import Analyzer  # noqa: E402
from roomwatch.core.verdict import Verdict  # noqa: E402
from roomwatch.training.data import read_cold, stable_fraction  # noqa: E402

BARS = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99)
COLD_SELECT = 0.15  # roomwatch.training.config.TrainConfig.cold_select
KINDS = ("evasion", "term", "target only", "other")
_TERMS = ("lexicon:insult", "lexicon:profanity", "lexicon:sexual", "pattern:")


def evidence_kind(reasons: Sequence[str]) -> str:
    """What an abuse verdict rests on, by its reasons."""
    if any(r.startswith("norm:evasion") for r in reasons):
        return "evasion"
    if any(r.startswith(_TERMS) for r in reasons):
        return "term"
    if any(r.startswith("target:") for r in reasons):
        return "target only"
    return "other"


def _ratio(num: int, den: int) -> str:
    return f"{num / den:.3f} ({num}/{den})" if den else "n/a"


def review_curve(gold: Sequence[str], verdicts: Sequence[Verdict]) -> None:
    positives = sum(g == "abuse" for g in gold)
    for bar in BARS:
        kept = [
            (g, v)
            for g, v in zip(gold, verdicts, strict=True)
            if v.label == "spam" or (v.label == "abuse" and v.scores["abuse"] >= bar)
        ]
        true = sum(g in ev.REVIEW for g, _ in kept)
        found = sum(g == "abuse" and v.label == "abuse" for g, v in kept)
        print(
            f"    abuse prob >= {bar:<4}  review precision {_ratio(true, len(kept)):<20}"
            f"  abuse recall {_ratio(found, positives)}"
        )


def question_curve(gold: Sequence[str], verdicts: Sequence[Verdict]) -> None:
    positives = sum(g == "question" for g in gold)
    for bar in BARS:
        kept = [
            g
            for g, v in zip(gold, verdicts, strict=True)
            if v.label == "question" and v.scores["question"] >= bar
        ]
        true = sum(g == "question" for g in kept)
        print(
            f"    question prob >= {bar:<4}  precision {_ratio(true, len(kept)):<20}"
            f"  recall {_ratio(true, positives)}"
        )


def evidence_table(name: str, gold: Sequence[bool], verdicts: Sequence[Verdict]) -> None:
    """Abuse verdicts by evidence kind, true and false, and each kind's likelihood ratio."""
    counts: Counter[tuple[str, bool]] = Counter(
        (evidence_kind(v.reasons), g)
        for g, v in zip(gold, verdicts, strict=True)
        if v.label == "abuse"
    )
    positives = sum(gold)
    negatives = len(gold) - positives
    print(f"  {name}: {positives} abuse of {len(gold)}")
    for kind in KINDS:
        true, false = counts[(kind, True)], counts[(kind, False)]
        if not true + false:
            continue
        lr = f"{(true / positives) / (false / negatives):.1f}" if false and positives else "inf"
        print(f"    {kind:<12} true {true:>5}  false {false:>5}  likelihood ratio {lr}")


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=None, help=f"folder holding {ev.SOURCE}")
    ap.add_argument("--shared", type=Path, default=None, help="folder holding COLD/")
    ap.add_argument("--model", type=Path, default=None, help="models folder (default: shipped)")
    args = ap.parse_args(argv)

    data = args.data or ev.default_data()
    shared = args.shared or data.parent
    analyzer = Analyzer.load(asset_dir("models", args.model), asset_dir("lexicons", None))
    sha, labelled = ev.read_labels(ev.LABELS_FILE)
    source = ev.read_source(data, sha or None)
    rows = [r for r in labelled if r[1] in ev.LOOKED]
    verdicts = ev.classify(analyzer, [source[r[0]] for r in rows])
    print(f"model {analyzer.version}; {len(rows)} looked-at rows")

    parts = [
        (f"every {kind} stratum", [i for i, r in enumerate(rows) if r[1].startswith(kind)])
        for kind in ("random", "asks", "enriched")
    ]
    parts.append(("looked overall", list(range(len(rows)))))
    for name, picked in parts:
        gold = [rows[i][2] for i in picked]
        part = [verdicts[i] for i in picked]
        print(f"== {name} (n={len(picked)}) ==")
        print("  review queue:")
        review_curve(gold, part)
        print("  questions:")
        question_curve(gold, part)

    print("== abuse verdicts by evidence ==")
    evidence_table("real barrage, looked overall", [r[2] == "abuse" for r in rows], verdicts)
    cold_file = shared / "COLD" / "train.csv"
    if cold_file.is_file():
        held = [ex for ex in read_cold(cold_file) if stable_fraction(ex.text, "cold") < COLD_SELECT]
        cold_verdicts = ev.classify(analyzer, [ex.text for ex in held])
        evidence_table("COLD selection split", [ex.abuse for ex in held], cold_verdicts)
    else:
        print(f"  (no {cold_file}: COLD part skipped)")


if __name__ == "__main__":
    main()
