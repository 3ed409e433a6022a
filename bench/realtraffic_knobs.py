"""Trade-off curves of the classifier's decision knobs (stop 16 of issue 11).

Run from the repo root::

    .venv/bin/python bench/realtraffic_knobs.py [--data DIR] [--shared DIR]
        --grid NAME=V1,V2,... [--grid NAME=...]

Each ``NAME`` is a module constant of :mod:`roomwatch.core.classify` (the
decision knobs: ``_NGRAM_ABUSE_MIN_PROB``, ``_NGRAM_ABUSE_HEAD_MIN_PROB``,
``_ASK_MIN_PROB``, ``_PARTICLE_MIN_PROB``, ``_ANCHORLESS_MIN_PROB``,
``_UNCUED_QUESTION_MIN_PROB``, ``_GROUP_FREE_MIN``, where ``-inf`` turns the
last off); every combination of the grids is one row.
The texts are normalised and segmented once; each row only re-runs
``Classifier.predict_batch`` with the constants set, so a row costs a second.

Per row it prints, on every part looked at so far (``LOOKED``: the tune split
and final4-final12), on the pooled real-traffic tune split (dev + final +
final2 + final3, ``bench/realtraffic_eval.py --split tune``) and on dev alone:
review-queue precision, abuse recall, question precision and recall, chatter
flagged; and the costs elsewhere: COLD accuracy on the selection split (the
15% of COLD train the trainer holds out, ``stable_fraction(text, "cold") <
0.15``) and on COLD dev, live test macro-F1 and question recall
(``corpus/live/test.jsonl``), abuse recall on the evasion spellings
(``corpus/live/test_evasion.jsonl``), question recall on the live corpus' handwritten
rows, question precision / recall and chatter flagged on every row of the live
corpus (train, dev, test, handwritten, chatter: the commerce asks), and on
the licensed sample (``tests/data/real_text_sample.jsonl``) question precision
/ recall and chatter flagged.

It prints figures only, never a comment's text (the real traffic is
unlicensed).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import realtraffic_eval as ev  # noqa: E402

from roomwatch.assets import asset_dir  # noqa: E402
from roomwatch.core import classify  # noqa: E402
from roomwatch.core.analyze import Analyzer  # noqa: E402
from roomwatch.core.classify import LABELS  # noqa: E402
from roomwatch.core.normalize import Normalized  # noqa: E402
from roomwatch.training.data import read_cold, read_labelled, stable_fraction  # noqa: E402

LIVE_FILES = ("train.jsonl", "dev.jsonl", "test.jsonl", "handwritten.jsonl", "chatter.jsonl")
COLD_SELECT = 0.15  # roomwatch.training.config.TrainConfig.cold_select


class Set:
    """One evaluation set, normalised and segmented once."""

    def __init__(self, analyzer: Analyzer, texts: Sequence[str], gold: Sequence[str]) -> None:
        self.gold = list(gold)
        self.normalized: list[Normalized] = analyzer.normalizer.normalize_batch(list(texts))
        self.tokens = analyzer.segmenter.cut_batch([n.text for n in self.normalized])
        self.analyzer = analyzer

    def predict(self) -> list[str]:
        out = ["chatter"] * len(self.gold)
        todo = [i for i, n in enumerate(self.normalized) if n.text.strip()]
        clf = self.analyzer.classifier
        for start in range(0, len(todo), 512):
            idx = todo[start : start + 512]
            preds = clf.predict_batch(
                [self.normalized[i] for i in idx], [self.tokens[i] for i in idx]
            )
            for i, p in zip(idx, preds, strict=True):
                out[i] = p[0]
        return out


def macro_f1(gold: Sequence[str], pred: Sequence[str]) -> float:
    scores = []
    for label in LABELS:
        tp = sum(g == p == label for g, p in zip(gold, pred, strict=True))
        n_pred = sum(p == label for p in pred)
        n_gold = sum(g == label for g in gold)
        prec = tp / n_pred if n_pred else 0.0
        rec = tp / n_gold if n_gold else 0.0
        scores.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
    return sum(scores) / len(scores)


def abuse_gold(abuse: int | None) -> str:
    return "abuse" if abuse else "safe"


def abuse_accuracy(gold: Sequence[str], pred: Sequence[str]) -> float:
    """Binary accuracy, abuse against anything else (how COLD is scored)."""
    right = sum((p == "abuse") == (g == "abuse") for g, p in zip(gold, pred, strict=True))
    return right / len(gold)


def frac(num: int, den: int) -> str:
    return f"{num / den:.3f} ({num}/{den})" if den else "n/a"


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=None, help="folder of the real traffic")
    ap.add_argument("--shared", type=Path, default=None, help="shared data (COLD/)")
    ap.add_argument("--grid", action="append", default=[], help="NAME=V1,V2,...")
    ap.add_argument("--json", action="store_true", help="one JSON object per row")
    args = ap.parse_args(argv)

    grids: list[tuple[str, list[float]]] = []
    for spec in args.grid:
        name, _, values = spec.partition("=")
        if not hasattr(classify, name):
            raise SystemExit(f"roomwatch.core.classify has no constant {name}")
        grids.append((name, [float(v) for v in values.split(",")]))

    data = args.data or ev.default_data()
    shared = args.shared or data.parent
    analyzer = Analyzer.load(asset_dir("models", None), asset_dir("lexicons", None))
    sha, labelled = ev.read_labels(ev.LABELS_FILE)
    source = ev.read_source(data, sha or None)
    rows = [r for r in labelled if r[1] in ev.LOOKED]
    is_dev = [r[1] in ev.DEV for r in rows]
    is_tune = [r[1] in ev.TUNE for r in rows]
    tune = Set(analyzer, [source[r[0]] for r in rows], [r[2] for r in rows])
    cold_rows = read_cold(shared / "COLD" / "train.csv")
    cold_sel = [ex for ex in cold_rows if stable_fraction(ex.text, "cold") < COLD_SELECT]
    sel = Set(analyzer, [ex.text for ex in cold_sel], [abuse_gold(ex.abuse) for ex in cold_sel])
    cold_dev = read_cold(shared / "COLD" / "dev.csv")
    dev = Set(analyzer, [ex.text for ex in cold_dev], [abuse_gold(ex.abuse) for ex in cold_dev])
    live_pairs = read_labelled(ROOT / "corpus" / "live" / "test.jsonl", "text", "label")
    live = Set(analyzer, [t for t, _ in live_pairs], [g for _, g in live_pairs])
    evasion_pairs = read_labelled(ROOT / "corpus" / "live" / "test_evasion.jsonl", "text", "label")
    evasion = Set(analyzer, [t for t, _ in evasion_pairs], [g for _, g in evasion_pairs])
    hand_pairs = [
        (t, g)
        for t, g in read_labelled(ROOT / "corpus" / "live" / "handwritten.jsonl", "text", "label")
        if g == "question"
    ]
    hand = Set(analyzer, [t for t, _ in hand_pairs], [g for _, g in hand_pairs])
    corpus_pairs = [
        pair
        for name in LIVE_FILES
        for pair in read_labelled(ROOT / "corpus" / "live" / name, "text", "label")
    ]
    corpus = Set(analyzer, [t for t, _ in corpus_pairs], [g for _, g in corpus_pairs])
    sample_rows = [
        json.loads(line)
        for line in (ROOT / "tests" / "data" / "real_text_sample.jsonl")
        .read_text(encoding="utf-8")
        .splitlines()
    ]
    sample = Set(analyzer, [r["text"] for r in sample_rows], [r["label"] for r in sample_rows])

    names = [name for name, _ in grids]
    for values in itertools.product(*(v for _, v in grids)):
        for name, value in zip(names, values, strict=True):
            setattr(classify, name, value)
        pred = tune.predict()
        f_looked = ev.figures(tune.gold, pred)
        f_tune = ev.figures(
            [g for g, t in zip(tune.gold, is_tune, strict=True) if t],
            [p for p, t in zip(pred, is_tune, strict=True) if t],
        )
        f_dev = ev.figures(
            [g for g, d in zip(tune.gold, is_dev, strict=True) if d],
            [p for p, d in zip(pred, is_dev, strict=True) if d],
        )
        p_sel = sel.predict()
        p_dev = dev.predict()
        p_live = live.predict()
        p_hand = hand.predict()
        p_evasion = evasion.predict()
        evasion_abuse = [p for g, p in zip(evasion.gold, p_evasion, strict=True) if g == "abuse"]
        p_sample = sample.predict()
        f_corpus = ev.figures(corpus.gold, corpus.predict())
        acc_sel = abuse_accuracy(sel.gold, p_sel)
        acc_dev = abuse_accuracy(dev.gold, p_dev)
        f_sample = ev.figures(sample.gold, p_sample)
        live_q = [p for g, p in zip(live.gold, p_live, strict=True) if g == "question"]
        row = {
            "knobs": dict(zip(names, values, strict=True)),
            "tune": f_tune,
            "looked": f_looked,
            "dev": f_dev,
            "cold_select_acc": acc_sel,
            "cold_dev_acc": acc_dev,
            "live_macro_f1": macro_f1(live.gold, p_live),
            "live_question_recall": (sum(p == "question" for p in live_q), len(live_q)),
            "evasion_abuse_recall": (
                sum(p == "abuse" for p in evasion_abuse),
                len(evasion_abuse),
            ),
            "handwritten_question_recall": (sum(p == "question" for p in p_hand), len(p_hand)),
            "sample": f_sample,
            "live_corpus": f_corpus,
        }
        if args.json:
            print(json.dumps(row))
            continue
        knobs = " ".join(f"{n}={v:g}" for n, v in row["knobs"].items())
        print(f"== {knobs}")
        for part, f in (("looked", f_looked), ("tune", f_tune), ("dev", f_dev)):
            print(
                f"  {part:<6} review {frac(*f['review_precision'])}  abuse R"
                f" {frac(*f['abuse_recall'])}  question P {frac(*f['question_precision'])}"
                f" R {frac(*f['question_recall'])}  chatter flagged"
                f" {frac(*f['chatter_flagged'])}"
            )
        print(
            f"  COLD select {acc_sel:.4f} dev {acc_dev:.4f}  live macro-F1"
            f" {row['live_macro_f1']:.4f} question R {frac(*row['live_question_recall'])}"
            f"  handwritten question R {frac(*row['handwritten_question_recall'])}"
            f"  evasion abuse R {frac(*row['evasion_abuse_recall'])}"
        )
        print(
            f"  live corpus (all files) question P {frac(*f_corpus['question_precision'])}"
            f" R {frac(*f_corpus['question_recall'])}  chatter flagged"
            f" {frac(*f_corpus['chatter_flagged'])}"
        )
        print(
            f"  licensed sample question P {frac(*f_sample['question_precision'])}"
            f" R {frac(*f_sample['question_recall'])}  chatter flagged"
            f" {frac(*f_sample['chatter_flagged'])}"
        )


if __name__ == "__main__":
    main()
