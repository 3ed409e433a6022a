"""Vectorised lookups of 64-bit codes, and the word codes they are looked up by.

:class:`CodeTable` is an open-addressing hash table from codes to feature
indices, probed for a whole batch with a few numpy passes.
:class:`TokenHasher` gives every token a 64-bit code computed from its code
points (a polynomial hash with a random odd base, finished by a 64-bit mixer),
for a whole batch at once. Unlike ``hash(str)``, whose salt changes with each
process, the codes depend only on the base, so tables built from them can be
kept between processes (:mod:`roomwatch.core.prepared`) along with the base.
A new base is drawn whenever the tables are built, so the codes are not
predictable from outside the machine.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = ["CodeTable", "TokenCodes", "TokenHasher", "build_table", "distinct", "pair_codes"]

_PAIR_MULT = 0x9E3779B97F4A7C15  # odd 64-bit constant (golden ratio)
_LEN_MULT = 0xC2B2AE3D27D4EB4F  # mixes a token's length into its code


def distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted: ``np.unique`` without its import of
    ``numpy.ma`` (tens of milliseconds at the first call of a process)."""
    ordered = np.sort(values, axis=None)
    keep = np.ones(len(ordered), dtype=bool)
    keep[1:] = ordered[1:] != ordered[:-1]
    return ordered[keep]


def pair_codes(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return np.asarray(a * np.uint64(_PAIR_MULT) + b, dtype=np.uint64)


_HASH_MULT = np.uint64(0xFF51AFD7ED558CCD)  # odd 64-bit mixing constant
_EMPTY = np.uint64(0)  # no n-gram or word code is 0
_PROBE_BITS = 3
_PROBE_WINDOW = 1 << _PROBE_BITS  # slots read per query after the first probe
_PROBE_STEPS = np.arange(_PROBE_WINDOW, dtype=np.int64)
_ALL_SET = np.uint64(0x0101010101010101)  # eight True bytes


@dataclass(frozen=True, slots=True)
class CodeTable:
    """An open-addressing (linear probing) hash table from 64-bit codes to indices.

    Lookups are vectorised: the first round probes every query's home slot,
    later rounds a window of slots for each unresolved query, so a batch costs
    a few numpy passes instead of one binary search per query through a large
    sorted array.
    """

    keys: np.ndarray  # uint64, _EMPTY where unused
    values: np.ndarray  # int32 feature index
    shift: np.uint64
    mask: int
    max_probe: int
    #: Row ``i``: the keys of slots ``i .. i + _PROBE_WINDOW - 1`` (a view of
    #: ``keys``, no copy; the last rows, which would wrap, are left out), so a
    #: later round reads each query's window as one row.
    runs: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        keys = self.keys if len(self.keys) >= _PROBE_WINDOW else np.zeros(_PROBE_WINDOW, np.uint64)
        runs = np.lib.stride_tricks.sliding_window_view(keys, _PROBE_WINDOW)
        object.__setattr__(self, "runs", runs[: max(0, len(self.keys) - _PROBE_WINDOW + 1)])

    @classmethod
    def build(cls, codes: np.ndarray, values: np.ndarray) -> CodeTable:
        bits = max(4, int(np.ceil(np.log2(max(1, len(codes)) * 2.5))))
        size = 1 << bits
        keys = np.zeros(size, dtype=np.uint64)
        vals = np.full(size, -1, dtype=np.int32)
        shift = np.uint64(64 - bits)
        codes = np.asarray(codes, dtype=np.uint64)
        if len(codes) and bool((codes == _EMPTY).any()):
            raise ValueError("code 0 is reserved")
        ordered = np.sort(codes)
        if len(codes) > 1 and bool((ordered[1:] == ordered[:-1]).any()):
            raise ValueError("duplicate codes")
        with np.errstate(over="ignore"):
            slot = ((codes * _HASH_MULT) >> shift).astype(np.int64)
        pending = np.arange(len(codes))
        probe = 0
        while len(pending):
            free = keys[slot[pending]] == _EMPTY
            cand = pending[free]
            # Among candidates aiming at the same free slot, the first one wins.
            order = np.argsort(slot[cand], kind="stable")
            aimed = slot[cand][order]
            first = np.ones(len(order), dtype=bool)
            first[1:] = aimed[1:] != aimed[:-1]
            winners = cand[order[first]]
            keys[slot[winners]] = codes[winners]
            vals[slot[winners]] = values[winners]
            placed = np.zeros(len(codes), dtype=bool)
            placed[winners] = True
            pending = pending[~placed[pending]]
            slot[pending] = (slot[pending] + 1) & (size - 1)
            probe += 1
        return cls(keys, vals, shift, size - 1, probe)

    def lookup(self, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(feature index, found) for every query code."""
        n = len(queries)
        result = np.full(n, -1, dtype=np.int64)
        if n == 0 or self.max_probe == 0:
            return result, np.zeros(n, dtype=bool)
        with np.errstate(over="ignore"):
            slot = ((queries * _HASH_MULT) >> self.shift).astype(np.int64)
        # First round: every query's home slot (most are settled there).
        keys = self.keys[slot]
        hit = keys == queries
        # Values are read for the hits only (a second random read per query
        # cost as much as the keys' read; about half of all queries miss).
        settled = np.flatnonzero(hit)
        result[settled] = self.values[slot[settled]]
        pending = np.flatnonzero(~hit & (keys != _EMPTY))
        # Later rounds read _PROBE_WINDOW consecutive slots per unsettled query.
        # A key always sits before the first empty slot of its probe run
        # (nothing is ever deleted), so a window holding an empty slot and no
        # match settles the query as a miss.
        offset = 1
        while len(pending) and offset < self.max_probe:
            start = (slot[pending] + offset) & self.mask
            if int(start.max()) < len(self.runs):
                keys = self.runs[start]
            else:  # a window wraps past the end (rare): index slot by slot
                keys = self.keys[(start[:, None] + _PROBE_STEPS) & self.mask]
            match = np.flatnonzero(keys == queries[pending, None])  # at most one per row
            row = match >> _PROBE_BITS
            found = (start[row] + (match & (_PROBE_WINDOW - 1))) & self.mask
            result[pending[row]] = self.values[found]
            # (The row's eight booleans viewed as one uint64: all set = no empty slot.)
            open_run = (keys != _EMPTY).view(np.uint64).ravel() == _ALL_SET
            open_run[match >> _PROBE_BITS] = False
            pending = pending[open_run]
            offset += _PROBE_WINDOW
        return result, result >= 0


def build_table(codes: np.ndarray, values: np.ndarray) -> CodeTable:
    # Distinct words share a code only by a 64-bit collision; keep the first.
    order = np.argsort(codes, kind="stable")
    ordered = codes[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    keep = np.sort(order[first])
    codes, values = codes[keep].copy(), values[keep]
    codes[codes == _EMPTY] = 1
    return CodeTable.build(codes, values)


_U64 = np.uint64
_MIX1 = _U64(0xBF58476D1CE4E5B9)  # splitmix64's finaliser
_MIX2 = _U64(0x94D049BB133111EB)
_MASK64 = (1 << 64) - 1


class TokenHasher:
    """64-bit codes of tokens: ``mix(sum(cp[j] * base**j) + len * _LEN_MULT)`` (mod 2**64).

    The sum runs over the token's code points; ``base`` is odd, so its powers
    have inverses mod 2**64 and a token's sum comes out of one prefix sum
    over the whole batch (``(S[end] - S[start]) * base**-start``).
    """

    __slots__ = ("_inv", "_pow", "base")

    def __init__(self, base: int | None = None) -> None:
        self.base = (secrets.randbits(64) if base is None else base) & _MASK64 | 1
        self._pow = np.ones(1, dtype=np.uint64)
        self._inv = np.ones(1, dtype=np.uint64)

    def _powers(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``base**i`` and ``base**-i`` (mod 2**64) for i < n, at least."""
        pw, inv = self._pow, self._inv
        if len(pw) < n:
            size = max(n, 2 * len(pw), 4096)
            grown = np.full(size, self.base, dtype=np.uint64)
            grown[0] = 1
            pw = np.multiply.accumulate(grown)
            grown[1:] = pow(self.base, -1, 1 << 64)
            inv = np.multiply.accumulate(grown)
            # (Replaced whole, never changed in place: safe to read from threads.)
            self._pow, self._inv = pw, inv
        return pw, inv

    def codes(self, tokens: Sequence[str]) -> np.ndarray:
        """The code of every token, in order."""
        if not tokens:
            return np.zeros(0, dtype=np.uint64)
        return self.coded([tokens]).codes

    def coded(self, rows: Sequence[Sequence[str]]) -> TokenCodes:
        """The code of every token of every row, with what gives the code of
        any run of consecutive tokens (:class:`TokenCodes`)."""
        flat = list(itertools.chain.from_iterable(rows))
        counts = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
        joined = "".join(flat).encode("utf-32-le", "surrogatepass")
        cps = np.frombuffer(joined, dtype=np.uint32)
        lengths = np.fromiter(map(len, flat), dtype=np.int64, count=len(flat))
        starts = np.cumsum(lengths) - lengths
        prefix = self.prefix(cps)
        return TokenCodes(
            self,
            flat,
            np.repeat(np.arange(len(rows), dtype=np.int64), counts),
            starts,
            lengths,
            prefix,
            self.span_codes(prefix, starts, lengths),
        )

    def prefix(self, cps: np.ndarray) -> np.ndarray:
        """The prefix sums ``S`` of code points ``cps`` (``S[i]``: the first ``i``),
        from which :meth:`span_codes` gives the code of any run of them."""
        pw, _inv = self._powers(len(cps) + 1)
        prefix = np.zeros(len(cps) + 1, dtype=np.uint64)
        with np.errstate(over="ignore"):
            np.cumsum(cps.astype(np.uint64) * pw[: len(cps)], out=prefix[1:])
        return prefix

    def span_codes(
        self, prefix: np.ndarray, starts: np.ndarray, lengths: np.ndarray | int
    ) -> np.ndarray:
        """The codes of the runs ``[start, start + length)`` of the code points
        whose :meth:`prefix` sums are ``prefix`` (``lengths``: an array or one int)."""
        _pw, inv = self._powers(len(prefix))
        with np.errstate(over="ignore"):
            h = (prefix[starts + lengths] - prefix[starts]) * inv[starts]
            h += np.asarray(lengths).astype(np.uint64) * _U64(_LEN_MULT)
            h ^= h >> _U64(30)
            h *= _MIX1
            h ^= h >> _U64(27)
            h *= _MIX2
            h ^= h >> _U64(31)
        return np.asarray(h, dtype=np.uint64)


@dataclass(frozen=True, slots=True)
class TokenCodes:
    """A batch's tokens (rows of them) coded by ``hasher`` (:meth:`TokenHasher.coded`).

    Token ``i`` of ``flat`` (every row's tokens, in order) sits in row
    ``row_of[i]`` and is the code points ``starts[i] : starts[i] + lengths[i]``
    of all tokens joined; :meth:`run_codes` gives the code of a run of
    consecutive tokens, equal to the code of their concatenation as one token
    (the lexicon looks term runs up by it, the featurizer words and bigrams by
    ``codes``: one coding of the batch serves both)."""

    hasher: TokenHasher
    flat: list[str]
    row_of: np.ndarray  # int64, the row of each token
    starts: np.ndarray  # int64, where each token starts in the concatenation
    lengths: np.ndarray  # int64, code points per token
    prefix: np.ndarray  # the hasher's prefix sums over the concatenation
    codes: np.ndarray  # uint64, one per token

    def run_codes(self, first: np.ndarray, count: int) -> np.ndarray:
        """The codes of the runs of ``count`` tokens starting at each of ``first``."""
        last = first + (count - 1)
        start = self.starts[first]
        return self.hasher.span_codes(
            self.prefix, start, self.starts[last] + self.lengths[last] - start
        )
