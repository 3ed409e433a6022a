"""Overload shedding: a cheap screen for comments that cannot be anything but chatter.

When the live pipeline falls behind (see :class:`OverloadGauge`), it stops
sending every comment through segmentation and the model. Each typed comment
is normalised and screened first (:meth:`Screen.cued`); a comment with no cue
at all becomes a *shed* verdict: label ``chatter``, neutral sentiment, reason
``shed:overload``, no tokens. Everything else gets the full analysis.

A cue is anything the full path could turn into a question, grievance, abuse
or spam label:

* a lexicon term of a blocking list (``insult``, ``profanity``, ``sexual``,
  ``ad``, ``grievance``, ``question``) or a room's abuse/spam term, as a
  *substring* (the full path needs it on token boundaries, so this is a
  superset), or any lexicon pattern (contacts, curses, speculative asks);
* an ask cue (``lexicons/asks.tsv``), which can make a chatter verdict a
  question;
* an n-gram of two or more characters whose model weight for question,
  grievance or spam, less its weight for chatter, or whose stacked abuse
  weight, is at least ``weight_min`` (default 0.2). The classifier only
  gives a label other than chatter with a lexicon or pattern hit, an ask
  cue, or an n-gram contributing at least 0.2 to that label, so this is a
  heuristic, not a proof: a text could reach a label through n-grams that
  each lean less towards it. Measured: no comment of
  ``samples/demo.jsonl.gz`` that the full analysis labels is shed
  (``tests/core/test_shed.py``), nor any of the 3,202 labelled among the
  first 100,000 comments of the real barrage (38.9% of which are shed);
  ``docs/reliability.md``.

Terms and n-grams are looked for in the text without whitespace, since
tokens skip it (上 当 hits the term 上当).

Pure: no clock, no I/O. The pipeline measures the backlog with its injected
clock and feeds it to the gauge.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from roomwatch.core.analyze import TYPED_KINDS, Analyzer, StageTimer
from roomwatch.core.classify import LABELS, Classifier
from roomwatch.core.lexicon import BLOCK_LISTS
from roomwatch.core.normalize import Normalized, Normalizer
from roomwatch.core.record import Comment
from roomwatch.core.verdict import Verdict

__all__ = ["SHED_REASON", "OverloadGauge", "Screen", "analyze_degraded", "shed_verdict"]

#: The reason a shed verdict carries.
SHED_REASON: Final = "shed:overload"

#: Screen results kept per (room, text); the whole memo is dropped past this.
_MEMO_SIZE: Final = 20_000
_UNSEEN: Final = object()
_SHED_SCORES = {label: (1.0 if label == "chatter" else 0.0) for label in LABELS}


class Screen:
    """Says whether a normalised comment has any cue worth the full analysis."""

    __slots__ = ("_asks", "_classifier", "_lengths", "_lexicon", "_strings", "_terms", "memo")

    def __init__(
        self, classifier: Classifier, weight_min: float = 0.1, margin: float = 0.0
    ) -> None:
        self._classifier = classifier
        self._lexicon = classifier.lexicon
        self._asks = classifier.ask_cues
        strings: set[str] = set()
        for name in BLOCK_LISTS:
            if name != "positive":
                strings.update(t for t in self._lexicon.terms(name) if t)
        strings.update(classifier.evidence_grams(weight_min))
        self._strings = frozenset(s for s in ("".join(t.split()) for t in strings) if s)
        # Cue strings by their first two characters (one-character ones by
        # their character): the lengths to try at a position, most positions none.
        lengths: dict[str, set[int]] = {}
        for cue in self._strings:
            lengths.setdefault(cue[:2], set()).add(len(cue))
        self._lengths = {head: tuple(sorted(n)) for head, n in lengths.items()}
        #: (room, raw text) -> its normalised form when cue-less, None when cued.
        self.memo: dict[tuple[str, str], Normalized | None] = {}
        self._terms: object = classifier.room_terms

    def fresh_memo(self) -> dict[tuple[str, str], Normalized | None]:
        """:attr:`memo`, emptied first if the rooms' terms were replaced since."""
        if self._classifier.room_terms is not self._terms:
            self.memo.clear()
            self._terms = self._classifier.room_terms
        return self.memo

    @property
    def size(self) -> int:
        """Cue strings held (lexicon terms and strong n-grams)."""
        return len(self._strings)

    def cued(self, text: str, room: str) -> bool:
        """Whether ``text`` (normalised) in ``room`` has a cue (see the module doc)."""
        if not text.strip():
            return False
        strings = self._strings
        # Tokens skip whitespace (a term hits 上 当 as 上/当), and cue strings
        # are kept without spaces, so look in the text without whitespace.
        squeezed = "".join(text.split())
        n = len(squeezed)
        heads = self._lengths
        for i in range(n):
            if squeezed[i] in heads:  # a one-character cue
                return True
            found = heads.get(squeezed[i : i + 2])
            if found is not None:
                for length in found:
                    if i + length > n:
                        break
                    if squeezed[i : i + length] in strings:
                        return True
        terms = self._classifier.room_terms.get(room)
        if terms is not None and any(
            t in squeezed for t in (*terms.abuse, *terms.spam, *terms.question)
        ):
            return True
        if self._lexicon.match_batch([text], [()])[0]:  # patterns only (no tokens)
            return True
        return self._asks.find(text).ask is not None


def shed_verdict(comment: Comment, normalized: Normalized, stamps: tuple[str, str, str]) -> Verdict:
    """The verdict of a comment shed under overload."""
    return Verdict(comment, normalized, (), "chatter", _SHED_SCORES, 0.0, (SHED_REASON,), *stamps)


def split(
    comments: Sequence[Comment],
    normalizer: Normalizer,
    screen: Screen,
    typed: frozenset[str],
    known: Callable[[Comment], bool] = lambda c: False,
) -> tuple[list[int], list[tuple[int, Normalized]]]:
    """Indices of comments for the full analysis, and (index, normalised) of those shed.

    Only typed comments with non-blank text and no cue are shed; platform events
    and blank text keep the full path (it never calls the model for them), and so
    do comments ``known`` to the analyser's memo (a full verdict costs nothing
    there). Screen results are remembered per (room, text) too, since shed
    chatter repeats (哈哈哈).
    """
    full: list[int] = []
    shed: list[tuple[int, Normalized]] = []
    memo = screen.fresh_memo()
    todo: list[int] = []
    for i, c in enumerate(comments):
        if c.kind not in typed or not c.text.strip() or known(c):
            full.append(i)
            continue
        got = memo.get((c.room, c.text), _UNSEEN)
        if got is None:
            full.append(i)
        elif got is _UNSEEN:
            todo.append(i)
        else:
            shed.append((i, got))  # type: ignore[arg-type]
    if todo:
        normalized = normalizer.normalize_batch([comments[i].text for i in todo])
        if len(memo) > _MEMO_SIZE:
            memo.clear()
        for i, n in zip(todo, normalized, strict=True):
            c = comments[i]
            if screen.cued(n.text, c.room):
                full.append(i)
                memo[c.room, c.text] = None
            else:
                shed.append((i, n))
                memo[c.room, c.text] = n
        full.sort()
        shed.sort(key=lambda pair: pair[0])
    return full, shed


def analyze_degraded(
    analyzer: Analyzer,
    screen: Screen,
    comments: Sequence[Comment],
    timer: StageTimer | None = None,
) -> tuple[list[Verdict], int]:
    """Full analysis for comments with a cue, a shed verdict for the rest (in
    order); and how many were shed."""
    full, shed = split(comments, analyzer.normalizer, screen, TYPED_KINDS, analyzer.known)
    out: list[Verdict | None] = [None] * len(comments)
    for i, v in zip(full, analyzer.analyze([comments[i] for i in full], timer=timer), strict=True):
        out[i] = v
    stamps = (analyzer.version, analyzer.lexicon_hash, analyzer.config_hash)
    for i, n in shed:
        out[i] = shed_verdict(comments[i], n, stamps)
    return [v for v in out if v is not None], len(shed)


@dataclass(slots=True)
class OverloadGauge:
    """Degrade mode with hysteresis, from the backlog each batch sees.

    Enter when the oldest waiting comment has waited ``enter_wait_s`` or more,
    or ``enter_queued`` or more are queued (0: that test is off). Leave once the
    wait has stayed under ``leave_wait_s`` and the queue under half of
    ``enter_queued`` for ``hold_s`` (time from the caller's clock).
    """

    enter_wait_s: float
    leave_wait_s: float
    enter_queued: int = 0
    hold_s: float = 5.0
    active: bool = False
    #: When degrade mode began (the caller's clock); None when not active.
    since: float | None = None
    _calm_since: float | None = None

    def update(self, wait_s: float, queued: int, now: float) -> Literal["enter", "leave"] | None:
        """Feed one batch's backlog; ``enter`` or ``leave`` when the mode changes."""
        over = wait_s >= self.enter_wait_s or (0 < self.enter_queued <= queued)
        if not self.active:
            if over:
                self.active = True
                self.since = now
                self._calm_since = None
                return "enter"
            return None
        calm = wait_s < self.leave_wait_s and (
            self.enter_queued <= 0 or queued < self.enter_queued / 2
        )
        if not calm:
            self._calm_since = None
            return None
        if self._calm_since is None:
            self._calm_since = now
        if now - self._calm_since >= self.hold_s:
            self.active = False
            self.since = None
            self._calm_since = None
            return "leave"
        return None
