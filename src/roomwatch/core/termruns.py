"""The lexicon's term runs and pattern triggers for a whole batch at once.

A term hits a comment where a run of consecutive tokens spells it
(:mod:`roomwatch.core.lexicon`). One comment at a time, a run starts at each
token that is a term or a term's prefix and grows while it spells a prefix
(``Lexicon._runs``): a set lookup per token and per step, in Python, for
every comment with such a token (seven in ten of real barrage). Here all the
comments of a batch grow their runs together, one token a round: every
token's code (:class:`~roomwatch.core.codetable.TokenCodes`, the featurizer's
coding of the batch, shared) is looked up in one small table of the codes of
all terms and prefixes, then the runs that spell a prefix take the next token
of their comment, and so on; a round costs a few numpy calls for the whole
batch. A 64-bit code can collide, so a run found to spell a term is checked
against the term's spelling before it counts (a false "prefix" only grows a
run that spells nothing): the runs are exactly the ones ``_runs`` finds,
in its order (``tests/core/test_term_runs.py``).

:class:`CharSet` answers which texts of a batch hold any of a set of
characters (the ask cues' sure triggers), and :class:`TriggerMasks` which of
the lexicon's patterns each text may match (each pattern lists characters of
which every match holds one), with one pass over the batch's code points
instead of a set operation per text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from roomwatch.core.codetable import CodeTable, TokenCodes, TokenHasher, distinct

__all__ = ["CharSet", "TermRuns", "TriggerMasks"]


class TermRuns:
    """Runs of tokens spelling a term, for tokens coded by one hasher."""

    __slots__ = ("_table", "hasher", "terms", "usable")

    def __init__(self, terms: Iterable[str], prefixes: Iterable[str], hasher: TokenHasher) -> None:
        #: Term index -> term (what a run is checked against).
        self.terms = list(terms)
        self.hasher = hasher
        index = {term: i for i, term in enumerate(self.terms)}
        prefix_set = frozenset(prefixes)
        keys = list(dict.fromkeys([*self.terms, *prefix_set]))
        codes = hasher.codes(keys)
        # Value: (term index + 1) * 2 + (1 if a prefix); term index + 1 is 0
        # for a prefix that is no term.
        values = np.array(
            [(index.get(k, -1) + 1) * 2 + (k in prefix_set) for k in keys], dtype=np.int64
        )
        # A code of 0 or two keys with one code (a 64-bit collision) would lose
        # a key: then the caller keeps to the one-comment-at-a-time path.
        self.usable = bool(len(distinct(codes)) == len(codes) and (codes != 0).all())
        self._table = CodeTable.build(codes, values) if self.usable else None

    def find(self, coded: TokenCodes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(first, count, term)``: every run of ``count`` tokens from flat token
        ``first`` (within one row) that spells term index ``term``, ordered by
        ``first`` then ``count``."""
        if coded.hasher is not self.hasher or self._table is None:
            raise ValueError("the tokens were coded by another hasher, or the table is unusable")
        flat = coded.flat
        row_of = coded.row_of
        n = len(flat)
        table = self._table
        terms = self.terms
        firsts: list[np.ndarray] = []
        counts: list[np.ndarray] = []
        found_terms: list[np.ndarray] = []
        value, known = table.lookup(coded.codes)
        pending = np.flatnonzero(known)
        value = value[pending]
        count = 1
        while True:
            term = (value >> 1) - 1
            hit = np.flatnonzero(term >= 0)
            if len(hit):
                first = pending[hit]
                spelled = term[hit]
                # Check each run's spelling (a code may collide).
                ok = (
                    [
                        "".join(flat[f : f + count]) == terms[t]
                        for f, t in zip(first.tolist(), spelled.tolist(), strict=True)
                    ]
                    if count > 1
                    else [
                        flat[f] == terms[t]
                        for f, t in zip(first.tolist(), spelled.tolist(), strict=True)
                    ]
                )
                keep = np.fromiter(ok, dtype=bool, count=len(ok))
                firsts.append(first[keep])
                counts.append(np.full(int(keep.sum()), count, dtype=np.int64))
                found_terms.append(spelled[keep])
            # Runs spelling a prefix take the next token of their row.
            pending = pending[(value & 1).astype(bool)]
            nxt = pending + count
            inside = nxt < n
            pending = pending[inside]
            pending = pending[row_of[nxt[inside]] == row_of[pending]]
            if not len(pending):
                break
            count += 1
            value, known = table.lookup(coded.run_codes(pending, count))
            pending = pending[known]
            value = value[known]
        if not firsts:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        first = np.concatenate(firsts)
        order = np.argsort(first, kind="stable")  # rounds come in order of count
        return first[order], np.concatenate(counts)[order], np.concatenate(found_terms)[order]


class CharSet:
    """Which texts of a batch hold any of some characters."""

    __slots__ = ("_table", "chars")

    def __init__(self, chars: Iterable[str]) -> None:
        self.chars = frozenset(chars)
        top = max((ord(c) for c in self.chars), default=0)
        # One entry past the largest: every code point above lands there (False).
        self._table = np.zeros(top + 2, dtype=bool)
        for c in self.chars:
            self._table[ord(c)] = True

    def rows_with_any(self, texts: Sequence[str]) -> list[int]:
        """The indices of the texts holding at least one of :attr:`chars`."""
        if not self.chars or not texts:
            return []
        body = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        table = self._table
        found = table[np.minimum(body, len(table) - 1)]
        where = np.flatnonzero(found)
        if not len(where):
            return []
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        ends = np.cumsum(lengths)
        return distinct(np.searchsorted(ends, where, side="right")).tolist()  # type: ignore[no-any-return]


class TriggerMasks:
    """For each text of a batch, which of some character sets it meets, as bits.

    Bit ``i`` of a text's mask is set when the text holds a character of
    ``sets[i]`` (at most 63 sets).
    """

    __slots__ = ("_bits",)

    def __init__(self, sets: Sequence[frozenset[str]]) -> None:
        if len(sets) > 63:
            raise ValueError("at most 63 character sets")
        top = max((ord(c) for chars in sets for c in chars), default=0)
        # One entry past the largest: every code point above lands there (0).
        self._bits = np.zeros(top + 2, dtype=np.int64)
        for i, chars in enumerate(sets):
            for c in chars:
                self._bits[ord(c)] |= 1 << i

    def masks(self, texts: Sequence[str]) -> tuple[list[int], list[int]]:
        """(texts meeting any set, in order; their masks)."""
        if not texts:
            return [], []
        body = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        bits = self._bits[np.minimum(body, len(self._bits) - 1)]
        where = np.flatnonzero(bits)
        if not len(where):
            return [], []
        ends = np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)))
        rows = np.searchsorted(ends, where, side="right")
        first = np.flatnonzero(np.diff(rows, prepend=-1))  # each row's first hit
        masks = np.bitwise_or.reduceat(bits[where], first)
        return rows[first].tolist(), masks.tolist()
