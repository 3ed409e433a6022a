"""Lexicons: curated term lists and contact/ad patterns, matched as evidence.

Term lists live in ``lexicons/terms/<list>.txt`` (one normalised term a line) and
are matched on jieba token boundaries: a term hits only when it equals a run of
consecutive tokens, so 大麻烦 (大/麻烦) does not hit 大麻 and 口交通 (口/交通) does
not hit 口交. ``allow`` terms cancel blocked hits they cover (a longer or equal
allow-listed term beats a blocked one inside it).

Patterns (``lexicons/patterns.tsv``) are regular expressions for phone and QQ
numbers, WeChat ids, URLs and 淘口令, run on the normalised text.

Per-room terms (:class:`RoomTerms`) add block terms that count as ``insult``
(``abuse``) or ``ad`` (``spam``) evidence for that room, and allow terms that
cancel global hits. Hits are features for the model and reasons for
moderators; they never decide a label on their own.

:meth:`Lexicon.match_batch` gives each comment of a batch the hits
:meth:`Lexicon.match` gives it, with less work per comment. A batch of
:data:`_BATCH_MIN` or more without room terms finds the term runs of all its
comments at once and the patterns each text may match from one pass over
its code points (:mod:`roomwatch.core.termruns`); otherwise runs start only
at tokens that begin a term, and the patterns to try are looked up once per
set of trigger characters. Equal hits share one :class:`Hit` object.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from roomwatch.core.codetable import TokenCodes, TokenHasher
from roomwatch.core.errors import ModelError
from roomwatch.core.termruns import TermRuns, TriggerMasks

__all__ = [
    "BLOCK_LISTS",
    "LISTS",
    "PATTERNS",
    "Hit",
    "Lexicon",
    "RoomTerms",
    "fold_term",
]

# Lists whose hits are evidence for a label; ``allow`` only cancels hits.
BLOCK_LISTS = ("insult", "profanity", "sexual", "ad", "grievance", "question", "positive")
LISTS = (*BLOCK_LISTS, "allow")
# Contact/ad patterns, then cue patterns (wishes of harm, speculative questions).
PATTERNS = (
    "phone",
    "qq",
    "wechat",
    "url",
    "taokouling",
    "digits",
    "cnnum",
    "curse",
    "ask_spec",
    "search_id",
    "domain_ad",
)
# Room block terms count as evidence of these lists.
_ROOM_LISTS = {"abuse": "insult", "spam": "ad", "question": "question"}


def fold_term(term: str) -> str:
    """A lexicon term in the form normalised text uses (NFKC, lower-case)."""
    return unicodedata.normalize("NFKC", term).strip().lower()


@dataclass(frozen=True, slots=True)
class RoomTerms:
    """Extra terms for one room.

    ``abuse``, ``spam`` and ``question`` terms hit as ``insult``, ``ad`` and
    ``question`` evidence (reason ``lexicon:room-abuse:<term>``, ...); ``allow``
    terms cancel global hits they cover.
    Terms are folded like lexicon terms (NFKC, lower-case); write the normalised
    spelling (傻逼, not 煞笔).
    """

    abuse: frozenset[str] = field(default_factory=frozenset)
    spam: frozenset[str] = field(default_factory=frozenset)
    allow: frozenset[str] = field(default_factory=frozenset)
    question: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(
        cls,
        abuse: Iterable[str] = (),
        spam: Iterable[str] = (),
        allow: Iterable[str] = (),
        question: Iterable[str] = (),
    ) -> RoomTerms:
        """Build from any iterables of raw terms (folded and de-duplicated)."""
        return cls(
            frozenset(fold_term(t) for t in abuse if t.strip()),
            frozenset(fold_term(t) for t in spam if t.strip()),
            frozenset(fold_term(t) for t in allow if t.strip()),
            frozenset(fold_term(t) for t in question if t.strip()),
        )


@dataclass(frozen=True, slots=True)
class Hit:
    """One lexicon or pattern hit.

    ``source`` is a list name (``insult``, ...), ``room-abuse``/``room-spam``/``room-question`` for
    room terms, or ``pattern:<name>``. ``evidence`` is the feature it feeds
    (``lex:<list>`` or ``pat:<name>``). ``term`` is the matched text.
    """

    source: str
    evidence: str
    term: str

    def reason(self) -> str:
        if self.source.startswith("pattern:"):
            return f"{self.source}:{self.term}"
        return f"lexicon:{self.source}:{self.term}"


def _collect(
    names: Sequence[str],
    start: int,
    end: int,
    term: str,
    found: list[_Run],
    allows: list[_Allow],
) -> None:
    """File the token run ``start:end`` spelling ``term`` under each of its lists."""
    for name in names:
        if name == "allow":
            allows.append((start, end, len(term)))
        else:
            found.append((start, end, term, name))


class Lexicon:
    """Term lists and patterns; see the module docstring."""

    __slots__ = (
        "_applicable",
        "_batch",
        "_hits",
        "_max_len",
        "_patterns",
        "_prefixes",
        "_starters",
        "_terms",
        "_triggers",
        "_unconditional",
    )
    _batch: _BatchState  # set on first use (_batch_state)

    def __init__(self, lists: Mapping[str, Iterable[str]], patterns: Mapping[str, str]) -> None:
        """``patterns`` maps a name to ``regex`` or ``regex<TAB>required characters``."""
        self._terms: dict[str, tuple[str, ...]] = {}
        for name, terms in lists.items():
            if name not in LISTS:
                raise ModelError(f"unknown lexicon list {name!r}")
            for term in terms:
                folded = fold_term(term)
                if folded:
                    self._terms[folded] = (*self._terms.get(folded, ()), name)
        self._prefixes = frozenset(t[:i] for t in self._terms for i in range(1, len(t)))
        self._max_len = max((len(t) for t in self._terms), default=0)
        self._starters = self._prefixes | self._terms.keys()
        self._hits: dict[tuple[str, str], Hit] = {}  # (source, term) -> its Hit
        self._applicable: dict[frozenset[str], tuple[_Pattern, ...]] = {}
        unknown = set(patterns) - set(PATTERNS)
        if unknown:
            raise ModelError(f"unknown pattern names {sorted(unknown)}")
        compiled: list[tuple[str, re.Pattern[str], frozenset[str]]] = []
        for name, spec in patterns.items():
            rx, _, requires = spec.partition("\t")
            try:
                compiled.append((name, re.compile(rx.strip()), frozenset(requires.strip())))
            except re.error as exc:
                raise ModelError(f"bad pattern {name!r} in patterns.tsv: {exc}") from exc
        self._patterns = tuple(compiled)
        self._triggers = frozenset().union(*(req for _, _, req in compiled))
        self._unconditional = any(not req for _, _, req in compiled)

    @classmethod
    def from_dir(cls, lexicons: Path) -> Lexicon:
        """Load ``terms/<list>.txt`` for every list and ``patterns.tsv``."""
        lists: dict[str, list[str]] = {}
        for name in LISTS:
            path = lexicons / "terms" / f"{name}.txt"
            try:
                lines = path.read_text(encoding="utf-8").splitlines()
            except OSError as exc:
                raise ModelError(f"cannot read lexicon list {path}: {exc}") from exc
            lists[name] = [ln for ln in lines if ln.strip() and not ln.startswith("#")]
        patterns: dict[str, str] = {}
        path = lexicons / "patterns.tsv"
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ModelError(f"cannot read {path}: {exc}") from exc
        for number, line in enumerate(lines, 1):
            if not line.strip() or line.startswith("#"):
                continue
            name, sep, rx = line.partition("\t")
            if not sep or not rx.strip():
                raise ModelError(f"{path}:{number}: expected name<TAB>regex[<TAB>requires]")
            patterns[name.strip()] = rx.strip()
        return cls(lists, patterns)

    def terms(self, name: str) -> frozenset[str]:
        """The terms of list ``name``."""
        return frozenset(t for t, names in self._terms.items() if name in names)

    def match(
        self, text: str, tokens: Sequence[str], room: RoomTerms | None = None
    ) -> tuple[Hit, ...]:
        """All hits in one normalised comment (``tokens`` from the segmenter)."""
        return self.match_batch([text], [tokens], room)[0]

    def match_batch(
        self,
        texts: Sequence[str],
        tokens: Sequence[Sequence[str]],
        room: RoomTerms | None = None,
        *,
        coded: TokenCodes | None = None,
    ) -> list[tuple[Hit, ...]]:
        """:meth:`match` for each comment of a batch (one room's terms for all).

        ``coded``: ``tokens`` already coded (the featurizer's coding of the
        batch, :meth:`TokenHasher.coded`), which the batch path then shares.
        """
        if len(texts) != len(tokens):
            raise ValueError("texts and tokens differ in length")
        room_terms = _room_terms(room)
        if room_terms or len(texts) < _BATCH_MIN or self._unconditional:
            return self._match_each(texts, tokens, room_terms)
        runs, triggers = self._batch_state(coded)
        if not runs.usable:
            return self._match_each(texts, tokens, room_terms)
        if coded is None or coded.hasher is not runs.hasher:
            coded = runs.hasher.coded(tokens)
        # Term runs of the whole batch (termruns.TermRuns), filed row by row.
        first, count, term = runs.find(coded)
        hits_of: dict[int, list[Hit]] = {}
        if len(first):
            spelled = runs.terms
            lists = self._terms
            by_term = self._batch[2]
            rows = coded.row_of[first].tolist()
            # A row with an allow-listed run goes the general way (allows
            # cancel the runs they cover); in the others every run hits, under
            # each of its lists in turn.
            general: set[int] = set()
            for r, t in zip(rows, term.tolist(), strict=True):
                acc = spelled[t]
                known = by_term.get(acc)
                if known is None:
                    names = lists[acc]
                    known = by_term[acc] = (
                        tuple(self._term_hits([(0, 1, acc, n) for n in names if n != "allow"], [])),
                        "allow" in names,
                    )
                if known[1]:
                    general.add(r)
                hits = hits_of.get(r)
                if hits is None:
                    hits_of[r] = list(known[0])
                else:
                    hits += known[0]
            if general:
                runs_of: dict[int, tuple[list[_Run], list[_Allow]]] = {r: ([], []) for r in general}
                for r, start, size, t in zip(
                    rows, first.tolist(), count.tolist(), term.tolist(), strict=True
                ):
                    if r in general:
                        acc = spelled[t]
                        _collect(lists[acc], start, start + size, acc, *runs_of[r])
                for r, (found, allows) in runs_of.items():
                    hits_of[r] = self._term_hits(found, allows)
        # Pattern hits of the texts with a trigger character: the patterns to
        # try are those whose bits the text's characters set (TriggerMasks).
        by_mask = self._batch[3]
        patterns = self._patterns
        for r, mask in zip(*triggers.masks(texts), strict=True):
            applicable = by_mask.get(mask)
            if applicable is None:
                applicable = by_mask[mask] = tuple(
                    (f"pattern:{name}", f"pat:{name}", rx)
                    for i, (name, rx, _) in enumerate(patterns)
                    if mask >> i & 1
                )
            text = texts[r]
            for source, evidence, rx in applicable:
                for m in rx.finditer(text):
                    hits = hits_of.get(r)
                    if hits is None:
                        hits = hits_of[r] = []
                    hits.append(Hit(source, evidence, m.group(0)))
        out: list[tuple[Hit, ...]] = [()] * len(texts)
        for r, hits in hits_of.items():
            if hits:
                out[r] = tuple(hits)
        return out

    def _batch_state(self, coded: TokenCodes | None) -> tuple[TermRuns, TriggerMasks]:
        """The batch path's tables: term runs for ``coded``'s hasher (the last
        two hashers' kept) and the patterns' trigger bits."""
        try:
            state = self._batch
        except AttributeError:
            masks = TriggerMasks([requires for _, _, requires in self._patterns])
            state = self._batch = ([], masks, {}, {})
        kept, triggers, _, _ = state
        for runs in kept:
            if coded is None or runs.hasher is coded.hasher:
                return runs, triggers
        runs = TermRuns(self._terms, self._prefixes, coded.hasher if coded else TokenHasher())
        kept.insert(0, runs)
        del kept[2:]
        return runs, triggers

    def _match_each(
        self, texts: Sequence[str], tokens: Sequence[Sequence[str]], room_terms: dict[str, str]
    ) -> list[tuple[Hit, ...]]:
        """:meth:`match_batch` one comment at a time (the general path: room
        terms, small batches; the batch path's reference)."""
        limit = max((len(t) for t in room_terms), default=0)
        starters = self._starters
        triggers = self._triggers
        unconditional = self._unconditional
        out: list[tuple[Hit, ...]] = []
        for text, toks in zip(texts, tokens, strict=True):
            if room_terms:
                hits = self._term_hits(*self._room_runs(toks, room_terms, limit))
            elif starters.isdisjoint(toks):
                # A run of tokens can only spell a term if its first token is a
                # term or a term's prefix; most comments have none and skip this.
                hits = []
            else:
                hits = self._term_hits(*self._runs(toks))
            present = triggers.intersection(text)
            if present or unconditional:
                self._pattern_hits(text, present, hits)
            out.append(tuple(hits))
        return out

    def _runs(self, tokens: Sequence[str]) -> tuple[list[_Run], list[_Allow]]:
        """Token runs that spell a global term: (blocked runs, allow-listed runs)."""
        terms = self._terms
        prefixes = self._prefixes
        starters = self._starters
        found: list[_Run] = []
        allows: list[_Allow] = []
        n = len(tokens)
        for start, acc in enumerate(tokens):
            if acc not in starters:
                continue  # neither a term nor the start of one
            end = start
            while True:
                names = terms.get(acc)
                if names is not None:
                    _collect(names, start, end + 1, acc, found, allows)
                end += 1
                if end >= n or acc not in prefixes:
                    break
                acc += tokens[end]
        return found, allows

    def _room_runs(
        self, tokens: Sequence[str], room_terms: dict[str, str], longest: int
    ) -> tuple[list[_Run], list[_Allow]]:
        """:meth:`_runs` with a room's extra terms (``term -> source``; ``longest``: their
        longest length)."""
        terms = self._terms
        found: list[_Run] = []
        allows: list[_Allow] = []
        n = len(tokens)
        limit = max(self._max_len, longest)
        for start in range(n):
            acc = ""
            for end in range(start, n):
                acc += tokens[end]
                names = terms.get(acc)
                if names is not None:
                    _collect(names, start, end + 1, acc, found, allows)
                source = room_terms.get(acc)
                if source == "allow":
                    allows.append((start, end + 1, len(acc)))
                elif source is not None:
                    found.append((start, end + 1, acc, source))
                if len(acc) >= limit:
                    break
        return found, allows

    def _term_hits(self, found: list[_Run], allows: list[_Allow]) -> list[Hit]:
        """Hits of the blocked runs that no allow-listed run covers."""
        hits: list[Hit] = []
        cache = self._hits
        for start, end, term, source in found:
            if allows and any(
                a <= start and end <= b and size >= len(term) for a, b, size in allows
            ):
                continue
            # Hits are frozen values, so one object per (source, term) serves all.
            hit = cache.get((source, term))
            if hit is None:
                if len(cache) >= _CACHE_LIMIT:
                    cache.clear()
                listed = _ROOM_LISTS[source[5:]] if source.startswith("room-") else source
                hit = cache[source, term] = Hit(source, f"lex:{listed}", term)
            hits.append(hit)
        return hits

    def _pattern_hits(self, text: str, present: frozenset[str], hits: list[Hit]) -> None:
        """Append the pattern hits of ``text`` (``present``: its trigger characters)."""
        applicable = self._applicable.get(present)
        if applicable is None:
            if len(self._applicable) >= _CACHE_LIMIT:
                self._applicable.clear()
            applicable = self._applicable[present] = tuple(
                (f"pattern:{name}", f"pat:{name}", rx)
                for name, rx, requires in self._patterns
                if not requires or not requires.isdisjoint(present)
            )
        for source, evidence, rx in applicable:
            for m in rx.finditer(text):
                hits.append(Hit(source, evidence, m.group(0)))


# A run of tokens spelling a term: start, end (token indices), term, source;
# an allow-listed run: start, end, length in characters; a pattern to run:
# hit source, evidence, regex.
_Run = tuple[int, int, str, str]
_Allow = tuple[int, int, int]
_Pattern = tuple[str, str, "re.Pattern[str]"]
# The batch path's tables (set on first use): term runs per hasher, the
# patterns' trigger bits, per term its hits (one per list) and whether it is
# allow-listed, and the patterns to try per trigger mask.
_BatchState = tuple[
    list[TermRuns],
    TriggerMasks,
    dict[str, tuple[tuple[Hit, ...], bool]],
    dict[int, tuple[_Pattern, ...]],
]
_CACHE_LIMIT = 4096  # entries of the per-lexicon hit and pattern caches
# Batches smaller than this are matched one comment at a time (the batch
# path's numpy calls cost more than a few comments' set lookups).
_BATCH_MIN = 32


def _room_terms(room: RoomTerms | None) -> dict[str, str]:
    """A room's extra terms as ``term -> source`` (``allow`` for allow terms)."""
    room_terms: dict[str, str] = {}
    if room is not None:
        for term in room.abuse:
            room_terms[term] = "room-abuse"
        for term in room.spam:
            room_terms[term] = "room-spam"
        for term in room.question:
            room_terms.setdefault(term, "room-question")
        for term in room.allow:
            room_terms[term] = "allow"
    return room_terms
