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
  abuse recall, per bar. A bar only removes verdicts: it shows what a stricter
  rule over today's verdicts could do, and can never raise recall.
* **questions:** the same for question verdicts and their question
  probability: precision and recall per bar.
* **the full ranking:** every row ordered by the model's own abuse (and
  question) probability before any evidence rule: its AUC, how many top rows
  a recall of 0.3 to 0.8 takes and their precision, and the best precision
  anywhere on the ranking. This bounds every rule that only moves a bar on
  that probability, whether it adds verdicts or removes them; and the missed
  abuse rows: how many carry lexicon evidence, and their probabilities.
* **abuse evidence by kind:** the abuse verdicts split by what they rest on
  (an insult or sexual term or a curse pattern, through an evasion spelling
  or not; or the model's n-grams with a target only), true and false, on the
  random strata alone, pooled, and on COLD's selection split (the 15% of COLD
  train the trainer holds out), with each kind's likelihood ratio, (true /
  positives) over (false / negatives): how much more often the evidence appears on abuse
  than on other comments.

It prints figures only, never a comment's text (the real traffic is
unlicensed). ``--shared`` is the folder holding ``COLD/`` (default: the
parent of ``--data``); without COLD the last part is skipped.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402
import realtraffic_eval as ev  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from roomwatch.assets import asset_dir  # noqa: E402
from roomwatch.core.analyze import Analyzer  # noqa: E402
from roomwatch.core.classify import LABELS  # noqa: E402
from roomwatch.core.verdict import Verdict  # noqa: E402
from roomwatch.training.data import read_cold, stable_fraction  # noqa: E402

BARS = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99)
COLD_SELECT = 0.15  # roomwatch.training.config.TrainConfig.cold_select
KINDS = ("evasion", "term", "target only", "other")
_TERMS = ("lexicon:insult", "lexicon:sexual", "pattern:curse:")  # LABEL_EVIDENCE's abuse


def evidence_kind(reasons: Sequence[str]) -> str:
    """What an abuse verdict rests on, by its reasons: an insult or sexual term or a
    curse pattern (the abuse evidence of ``core.evidence.LABEL_EVIDENCE``), reached
    through an evasion spelling or not; else a target and n-grams; else n-grams."""
    if any(r.startswith(_TERMS) for r in reasons):
        evaded = any(r.startswith("norm:evasion") for r in reasons)
        return "evasion" if evaded else "term"
    if any(r.startswith("target:") for r in reasons):
        return "target only"
    return "other"


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
            f"    abuse prob >= {bar:<4}  review precision {ev._ratio(true, len(kept)):<20}"
            f"  abuse recall {ev._ratio(found, positives)}"
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
            f"    question prob >= {bar:<4}  precision {ev._ratio(true, len(kept)):<20}"
            f"  recall {ev._ratio(true, positives)}"
        )


RECALLS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def raw_probabilities(analyzer: Analyzer, texts: Sequence[str]) -> np.ndarray:
    """Each text's label probabilities as the model gives them, before any
    evidence rule (rows: texts; columns: LABELS)."""
    out = []
    for start in range(0, len(texts), 512):
        normalized = analyzer.normalizer.normalize_batch(list(texts[start : start + 512]))
        tokens = analyzer.segmenter.cut_batch([n.text for n in normalized])
        out.append(analyzer.classifier.scores_matrix(normalized, tokens)[0])
    return np.vstack(out)


def ranking(name: str, score: np.ndarray, positive: np.ndarray) -> None:
    """How far down the ranking by ``score`` each recall lies, and at what precision."""
    n_pos = int(positive.sum())
    if not n_pos:
        return
    order = np.argsort(-score, kind="stable")
    found = np.cumsum(positive[order])
    precision = found / np.arange(1, len(score) + 1)
    best = int(np.argmax(precision))
    print(f"    {name}: {n_pos} of {len(score)}, AUC {roc_auc_score(positive, score):.3f}")
    for recall in RECALLS:
        k = int(np.searchsorted(found, math.ceil(recall * n_pos)))
        if k < len(score):
            print(
                f"      recall {recall}: top {k + 1} rows, "
                f"precision {ev._ratio(int(found[k]), k + 1)}"
            )
    print(
        f"      best precision anywhere: {ev._ratio(int(found[best]), best + 1)}, "
        f"recall {found[best] / n_pos:.3f}"
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
        if not positives or not negatives:
            lr = "n/a"
        elif not false:
            lr = "inf"  # (evidence never seen on the others)
        else:
            lr = f"{(true / positives) / (false / negatives):.1f}"
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

    print("== the full ranking, before any evidence rule ==")
    probs = raw_probabilities(analyzer, [source[r[0]] for r in rows])
    gold_all = np.array([r[2] for r in rows])
    for name, mask in (
        ("every random stratum", np.array([r[1].startswith("random") for r in rows])),
        ("looked overall", np.ones(len(rows), dtype=bool)),
    ):
        print(f"  {name}:")
        ranking("abuse", probs[mask, LABELS.index("abuse")], gold_all[mask] == "abuse")
        ranking("question", probs[mask, LABELS.index("question")], gold_all[mask] == "question")
        missed = [
            i
            for i in np.flatnonzero(mask & (gold_all == "abuse")).tolist()
            if verdicts[i].label != "abuse"
        ]
        lexical = sum(evidence_kind(verdicts[i].reasons) in ("evasion", "term") for i in missed)
        low = sum(probs[i, LABELS.index("abuse")] < 0.5 for i in missed)
        median = float(np.median(probs[missed, LABELS.index("abuse")])) if missed else 0.0
        print(
            f"    missed abuse rows: {len(missed)}; with an insult term, evasion or curse: "
            f"{lexical}; abuse probability below 0.5: {low} (median {median:.2f})"
        )

    print("== abuse verdicts by evidence ==")
    random_rows = [i for i, r in enumerate(rows) if r[1].startswith("random")]
    evidence_table(
        "real barrage, every random stratum",
        [rows[i][2] == "abuse" for i in random_rows],
        [verdicts[i] for i in random_rows],
    )
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
