"""The CPU-heavy stages in worker processes (``pipeline.analysis_processes`` > 0).

One Python process runs the event loop (admission, the stages, the hub) and
the analyser (normalise → segment → classify) under one GIL, so it uses one
core however many the machine has. :class:`AnalysisPool` moves the analyser
into ``workers`` child processes (``forkserver`` where the platform has it,
else ``spawn``; never ``fork`` from a process running threads and an event
loop). Each child loads the model and lexicons once, from an
:class:`AnalyzerSpec`, and analyses what it is sent with
:meth:`roomwatch.core.analyze.Analyzer.analyze`, the same call the
in-process path makes.

The parent keeps the memo of repeated texts (see :mod:`roomwatch.core.analyze`):
barrage repeats itself, so most of a batch is answered from the memo
without pickling anything, and only the distinct texts it has not seen are
sent, split into one contiguous chunk per child. The children's answers are
put back in record order, and each verdict is built around the original
record, so every verdict is what one process gives
(``tests/test_analysis_pool.py``: byte-identical ``replay --out``).

What is sent is plain values: ``(room, kind, text)`` per distinct text, and
back the normalised text, the tokens and the prediction's fields as tuples;
verdicts are built in the parent. When the classifier's per-room terms are
replaced in the parent (:meth:`~roomwatch.core.classify.Classifier.set_room_terms`),
the next batch carries them to every child.

In overload degrade mode (:mod:`roomwatch.core.shed`) the children screen and
shed too; shed verdicts are not memoised.
"""

from __future__ import annotations

import concurrent.futures
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final

from roomwatch.core.analyze import TYPED_KINDS, Analyzer
from roomwatch.core.lexicon import RoomTerms
from roomwatch.core.normalize import Normalized
from roomwatch.core.record import Comment
from roomwatch.core.shed import SHED_REASON, Screen, analyze_degraded
from roomwatch.core.verdict import Verdict

if TYPE_CHECKING:
    import multiprocessing.context

__all__ = ["AnalysisPool", "AnalyzerSpec"]

logger = logging.getLogger(__name__)

#: Fewer distinct texts than this per child go to one child (a round trip
#: costs more than it saves).
_MIN_CHUNK: Final = 16

#: (normalised text, normalisations applied, tokens, label, scores,
#: sentiment, reasons): one verdict's analysis, as sent back by a child.
_Fields = tuple[
    str, tuple[str, ...], tuple[str, ...], str, Mapping[str, float], float, tuple[str, ...]
]
#: The memo's value: the same, with the Normalized object built once.
_Entry = tuple[Normalized, tuple[str, ...], str, Mapping[str, float], float, tuple[str, ...]]
_Key = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class AnalyzerSpec:
    """What a child needs to load the parent's analyser (picklable)."""

    models_dir: Path
    lexicons_dir: Path
    room_terms: Mapping[str, RoomTerms] = field(default_factory=dict)
    config_hash: str = ""
    #: The overload screen's n-gram weight (``pipeline.overload_cue_weight``).
    cue_weight: float = 0.2
    #: Deep degrade mode analyses one in this many weakly cued comments
    #: (``pipeline.overload_sample_every``).
    sample_every: int = 10

    def load(self) -> Analyzer:
        from roomwatch.core.load import load_analyzer

        return load_analyzer(
            self.models_dir, self.lexicons_dir, self.room_terms, config_hash=self.config_hash
        )


# -- the child's side --------------------------------------------------------

_analyzer: Analyzer | None = None
_screen: Screen | None = None
_cue_weight = 0.2
_sample_every = 10


def _init(spec: AnalyzerSpec) -> None:
    global _analyzer, _cue_weight, _sample_every
    analyzer = spec.load()
    # The parent memoises; a child sees each text once (per terms), so its
    # own memo would only hold memory.
    analyzer.memo_size = 0
    _analyzer = analyzer
    _cue_weight = spec.cue_weight
    _sample_every = spec.sample_every


def _ready() -> int:
    """Answers once the initializer has loaded the model (start-up waits for it)."""
    return os.getpid()


_terms_version = 0


def _work(
    items: Sequence[_Key],
    degraded: int,
    terms: tuple[int, Mapping[str, RoomTerms]] | None,
) -> tuple[list[_Fields], tuple[str, str, str], dict[str, float], tuple[int, int]]:
    """Analyse ``(room, kind, text)`` items; their fields, the stamps, seconds
    per stage, and (this process, its room terms' version).

    ``terms``: the parent's room terms and their version, taken if newer.
    """
    global _terms_version, _screen
    analyzer = _analyzer
    assert analyzer is not None
    if terms is not None and terms[0] != _terms_version:
        analyzer.classifier.set_room_terms(terms[1])
        _terms_version = terms[0]
    comments = [Comment(room=room, text=text, ts=0.0, kind=kind) for room, kind, text in items]
    timings: dict[str, float] = {}

    def timer(stage: str, seconds: float) -> None:
        timings[stage] = timings.get(stage, 0.0) + seconds

    if degraded:
        if _screen is None:  # built on first need: most runs never shed
            _screen = Screen.of(analyzer, _cue_weight)
        verdicts, _ = analyze_degraded(
            analyzer, _screen, comments, timer, depth=max(1, degraded), every=_sample_every
        )
    else:
        verdicts = analyzer.analyze(comments, timer=timer)
    stamps = (analyzer.version, analyzer.lexicon_hash, analyzer.config_hash)
    fields = [
        (
            v.normalized.text,
            v.normalized.applied,
            v.tokens,
            v.label,
            v.scores,
            v.sentiment,
            v.reasons,
        )
        for v in verdicts
    ]
    return fields, stamps, timings, (os.getpid(), _terms_version)


# -- the parent's side -------------------------------------------------------


def _context() -> multiprocessing.context.BaseContext:
    # (multiprocessing is imported here, when a pool starts: a process that runs
    # none, as classify, does without its ~4 ms of imports)
    import multiprocessing

    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    if method == "forkserver":
        # Children fork from a server that has imported the analyser's code
        # (jieba, numpy) once, instead of importing it each.
        ctx.set_forkserver_preload(["roomwatch.analysis_pool"])
    return ctx


class AnalysisPool:
    """``workers`` child processes running the analyser; the memo in the parent.

    :meth:`analyze` blocks (the pipeline calls it from its worker thread);
    call it from one thread at a time.
    """

    def __init__(self, workers: int, spec: AnalyzerSpec, *, memo_size: int = 20_000) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        self.workers = workers
        self.spec = spec
        self.memo_size = memo_size
        self._memo: OrderedDict[_Key, _Entry] = OrderedDict()
        self._memo_terms: object = None
        #: The parent's room terms mapping as last seen, and its version (0:
        #: what the spec loaded); the version each child has confirmed.
        self._terms: object = None
        self._terms_version = 0
        self._child_terms: dict[int, int] = {}
        self._executor: concurrent.futures.ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        #: Stamps of the children's analyser (model, lexicons, config).
        self.stamps: tuple[str, str, str] | None = None

    def start(self) -> None:
        """Start the children and wait until each has loaded the model."""
        executor = self._ensure()
        list(executor.map(_ready_after, [0.05] * self.workers))

    def pids(self) -> list[int]:
        """The children's process ids (for RSS figures)."""
        executor = self._executor
        procs = getattr(executor, "_processes", None) or {}
        return sorted(procs)

    def _ensure(self) -> concurrent.futures.ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = concurrent.futures.ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=_context(),
                    initializer=_init,
                    initargs=(self.spec,),
                )
                self._child_terms.clear()
            return self._executor

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def analyze(
        self,
        comments: Sequence[Comment],
        room_terms: Mapping[str, RoomTerms],
        *,
        degraded: int = False,
        timer: Callable[[str, float], None] | None = None,
    ) -> tuple[list[Verdict], int]:
        """One verdict per comment, in order, and how many were shed.

        ``room_terms``: the parent classifier's current per-room terms (sent
        on when they were replaced).
        """
        memo = self._memo
        if room_terms is not self._memo_terms:
            memo.clear()
            self._memo_terms = room_terms
        entries: list[_Entry | None] = [None] * len(comments)
        todo: dict[_Key, list[int]] = {}
        for i, c in enumerate(comments):
            kind = c.kind
            # (The room only where it has extra terms, as Analyzer's memo_key.)
            key = (c.room if kind in TYPED_KINDS and c.room in room_terms else "", kind, c.text)
            hit = memo.get(key)
            if hit is not None:
                memo.move_to_end(key)
                entries[i] = hit
            else:
                todo.setdefault(key, []).append(i)
        shed = 0
        stamps = self.stamps
        if todo:
            keys = list(todo)
            items = [(comments[idx[0]].room, k[1], k[2]) for k, idx in todo.items()]
            fresh, stamps = self._run(items, degraded, room_terms, timer)
            size = self.memo_size
            for key, entry in zip(keys, fresh, strict=True):
                idx = todo[key]
                for i in idx:
                    entries[i] = entry
                if degraded and entry[5] == _SHED:
                    shed += len(idx)  # every comment of a repeated text is shed
                elif size > 0:
                    memo[key] = entry
            while len(memo) > size:
                memo.popitem(last=False)
        elif timer is not None:
            for stage in ("normalize", "segment", "classify"):
                timer(stage, 0.0)
        assert stamps is not None or not comments
        out: list[Verdict] = []
        for c, got in zip(comments, entries, strict=True):
            assert got is not None and stamps is not None
            n, tok, label, scores, sentiment, reasons = got
            out.append(Verdict(c, n, tok, label, scores, sentiment, reasons, *stamps))
        return out, shed

    def _run(
        self,
        items: list[_Key],
        degraded: int,
        room_terms: Mapping[str, RoomTerms],
        timer: Callable[[str, float], None] | None,
    ) -> tuple[list[_Entry], tuple[str, str, str]]:
        executor = self._ensure()
        # The children start with the spec's terms; once the parent's mapping
        # is replaced, each call carries it until every child has confirmed it.
        if self._terms is None:
            self._terms = room_terms
        elif room_terms is not self._terms:
            self._terms = room_terms
            self._terms_version += 1
        version = self._terms_version
        confirmed = self._child_terms
        terms = None
        if version and (
            len(confirmed) < self.workers or any(v != version for v in confirmed.values())
        ):
            terms = (version, room_terms)
        parts = max(1, min(self.workers, len(items) // _MIN_CHUNK))
        size = -(-len(items) // parts)
        try:
            futures = [
                executor.submit(_work, items[i : i + size], degraded, terms)
                for i in range(0, len(items), size)
            ]
            answers = [f.result() for f in futures]
        except concurrent.futures.process.BrokenProcessPool:
            logger.error("an analysis process died; starting new ones")
            with self._lock:
                broken, self._executor = self._executor, None
            if broken is not None:
                broken.shutdown(wait=False, cancel_futures=True)
            raise
        entries: list[_Entry] = []
        totals: dict[str, float] = {}
        for fields, _, timings, (pid, has) in answers:
            confirmed[pid] = has
            for stage, seconds in timings.items():
                totals[stage] = totals.get(stage, 0.0) + seconds
            for text, applied, tok, label, scores, sentiment, reasons in fields:
                entries.append((Normalized(text, applied), tok, label, scores, sentiment, reasons))
        if timer is not None:
            for stage, seconds in totals.items():
                timer(stage, seconds)
        stamps = answers[0][1]
        self.stamps = stamps
        return entries, stamps


_SHED: Final = (SHED_REASON,)


def _ready_after(seconds: float) -> int:
    time.sleep(seconds)  # hold this child, so the next call starts another
    return _ready()
