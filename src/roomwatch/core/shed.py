"""Overload shedding: a cheap screen, a thinner and per-room counts of what is shed.

When the live pipeline falls behind (see :class:`OverloadGauge`), it stops
sending every comment through segmentation, the model and the stages. Each
typed comment is normalised and screened first (:meth:`Screen.level`); one
whose level is under the gauge's depth (:func:`split`; one in N of them is
analysed anyway) becomes a *shed* verdict (label ``chatter``, reason
``shed:overload``, no tokens) that never reaches the stages. After the
analysis, :class:`Thinner` picks the verdicts that still go downstream one
by one (every label but chatter, evidence, a sample); the rest reach the
stages as :class:`ShedCount` per room and second (volume, mood, lag only).
See docs/reliability.md.

A cue is anything the full path could turn into a question, grievance, abuse
or spam label:

* a lexicon term of a blocking list (``insult``, ``profanity``, ``sexual``,
  ``ad``, ``grievance``, ``question``), a sour mood (``sour.txt``: shed, it
  would read neutral as a room turns) or a room's abuse/spam term, as a
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
  (``tests/core/test_shed.py``), nor any of the 3,113 labelled among the
  first 100,000 comments of the real barrage (44.2% of which have no cue);
  ``docs/reliability.md`` has the counts per screen level: a lexicon term,
  pattern, ask cue or shape is level 3, an n-gram leaning at least 1.0 is
  level 2, one leaning at least ``weight_min`` level 1.

Terms and n-grams are looked for in the text without whitespace, since
tokens skip it (上 当 hits the term 上当).

Pure: no clock, no I/O. The pipeline measures the backlog with its injected
clock and feeds it to the gauge.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from roomwatch.core.analyze import TYPED_KINDS, Analyzer, StageTimer
from roomwatch.core.classify import LABELS, Classifier
from roomwatch.core.lexicon import BLOCK_LISTS
from roomwatch.core.normalize import Normalized, Normalizer
from roomwatch.core.record import Comment
from roomwatch.core.verdict import Verdict

__all__ = [
    "DEEPEST",
    "SHED_REASON",
    "OverloadGauge",
    "Screen",
    "ShedCount",
    "Thinner",
    "analyze_degraded",
    "has_evidence",
    "shed_verdict",
]

#: The reason a shed verdict carries.
SHED_REASON: Final = "shed:overload"

#: Screen results kept per (room, text); the whole memo is dropped past this.
_MEMO_SIZE: Final = 20_000
_SHED_SCORES = {label: (1.0 if label == "chatter" else 0.0) for label in LABELS}


class Screen:
    """Says how much evidence a normalised comment has for the full analysis.

    :meth:`level`: 3 for lexicon evidence (a blocking-list term or a room's
    abuse, spam or question term, a lexicon pattern, an ask cue, a question
    mark, a long digit run or a link shape), 2 for an n-gram leaning at least
    ``deep_weight`` towards a label other than chatter, 1 for one leaning at
    least ``weight_min``, 0 for none.
    """

    __slots__ = (
        "_asks",
        "_classifier",
        "_lengths",
        "_lexicon",
        "_strings",
        "_strong",
        "_terms",
        "_terms_set",
        "memo",
        "weak_seen",
    )

    def __init__(
        self,
        classifier: Classifier,
        weight_min: float = 0.1,
        deep_weight: float = 1.0,
        moods: Iterable[str] = (),
    ) -> None:
        self._classifier = classifier
        self._lexicon = classifier.lexicon
        self._asks = classifier.ask_cues
        # A sour mood stated in so many words (Analyzer.moods) is a cue too:
        # shed, its comment would be read neutral just as a room turns.
        terms: set[str] = set(moods)
        for name in BLOCK_LISTS:
            if name != "positive":
                terms.update(t for t in self._lexicon.terms(name) if t)
        self._terms_set = _squeezed(terms)
        self._strong = _squeezed(set(classifier.evidence_grams(max(weight_min, deep_weight))))
        weak = set(classifier.evidence_grams(weight_min))
        self._strings = self._terms_set | self._strong | _squeezed(weak)
        # Cue strings by their first two characters (one-character ones by
        # their character): the lengths to try at a position, most positions none.
        lengths: dict[str, set[int]] = {}
        for cue in self._strings:
            lengths.setdefault(cue[:2], set()).add(len(cue))
        self._lengths = {head: tuple(sorted(n)) for head, n in lengths.items()}
        #: (room, raw text) -> (its level, its normalised form).
        self.memo: dict[tuple[str, str], tuple[int, Normalized]] = {}
        self._terms: object = classifier.room_terms
        #: Comments under the depth seen in deep degrade mode (one in N is analysed).
        self.weak_seen = 0

    @classmethod
    def of(cls, analyzer: Analyzer, weight_min: float = 0.1) -> Screen:
        """The screen of ``analyzer``'s classifier and sour moods."""
        return cls(analyzer.classifier, weight_min, moods=analyzer.moods.sour)

    def fresh_memo(self) -> dict[tuple[str, str], tuple[int, Normalized]]:
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
        return self.level(text, room) > 0

    def level(self, text: str, room: str) -> int:
        """3, 2, 1 or 0: lexicon, strong n-gram, weak n-gram or no evidence
        (see the class doc)."""
        return self.levels([text], [room])[0]

    def levels(self, texts: Sequence[str], rooms: Sequence[str]) -> list[int]:
        """:meth:`level` of each text (normalised) in its room; the lexicon's
        patterns and the ask cues run once over the undecided ones."""
        out: list[int] = []
        undecided: list[int] = []
        for i, (text, room) in enumerate(zip(texts, rooms, strict=True)):
            got = self._scan(text, room)
            out.append(got)
            if got < 3 and text.strip():
                undecided.append(i)
        if undecided:
            pending = [texts[i] for i in undecided]
            hits = self._lexicon.match_batch(pending, [()] * len(pending))  # patterns only
            has_ask = self._asks.has_ask  # the rhetoric forms are no evidence here
            for i, text, hit in zip(undecided, pending, hits, strict=True):
                if hit or has_ask(text):
                    out[i] = 3
        return out

    def _scan(self, text: str, room: str) -> int:
        """3 for a shape, a lexicon term or a room term; else 2 or 1 for the
        strongest n-gram, 0 for none (the patterns and ask cues not looked at)."""
        if not text.strip():
            return 0
        if _SHAPES.search(text) is not None:
            return 3
        strings = self._strings
        lexicon = self._terms_set
        strong = self._strong
        got = 0
        # Tokens skip whitespace (a term hits 上 当 as 上/当), and cue strings
        # are kept without spaces, so look in the text without whitespace.
        squeezed = "".join(text.split())
        n = len(squeezed)
        heads = self._lengths
        for i in range(n):
            char = squeezed[i]
            if char in heads:  # a one-character cue
                if char in lexicon:
                    return 3
                got = max(got, 2 if char in strong else 1)
            found = heads.get(squeezed[i : i + 2])
            if found is not None:
                for length in found:
                    if i + length > n:
                        break
                    cue = squeezed[i : i + length]
                    if cue in strings:
                        if cue in lexicon:
                            return 3
                        got = max(got, 2 if cue in strong else 1)
        terms = self._classifier.room_terms.get(room)
        if terms is not None and any(
            t in squeezed for t in (*terms.abuse, *terms.spam, *terms.question)
        ):
            return 3
        return got


#: Shapes that are evidence in themselves: a question mark, a run of digits
#: as long as a phone or QQ number's start, a link.
_SHAPES: Final = re.compile(
    r"[?？]|\d{5,}|https?:|www\.|[a-z0-9-]+\.(?:com|cn|net|org|top|xyz|cc)\b", re.IGNORECASE
)


def _squeezed(strings: set[str]) -> frozenset[str]:
    return frozenset(s for s in ("".join(t.split()) for t in strings) if s)


def shed_verdict(comment: Comment, normalized: Normalized, stamps: tuple[str, str, str]) -> Verdict:
    """The verdict of a comment shed under overload."""
    return Verdict(comment, normalized, (), "chatter", _SHED_SCORES, 0.0, _SHED, *stamps)


def split(
    comments: Sequence[Comment],
    normalizer: Normalizer,
    screen: Screen,
    typed: frozenset[str],
    known: Callable[[Comment], bool] = lambda c: False,
    *,
    depth: int = 1,
    every: int = 10,
) -> tuple[list[int], list[tuple[int, Normalized]], dict[int, Normalized]]:
    """Indices of comments for the full analysis, (index, normalised) of those
    shed, and the normalised form of the full ones the screen saw.

    Only typed comments with non-blank text are shed: those with no cue, and
    those whose screen level is under ``depth`` (1: none; 2: weak n-grams
    only; 3: n-grams only), but one in ``every`` of those.
    Platform events and blank text keep the full path (it never calls the
    model for them), and so do comments ``known`` to the analyser's memo (a
    full verdict costs nothing there). Screen results are remembered per
    (room, text) too, since shed chatter repeats (哈哈哈).
    """
    full: list[int] = []
    shed: list[tuple[int, Normalized]] = []
    seen: dict[int, Normalized] = {}
    memo = screen.fresh_memo()
    todo: list[int] = []
    every = max(1, every)

    weak = screen.weak_seen
    for i, c in enumerate(comments):
        if c.kind not in typed or not c.text.strip() or known(c):
            full.append(i)
            continue
        got = memo.get((c.room, c.text))
        if got is None:
            todo.append(i)
            continue
        level, n = got
        # At the depth or over: analysed; under it with a cue: one in ``every``.
        if level >= depth or (level and (weak := weak + 1) % every == 0):
            full.append(i)
            seen[i] = n
        else:
            shed.append((i, n))
    if todo:
        normalized = normalizer.normalize_batch([comments[i].text for i in todo])
        if len(memo) > _MEMO_SIZE:
            memo.clear()
        levels = screen.levels([n.text for n in normalized], [comments[i].room for i in todo])
        for i, n, level in zip(todo, normalized, levels, strict=True):
            c = comments[i]
            memo[c.room, c.text] = (level, n)
            # At the depth or over: analysed; under it with a cue: one in ``every``.
            if level >= depth or (level and (weak := weak + 1) % every == 0):
                full.append(i)
                seen[i] = n
            else:
                shed.append((i, n))
    screen.weak_seen = weak
    full.sort()
    shed.sort(key=lambda pair: pair[0])
    return full, shed, seen


def analyze_degraded(
    analyzer: Analyzer,
    screen: Screen,
    comments: Sequence[Comment],
    timer: StageTimer | None = None,
    *,
    depth: int = 1,
    every: int = 10,
) -> tuple[list[Verdict], int]:
    """Full analysis for comments with a cue at ``depth`` or over (and one in
    ``every`` of those with a lesser one), a shed verdict for the rest (in
    order); and how many were shed."""
    full, shed, seen = split(
        comments, analyzer.normalizer, screen, TYPED_KINDS, analyzer.known, depth=depth, every=every
    )
    out: list[Verdict | None] = [None] * len(comments)
    verdicts = analyzer.analyze(
        [comments[i] for i in full], timer=timer, normalized=[seen.get(i) for i in full]
    )
    for i, v in zip(full, verdicts, strict=True):
        out[i] = v
    stamps = (analyzer.version, analyzer.lexicon_hash, analyzer.config_hash)
    for i, n in shed:
        out[i] = shed_verdict(comments[i], n, stamps)
    return [v for v in out if v is not None], len(shed)


@dataclass(slots=True)
class OverloadGauge:
    """Degrade mode with hysteresis, from the backlog each batch sees.

    Enter (:attr:`level` 1) when the oldest waiting comment has waited
    ``enter_wait_s`` or more, or ``enter_queued`` or more are queued (0: that
    test is off). Go a level deeper (up to :data:`DEEPEST`) each time that is
    still so after ``deep_after_s`` more; go a level back up each time the
    backlog has been calm for ``hold_s`` (calm: the wait under
    ``leave_wait_s`` and the queue under half of ``enter_queued``), leaving at
    level 0. Times from the caller's clock.
    """

    enter_wait_s: float
    leave_wait_s: float
    enter_queued: int = 0
    hold_s: float = 5.0
    #: Seconds still over the threshold before going a level deeper (0: never).
    deep_after_s: float = 0.0
    #: 0: not degraded; 1: degraded; 2 and 3: deep (see :func:`split`).
    level: int = 0
    #: When degrade mode began (the caller's clock); None when not active.
    since: float | None = None
    _calm_since: float | None = None
    _over_since: float | None = None

    @property
    def active(self) -> bool:
        return self.level > 0

    @property
    def deep(self) -> bool:
        return self.level >= 2

    def update(
        self, wait_s: float, queued: int, now: float
    ) -> Literal["enter", "deep", "ease", "leave"] | None:
        """Feed one batch's backlog; what changed, if anything."""
        over = wait_s >= self.enter_wait_s or (0 < self.enter_queued <= queued)
        if not self.level:
            if over:
                self.level = 1
                self.since = self._over_since = now
                self._calm_since = None
                return "enter"
            return None
        if over:
            self._calm_since = None
            if self._over_since is None:
                self._over_since = now
            elif (
                self.level < DEEPEST
                and self.deep_after_s > 0
                and now - self._over_since >= self.deep_after_s
            ):
                self.level += 1
                self._over_since = now
                return "deep"
            return None
        self._over_since = None
        calm = wait_s < self.leave_wait_s and (
            self.enter_queued <= 0 or queued < self.enter_queued / 2
        )
        if not calm:
            self._calm_since = None
            return None
        if self._calm_since is None:
            self._calm_since = now
        if now - self._calm_since >= self.hold_s:
            self._calm_since = now
            self.level -= 1
            if self.level:
                return "ease"
            self.since = None
            self._calm_since = None
            return "leave"
        return None


#: The deepest degrade level: only lexicon evidence is sure of the model.
DEEPEST: Final = 3


@dataclass(slots=True)
class ShedCount:
    """Comments of one room and one second of record time that went downstream
    as a count only (degrade mode): no verdict reached the stages for them."""

    room: str
    second: int
    n: int = 0
    #: Their sentiments summed (0 for those the screen passed over unanalysed).
    sentiment: float = 0.0
    #: The sentiments under 0, one by one (the alert detectors count
    #: negatives by their room's own threshold).
    negatives: list[float] = field(default_factory=list)
    #: Their newest ``ts``.
    newest: float = -math.inf
    #: Their largest end-to-end lag (None offline or when none had one).
    lag_max: float | None = None


class Thinner:
    """Which verdicts go downstream one by one in degrade mode; the rest are counted.

    Every verdict other than chatter goes on (question, abuse, grievance,
    spam), and so do platform events, chatter with evidence for another
    label (:func:`has_evidence`: a lexicon or pattern hit, a weak label, a
    rhetorical question) and, unless deep, chatter whose sentiment is at most
    ``keep_below`` (moderators see it). A shed verdict (the screen found no
    cue: never analysed) is only counted. Of the remaining chatter, one in
    ``every`` goes on (a sample, so the live stream still shows the room's
    chatter and its mood), the rest is counted (:class:`ShedCount`).
    """

    __slots__ = ("_seen", "every", "keep_below")

    def __init__(self, every: int, keep_below: float) -> None:
        self.every = max(1, every)
        self.keep_below = keep_below
        self._seen = 0

    def keeps(self, v: Verdict, deep: bool = False) -> bool:
        """Whether ``v`` goes downstream as a verdict (when ``deep``, negative
        chatter is only counted too)."""
        reasons = v.reasons
        if reasons is _SHED:  # the screen's (shed_verdict): the commonest when deep
            return False
        if v.label != "chatter" or v.comment.kind not in TYPED_KINDS:
            return True
        if reasons == _SHED:
            return False
        if has_evidence(v):
            return True
        if v.sentiment <= self.keep_below and not deep:
            return True
        self._seen += 1
        return self._seen % self.every == 0

    @staticmethod
    def count(counts: dict[tuple[str, int], ShedCount], v: Verdict, lag: float | None) -> None:
        """Add ``v`` (going downstream as a count only) to ``counts``."""
        c = v.comment
        second = math.floor(c.ts)
        key = (c.room, second)
        got = counts.get(key)
        if got is None:
            got = counts[key] = ShedCount(c.room, second)
        got.n += 1
        sentiment = v.sentiment
        got.sentiment += sentiment
        if sentiment < 0.0:
            got.negatives.append(sentiment)
        if c.ts > got.newest:
            got.newest = c.ts
        if lag is not None and (got.lag_max is None or lag > got.lag_max):
            got.lag_max = lag


_SHED: Final = (SHED_REASON,)
#: Reasons that are no evidence for a label other than chatter.
_PLAIN: Final = ("feature:", "norm:", "lexicon:positive:")


def has_evidence(v: Verdict) -> bool:
    """Whether a verdict's reasons hold evidence for a label other than
    chatter (a lexicon term of a blocking list, a pattern, a weak label such
    as ``weak:question``, a rhetorical question), not only model features."""
    return any(not r.startswith(_PLAIN) for r in v.reasons)
