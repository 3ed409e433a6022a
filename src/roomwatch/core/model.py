"""The model's files and the prepared model a classifier runs on.

``models/`` holds ``weights.npz`` (vocabularies as unicode arrays, the weight
matrix as float16, biases) and ``manifest.json``; nothing is unpickled.
:class:`ModelArtifacts` is what the files hold; :class:`PreparedModel` is
what :class:`~roomwatch.core.classify.Classifier` needs of them, ready to use
(featurizer tables, float32 weights, reason masks). :func:`load_prepared`
keeps the prepared model between processes (:mod:`roomwatch.core.prepared`).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from roomwatch.core.errors import ModelError
from roomwatch.core.features import EVIDENCE, FeatureSpec, Featurizer
from roomwatch.core.prepared import cache_file, read_arrays, write_arrays

__all__ = [
    "FORMAT",
    "LABELS",
    "N_COLS",
    "SENTIMENTS",
    "ModelArtifacts",
    "PreparedModel",
    "load_artifacts",
    "load_prepared",
    "save_artifacts",
    "softmax",
    "stack_abuse",
]

LABELS = ("question", "grievance", "abuse", "spam", "chatter")
SENTIMENTS = ("negative", "neutral", "positive")
FORMAT = 1
#: Columns of the weight matrix: main head, abuse head, sentiment head.
N_COLS = len(LABELS) + 1 + len(SENTIMENTS)
_N_COLS = N_COLS
_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ModelArtifacts:
    """What ``models/`` holds, in memory."""

    chars: tuple[str, ...]
    words: tuple[str, ...]
    weights: np.ndarray  # (n_features, _N_COLS), float32, C order
    bias: np.ndarray  # (_N_COLS,), float64
    manifest: dict[str, Any]


def save_artifacts(directory: Path, artifacts: ModelArtifacts) -> None:
    """Write ``weights.npz`` and ``manifest.json`` (manifest gets the weights' hash)."""
    directory.mkdir(parents=True, exist_ok=True)
    weights_path = directory / "weights.npz"
    np.savez_compressed(
        weights_path,
        chars=np.array(artifacts.chars, dtype=str),
        words=np.array(artifacts.words, dtype=str),
        weights=artifacts.weights.astype(np.float16),
        bias=artifacts.bias.astype(np.float64),
    )
    manifest = dict(artifacts.manifest)
    manifest["format"] = FORMAT
    manifest["weights_sha256"] = hashlib.sha256(weights_path.read_bytes()).hexdigest()
    (directory / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
        encoding="utf-8",
    )


def load_artifacts(directory: Path) -> ModelArtifacts:
    """Read ``manifest.json`` and ``weights.npz``; raise :class:`ModelError` on any problem."""
    try:
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read {directory / 'manifest.json'}: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ModelError(f"{directory / 'manifest.json'}: unsupported model format")
    if tuple(manifest.get("labels", ())) != LABELS:
        raise ModelError(f"model labels {manifest.get('labels')} do not match {LABELS}")
    try:
        with np.load(directory / "weights.npz", allow_pickle=False) as npz:
            chars = tuple(npz["chars"].tolist())
            words = tuple(npz["words"].tolist())
            weights = np.ascontiguousarray(npz["weights"], dtype=np.float32)
            bias = np.asarray(npz["bias"], dtype=np.float64)
    except (OSError, KeyError, ValueError) as exc:
        raise ModelError(f"cannot read {directory / 'weights.npz'}: {exc}") from exc
    if weights.ndim != 2 or weights.shape[1] != _N_COLS or bias.shape != (_N_COLS,):
        raise ModelError(f"weights have shape {weights.shape}, bias {bias.shape}")
    return ModelArtifacts(chars, words, weights, bias, manifest)


def _spec(manifest: Mapping[str, Any]) -> FeatureSpec:
    features = manifest.get("features", {})
    try:
        c_lo, c_hi = features.get("char_ngrams", (1, 3))
        w_lo, w_hi = features.get("word_ngrams", (1, 2))
        return FeatureSpec((int(c_lo), int(c_hi)), (int(w_lo), int(w_hi)))
    except (TypeError, ValueError) as exc:
        raise ModelError(f"bad feature spec in manifest: {features!r}") from exc


_PREPARED_FORMAT = b"roomwatch-prepared-model-2"  # 2: members aligned (npzmap)


@dataclass(frozen=True, slots=True)
class PreparedModel:
    """What a :class:`Classifier` needs of a model, ready to use: the featurizer,
    float32 weights, biases, the manifest, and which features are n-grams of
    two or more characters (``multi``: evidence) or may be shown in reasons
    (``shown``: all but single characters)."""

    featurizer: Featurizer
    weights: np.ndarray
    bias: np.ndarray
    manifest: dict[str, Any]
    multi: np.ndarray
    shown: np.ndarray

    @classmethod
    def from_artifacts(cls, artifacts: ModelArtifacts) -> PreparedModel:
        featurizer = Featurizer(artifacts.chars, artifacts.words, _spec(artifacts.manifest))
        if featurizer.n_features != artifacts.weights.shape[0]:
            raise ModelError(
                f"model has {artifacts.weights.shape[0]} weight rows for "
                f"{featurizer.n_features} features"
            )
        marks = "\x02\x03"
        sizes = np.fromiter(
            (len(g.strip(marks)) for g in artifacts.chars), np.int64, len(artifacts.chars)
        )
        word_sizes = np.fromiter(
            (len(w) - w.count(" ") for w in dict.fromkeys(artifacts.words)),
            np.int64,
            featurizer.n_words,
        )
        n_evidence = featurizer.n_features - len(sizes) - len(word_sizes)
        grams = np.concatenate([sizes, word_sizes])
        multi = np.concatenate([grams >= 2, np.zeros(n_evidence, dtype=bool)])
        shown = np.concatenate([grams >= 2, np.ones(n_evidence, dtype=bool)])
        return cls(featurizer, artifacts.weights, artifacts.bias, artifacts.manifest, multi, shown)

    def state(self) -> dict[str, np.ndarray]:
        """Plain arrays for :func:`~roomwatch.core.prepared.write_arrays`."""
        manifest = json.dumps(self.manifest, ensure_ascii=False).encode("utf-8")
        return {
            **{f"f_{k}": v for k, v in self.featurizer.state().items()},
            "weights": self.weights,
            "bias": self.bias,
            "manifest": np.frombuffer(manifest, dtype=np.uint8),
            "multi": self.multi,
            "shown": self.shown,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, np.ndarray]) -> PreparedModel:
        featurizer = Featurizer.from_state(
            {k[2:]: v for k, v in state.items() if k.startswith("f_")}
        )
        weights = np.ascontiguousarray(state["weights"], dtype=np.float32)
        bias = np.asarray(state["bias"], dtype=np.float64)
        manifest = json.loads(bytes(state["manifest"]).decode("utf-8"))
        multi = np.asarray(state["multi"], dtype=bool)
        shown = np.asarray(state["shown"], dtype=bool)
        n = featurizer.n_features
        if weights.shape != (n, _N_COLS) or bias.shape != (_N_COLS,) or len(multi) != n:
            raise ValueError("the prepared arrays do not fit together")
        if len(shown) != n or not isinstance(manifest, dict):
            raise ValueError("the prepared arrays do not fit together")
        return cls(featurizer, weights, bias, manifest, multi, shown)


def load_prepared(models_dir: Path, cache_dir: Path | None = None) -> PreparedModel:
    """The model in ``models_dir``, prepared; kept between processes in
    ``cache_dir`` (default: the temp folder) under a name made of the model
    files' bytes (:mod:`roomwatch.core.prepared`): a later start reads the
    finished arrays instead of unpacking the vocabularies and building the
    tables again."""
    try:
        parts = [
            _PREPARED_FORMAT,
            "\n".join(EVIDENCE).encode(),
            (models_dir / "manifest.json").read_bytes(),
            (models_dir / "weights.npz").read_bytes(),
        ]
    except OSError:
        return PreparedModel.from_artifacts(load_artifacts(models_dir))  # (raises ModelError)
    where = cache_file("roomwatch-model", parts, cache_dir)
    state = read_arrays(where)
    if state is not None:
        try:
            return PreparedModel.from_state(state)
        except (KeyError, ValueError, TypeError) as exc:
            _log.warning("ignoring the prepared model %s: %s", where, exc)
    model = PreparedModel.from_artifacts(load_artifacts(models_dir))
    write_arrays(where, model.state())
    return model


def stack_abuse(
    main_abuse: np.ndarray, abuse_logit: np.ndarray, stack: tuple[float, float, float]
) -> np.ndarray:
    """Combined abuse probability from the main head's and the abuse head's estimates."""
    a, b, c = stack
    p = np.clip(main_abuse, 1e-9, 1.0 - 1e-9)
    z = a * np.log(p / (1.0 - p)) + b * abuse_logit + c
    return np.asarray(1.0 / (1.0 + np.exp(-z)))


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax of the logits ``z`` (one row per comment)."""
    z = z - z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z
