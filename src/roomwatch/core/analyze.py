"""The CPU-heavy stages as one synchronous, batchable call.

:class:`Analyzer` runs normalize → segment → classify over a batch of
comments. It does no I/O and never awaits: the runner decides how to batch
and where to run it. Stage timings are reported to an optional callback, so
the runner can feed them to Prometheus without this module knowing about it.

Barrage repeats itself: a quarter of real video barrage is an exact repeat of
an earlier comment (哈哈哈, 666, 来了), and live rooms repeat more. What the
stages conclude about a text depends only on the text, the record kind (typed
or not) and, for the model, the room's extra terms, so the analyser keeps the
last :attr:`Analyzer.memo_size` results (normalised text, tokens, prediction)
keyed by ``(room, typed, text)`` in a bounded LRU and runs the stages only
for texts it has not seen (once per batch for a text repeated within it).
The room is part of the key only for a room with extra terms: every other
room's comments are classified alike (``room=None``), so they share entries
(:func:`memo_key`; on the real barrage kept as one room per video, 24% of
comments are hits instead of 17% with a key per room). The model and the
lexicons are the analyser's own (a new model or lexicon set is a new
analyser, with an empty memo), and the memo is emptied when the classifier's
room terms are replaced. A hit gives the very objects a miss would have
built, so verdicts are identical (``tests/core/test_analyze_memo.py``).

The sentiment of a comment that states a mood in so many words is then
set by :class:`~roomwatch.core.moods.MoodTerms` (``lexicons/sour.txt`` and
``warm.txt``: what the sentiment head misreads).
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from roomwatch.core.classify import Classifier, Prediction
from roomwatch.core.lexicon import RoomTerms
from roomwatch.core.moods import MoodTerms
from roomwatch.core.normalize import Normalized, Normalizer
from roomwatch.core.record import Comment
from roomwatch.core.segment import Segmenter
from roomwatch.core.verdict import Verdict, new_verdict

__all__ = ["TYPED_KINDS", "Analyzer", "StageTimer", "hash_dir", "memo_key"]


#: Record kinds whose text a viewer typed; only these are classified.
TYPED_KINDS: Final = frozenset({"comment", "superchat"})

#: Called as ``timer(stage, seconds)`` after each stage of a batch.
StageTimer = Callable[[str, float], None]

_EMPTY_REASONS = ("empty_text",)

#: What the stages concluded about one text: normalised, tokens, prediction
#: (``None``: not a typed comment, or blank).
_Entry = tuple[Normalized, tuple[str, ...], Prediction | None]


@dataclass(slots=True)
class Analyzer:
    normalizer: Normalizer
    segmenter: Segmenter
    classifier: Classifier
    #: Short hash of every lexicon file, stamped on each verdict.
    lexicon_hash: str = ""
    #: Short hash of the effective config, stamped on each verdict (set by the runner).
    config_hash: str = ""
    #: Results kept for repeated texts (0 turns the memo off).
    memo_size: int = 20_000
    #: Moods stated in so many words (``lexicons/sour.txt``, ``warm.txt``).
    moods: MoodTerms = field(default_factory=MoodTerms)
    _memo: OrderedDict[tuple[str, bool, str], _Entry] = field(
        default_factory=OrderedDict, init=False, repr=False
    )
    _memo_terms: object = field(default=None, init=False, repr=False)

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
            moods=MoodTerms.from_dir(lexicons_dir),
        )

    @property
    def version(self) -> str:
        return self.classifier.version

    def known(self, comment: Comment) -> bool:
        """Whether the memo holds ``comment``'s text (its verdict costs no stage)."""
        terms = self.classifier.room_terms
        return memo_key(comment, comment.kind in TYPED_KINDS, terms) in self._memo

    def analyze(
        self,
        comments: Sequence[Comment],
        *,
        timer: StageTimer | None = None,
        clock: Callable[[], float] = time.perf_counter,
        normalized: Sequence[Normalized | None] | None = None,
    ) -> list[Verdict]:
        """Return one :class:`Verdict` per comment, in order.

        ``normalized``: per comment, its text already normalised (by the
        overload screen), or None; those are not normalised again.
        """
        memo = self._memo
        if self.classifier.room_terms is not self._memo_terms:
            memo.clear()
            self._memo_terms = self.classifier.room_terms
        entries: list[_Entry | None] = [None] * len(comments)
        todo: dict[tuple[str, bool, str], list[int]] = {}
        terms = self.classifier.room_terms
        for i, c in enumerate(comments):
            typed = c.kind in TYPED_KINDS
            key = (c.room if typed and c.room in terms else "", typed, c.text)  # memo_key
            hit = memo.get(key)
            if hit is not None:
                memo.move_to_end(key)  # most recently used last
                entries[i] = hit
            else:
                todo.setdefault(key, []).append(i)
        if todo:
            firsts = [idx[0] for idx in todo.values()]
            fresh = self._run(
                [comments[i] for i in firsts],
                timer,
                clock,
                None if normalized is None else [normalized[i] for i in firsts],
            )
            size = self.memo_size
            for (key, idx), entry in zip(todo.items(), fresh, strict=True):
                for i in idx:
                    entries[i] = entry
                if size > 0:
                    memo[key] = entry
            while len(memo) > size:
                memo.popitem(last=False)
        elif timer is not None:
            for stage in ("normalize", "segment", "classify"):
                timer(stage, 0.0)
        version = self.classifier.version
        stamps = (version, self.lexicon_hash, self.config_hash)
        empty_scores = {
            label: (1.0 if label == "chatter" else 0.0) for label in self.classifier.labels
        }
        out = []
        for c, got in zip(comments, entries, strict=True):
            assert got is not None  # every index was a hit or in todo
            n, tok, maybe = got
            if maybe is None:
                why = _EMPTY_REASONS if c.kind in TYPED_KINDS else (f"kind:{c.kind}",)
                out.append(new_verdict(c, n, tok, "chatter", empty_scores, 0.0, why, *stamps))
            else:
                # (a Prediction is the tuple label, scores, sentiment, reasons)
                out.append(new_verdict(c, n, tok, *maybe, *stamps))
        return out

    def _run(
        self,
        comments: Sequence[Comment],
        timer: StageTimer | None,
        clock: Callable[[], float],
        given: Sequence[Normalized | None] | None = None,
    ) -> list[_Entry]:
        """normalize → segment → classify for comments whose text is not in the memo."""
        t0 = clock()
        if given is None:
            normalized = self.normalizer.normalize_batch([c.text for c in comments])
        else:
            missing = [i for i, n in enumerate(given) if n is None]
            fresh = iter(self.normalizer.normalize_batch([comments[i].text for i in missing]))
            normalized = [n if n is not None else next(fresh) for n in given]
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
            moods = self.moods
            for i, pred in zip(idx, preds, strict=True):
                predictions[i] = moods.apply(pred, normalized[i].text)
        t3 = clock()
        if timer is not None:
            timer("normalize", t1 - t0)
            timer("segment", t2 - t1)
            timer("classify", t3 - t2)
        return list(zip(normalized, tokens, predictions, strict=True))


def memo_key(
    comment: Comment, typed: bool, room_terms: Mapping[str, RoomTerms]
) -> tuple[str, bool, str]:
    """The memo's key for ``comment`` (``typed``: its kind is in :data:`TYPED_KINDS`).

    The room counts only where it can change the analysis: a typed comment
    in a room with extra terms. (:meth:`Analyzer.analyze` inlines this.)
    """
    room = comment.room if typed and comment.room in room_terms else ""
    return (room, typed, comment.text)


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
