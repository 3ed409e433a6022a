"""The CPU-heavy stages as one synchronous, batchable call.

:class:`Analyzer` runs normalize → segment → classify over a batch of
comments. It does no I/O and never awaits: the runner decides how to batch
and where to run it. Stage timings are reported to an optional callback, so
the runner can feed them to Prometheus without this module knowing about it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from roomwatch.core.classify import Classifier, Prediction
from roomwatch.core.lexicon import RoomTerms
from roomwatch.core.normalize import Normalizer
from roomwatch.core.record import Comment
from roomwatch.core.segment import Segmenter
from roomwatch.core.verdict import Verdict

__all__ = ["TYPED_KINDS", "Analyzer", "StageTimer", "hash_dir"]

#: Record kinds whose text a viewer typed; only these are classified.
TYPED_KINDS: Final = frozenset({"comment", "superchat"})

#: Called as ``timer(stage, seconds)`` after each stage of a batch.
StageTimer = Callable[[str, float], None]

_EMPTY_REASONS = ("empty_text",)


@dataclass(slots=True)
class Analyzer:
    normalizer: Normalizer
    segmenter: Segmenter
    classifier: Classifier
    #: Short hash of every lexicon file, stamped on each verdict.
    lexicon_hash: str = ""
    #: Short hash of the effective config, stamped on each verdict (set by the runner).
    config_hash: str = ""

    @classmethod
    def load(
        cls,
        models_dir: Path,
        lexicons_dir: Path,
        room_terms: Mapping[str, RoomTerms] | None = None,
    ) -> Analyzer:
        return cls(
            normalizer=Normalizer.from_dir(lexicons_dir),
            segmenter=Segmenter.from_dir(lexicons_dir),
            classifier=Classifier.load(models_dir, lexicons_dir, room_terms),
            lexicon_hash=hash_dir(lexicons_dir),
        )

    @property
    def version(self) -> str:
        return self.classifier.version

    def analyze(
        self,
        comments: Sequence[Comment],
        *,
        timer: StageTimer | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> list[Verdict]:
        """Return one :class:`Verdict` per comment, in order."""
        t0 = clock()
        normalized = self.normalizer.normalize_batch([c.text for c in comments])
        t1 = clock()
        tokens = self.segmenter.cut_batch([n.text for n in normalized])
        t2 = clock()
        # Only comments and superchats carry text a viewer typed. Platform
        # events (enter, like, gift, system: "进入直播间", "送出 玫瑰×2") and
        # blank text become chatter without a trip through the model.
        todo = [
            i
            for i, (c, n) in enumerate(zip(comments, normalized, strict=True))
            if c.kind in TYPED_KINDS and n.text.strip()
        ]
        predictions: list[Prediction | None] = [None] * len(comments)
        # One model call per room with its own terms, one for all the others
        # (rows are independent; per-room calls cost a model call per comment
        # when a batch spans many rooms).
        by_room: dict[str | None, list[int]] = {}
        has_terms = self.classifier.has_room_terms
        for i in todo:
            name = comments[i].room
            by_room.setdefault(name if has_terms(name) else None, []).append(i)
        for key, idx in by_room.items():
            preds = self.classifier.predict_batch(
                [normalized[i] for i in idx], [tokens[i] for i in idx], room=key
            )
            for i, pred in zip(idx, preds, strict=True):
                predictions[i] = pred
        t3 = clock()
        if timer is not None:
            timer("normalize", t1 - t0)
            timer("segment", t2 - t1)
            timer("classify", t3 - t2)
        version = self.classifier.version
        stamps = (version, self.lexicon_hash, self.config_hash)
        empty_scores = {
            label: (1.0 if label == "chatter" else 0.0) for label in self.classifier.labels
        }
        out = []
        for c, n, tok, maybe in zip(comments, normalized, tokens, predictions, strict=True):
            if maybe is None:
                why = _EMPTY_REASONS if c.kind in TYPED_KINDS else (f"kind:{c.kind}",)
                out.append(Verdict(c, n, tok, "chatter", empty_scores, 0.0, why, *stamps))
            else:
                out.append(
                    Verdict(
                        c,
                        n,
                        tok,
                        maybe.label,
                        maybe.scores,
                        maybe.sentiment,
                        maybe.reasons,
                        *stamps,
                    )
                )
        return out


def hash_dir(directory: Path) -> str:
    """A short, stable hash of every file under ``directory`` (names and bytes).

    ``alerts/`` is left out: the alert detectors read it, not the analyser,
    so it is not part of what a verdict was made with.
    """
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        if path.name in ("NOTICE", "README.md") or "__pycache__" in path.parts:
            continue
        if path.relative_to(directory).parts[0] == "alerts":
            continue
        digest.update(path.relative_to(directory).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:12]
