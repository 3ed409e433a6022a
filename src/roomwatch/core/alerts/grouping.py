"""Near-duplicate text grouping: the one raid grouper of roomwatch (pure).

A raid is many accounts posting near-identical abuse or spam. Two texts are
near-identical when the Jaccard similarity of their character-bigram sets
(:func:`shingles` of the :func:`compact` text) reaches a threshold; a message
joins the best matching group (:func:`best_match`) or starts a new one.

Two users share these pieces, with their own thresholds and lifetimes:

* the live ``abuse_raid`` detector (:mod:`roomwatch.core.alerts.abuse_raid`)
  keeps each group's members in a sliding window of record time and matches
  the newest group first;
* the offline report (:mod:`roomwatch.report.build`) uses
  :class:`BurstGrouper`: a group closes after ``gap_seconds`` without a new
  message, a text equal to a group's key joins that group before any other,
  and the oldest matching group wins ties. :func:`group_raids` runs it over a
  whole sequence of messages.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Final, NamedTuple, Protocol, TypeVar

__all__ = [
    "BurstGrouper",
    "Message",
    "TextGroup",
    "best_match",
    "compact",
    "group_raids",
    "jaccard",
    "raid_key",
    "shingles",
    "strip_non_word",
]

_NON_WORD_RE: Final = re.compile(r"[\W_]+", re.UNICODE)
# The normaliser's emoji placeholders: noise when comparing raid texts.
_PLACEHOLDER_RE: Final = re.compile(r"emo(?:pos|neg|lol|ask|neu)")
#: Accounts remembered per :class:`TextGroup` (the count stops there).
MAX_GROUP_ACCOUNTS: Final = 256


def strip_non_word(text: str) -> str:
    """``text`` without punctuation, spaces, symbols and ``_``."""
    return _NON_WORD_RE.sub("", text)


def compact(text: str) -> str:
    """NFKC, lower-case, without punctuation, spaces and symbols."""
    return strip_non_word(unicodedata.normalize("NFKC", text).lower())


def shingles(compact_text: str) -> frozenset[str]:
    """Character bigrams of ``compact_text``; a text of one or two characters is its own."""
    if len(compact_text) <= 2:
        return frozenset({compact_text}) if compact_text else frozenset()
    return frozenset(compact_text[i : i + 2] for i in range(len(compact_text) - 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """``|a & b| / |a | b|``; 0 when either set is empty."""
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def raid_key(normalized: str, raw: str, limit: int = 80) -> str:
    """What the report compares: the compact normalised text without emoji
    placeholders (or, when nothing is left, the compact raw text), clipped."""
    return _PLACEHOLDER_RE.sub("", compact(normalized))[:limit] or compact(raw)[:limit]


class _Shingled(Protocol):
    @property
    def shingles(self) -> frozenset[str]: ...


G = TypeVar("G", bound=_Shingled)


def best_match(groups: Iterable[G], grams: frozenset[str], similarity: float) -> G | None:
    """The group most similar to ``grams``, at least ``similarity``; ties go to
    the first in ``groups`` order (pass ``reversed(...)`` to prefer the newest)."""
    best: G | None = None
    best_sim = -1.0
    size = len(grams)
    for group in groups:
        # jaccard(), inlined: this loop runs for every group of the room on
        # every abusive comment.
        other = group.shingles
        inter = len(grams & other)
        if inter:
            sim = inter / (size + len(other) - inter)
        elif similarity > 0:
            continue
        else:
            sim = 0.0
        if sim >= similarity and sim > best_sim:
            best, best_sim = group, sim
    return best


# --------------------------------------------------------------------------- bursts


class Message(NamedTuple):
    """One abuse or spam message offered to :class:`BurstGrouper` (a tuple:
    one is made per abusive comment, and a frozen dataclass costs more)."""

    room: str
    ts: float
    #: The compared text (:func:`raid_key`); empty keys are ignored.
    key: str
    #: Who sent it (the report passes a hash), ``None`` when unknown.
    account: str | None
    #: ``"abuse"`` or ``"spam"``.
    label: str
    #: The text quoted as a sample.
    sample: str


@dataclass(slots=True)
class TextGroup:
    """Near-identical messages of one room; ``shingles`` are its first key's."""

    key: str
    shingles: frozenset[str]
    start: float
    end: float
    messages: int = 0
    #: Accounts in first-seen order (at most :data:`MAX_GROUP_ACCOUNTS`).
    accounts: dict[str, None] = field(default_factory=dict)
    abuse: int = 0
    spam: int = 0
    samples: list[str] = field(default_factory=list)


class BurstGrouper:
    """Groups messages per room into bursts of near-identical text.

    :meth:`add` returns the groups that closed: those quiet for more than
    ``gap_seconds`` when the room's next message came, and the least recent
    one when a new group did not fit in ``max_groups``.
    """

    def __init__(
        self, *, similarity: float, gap_seconds: float, max_groups: int, max_samples: int
    ) -> None:
        self.similarity = similarity
        self.gap_seconds = gap_seconds
        self.max_groups = max_groups
        self.max_samples = max_samples
        #: Open groups per room, rooms in first-message order.
        self.groups: dict[str, list[TextGroup]] = {}

    def add(self, msg: Message) -> list[TextGroup]:
        if not msg.key:
            return []
        closed: list[TextGroup] = []
        groups = self.groups.setdefault(msg.room, [])
        if groups:
            alive: list[TextGroup] = []
            for g in groups:
                if msg.ts - g.end > self.gap_seconds:
                    closed.append(g)
                else:
                    alive.append(g)
            groups[:] = alive
        # A text seen before joins its own group, whatever else is as similar.
        match: TextGroup | None = None
        for g in groups:
            if g.key == msg.key:
                match = g
                break
        if match is None:
            grams = shingles(msg.key)
            match = best_match(groups, grams, self.similarity)
        if match is None:
            if len(groups) >= self.max_groups:
                oldest = min(groups, key=lambda g: g.end)
                groups.remove(oldest)
                closed.append(oldest)
            match = TextGroup(msg.key, grams, msg.ts, msg.ts)
            groups.append(match)
        match.messages += 1
        if msg.label == "abuse":
            match.abuse += 1
        else:
            match.spam += 1
        match.start = min(match.start, msg.ts)
        match.end = max(match.end, msg.ts)
        if msg.account is not None and len(match.accounts) < MAX_GROUP_ACCOUNTS:
            match.accounts[msg.account] = None
        if len(match.samples) < self.max_samples and msg.sample not in match.samples:
            match.samples.append(msg.sample)
        return closed

    def open_groups(self) -> Iterator[tuple[str, TextGroup]]:
        """``(room, group)`` for every group still open."""
        for room, groups in self.groups.items():
            for g in groups:
                yield room, g


def group_raids(
    messages: Iterable[Message],
    *,
    similarity: float,
    gap_seconds: float,
    max_groups: int,
    max_samples: int,
    min_accounts: int,
) -> list[tuple[str, TextGroup]]:
    """Every burst of ``messages`` with at least ``min_accounts`` accounts, as
    ``(room, group)``: closed groups in the order they closed, then open ones."""
    grouper = BurstGrouper(
        similarity=similarity,
        gap_seconds=gap_seconds,
        max_groups=max_groups,
        max_samples=max_samples,
    )
    out: list[tuple[str, TextGroup]] = []
    for msg in messages:
        out.extend((msg.room, g) for g in grouper.add(msg) if len(g.accounts) >= min_accounts)
    out.extend((room, g) for room, g in grouper.open_groups() if len(g.accounts) >= min_accounts)
    return out
