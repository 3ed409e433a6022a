"""Segmentation: split normalised text into words with a private jieba dictionary.

The dictionary is jieba's plus ``lexicons/userdict.txt``, so live-room words
such as 包邮, 上链接, 家人们, 几号链接 and 多少钱 stay whole (a private
``jieba.Tokenizer``, never the global ``jieba.dt``, builds it).

Cutting follows jieba's precise mode without the HMM: the most probable route
through the graph of dictionary words (where two routes are exactly as
probable, the one with the shorter word first; the model was trained on that
rule). New words that the HMM would guess are left as single characters,
except runs of single ASCII letters and digits, which join up as in jieba;
the classifier sees character n-grams anyway. Whitespace is dropped; other
non-word characters become one token each.

A batch is cut at once, in numpy (:meth:`Segmenter.cut_batch`): the word
blocks of its texts are laid end to end, every candidate word is looked up by
its 64-bit code in the dictionary's hash table (:class:`~roomwatch.core.segdict.WordTable`;
one pass per word length, for the runs still a prefix of some word), and the
best route is found for all blocks together, one step per distance from a
block's end (the sums are the same float additions jieba does, in the same
order; the last stretch of a very long block is walked in Python). The
blocks are found, and the tokens handed back, in numpy too: the batch's
characters are classed as block, whitespace or other at once, and the tokens
come back as one string split in C (no Python loop over blocks or words,
one over the texts to hand their tuples back). This is about three times as
fast as a Python loop over the word graph
(``tests/core/test_segment_parity.py`` holds it to jieba's own tokens).

The table is built once (about a second: jieba's dictionary, the user
dictionary, the hash table) and kept between processes in the temp folder,
keyed by everything it is built from (:mod:`roomwatch.core.segdict`): later
starts read it in milliseconds, without importing jieba. Dictionaries are
also kept per process by user-dictionary path and modification time. The
jieba ``Tokenizer`` is built again, the same way, the first time something
asks for :attr:`Segmenter.tokenizer` (or :func:`load_tokenizer`).
"""

from __future__ import annotations

import logging
import math
import threading
from bisect import bisect_left
from collections.abc import Sequence
from itertools import accumulate, compress, islice, repeat
from operator import is_
from pathlib import Path
from typing import Any

import numpy as np

from roomwatch.core.codetable import distinct
from roomwatch.core.errors import ModelError
from roomwatch.core.segdict import Table, WordTable, cache_path, read_table, write_table

__all__ = ["Segmenter", "load_tokenizer"]

_ASCII_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
#: Whole texts whose cut is kept. The analyser's memo of repeated texts sits in
#: front (roomwatch.core.analyze), so few repeats reach the segmenter: on
#: 100,000 real comments 2% of the texts it saw were in a 50,000-text cache,
#: which held up to 28 MB. A few thousand keep the repeats of callers
#: without a memo (training, one-off cuts).
_CACHE_LIMIT = 5_000
#: Route steps done in numpy for all blocks at once (distance from a block's
#: end); positions further from the end, in very long blocks only, are
#: walked in Python over the same candidate table.
_VECTOR_STEPS = 48
#: ... as long as at least this many positions of a batch are that far (a
#: numpy step costs about as much as a dozen positions walked in Python).
_MIN_VECTOR = 12
#: Characters of texts cut in one numpy pass (a big batch, as in training,
#: goes in chunks of whole texts: the candidate table holds 8 bytes per
#: character and candidate word length, so one very long text, never split,
#: costs memory in proportion: about 200 MB a million characters).
_CHUNK_CHARS = 50_000
_ASCII_TABLE = np.zeros(128, dtype=bool)
_ASCII_TABLE[[ord(ch) for ch in _ASCII_ALNUM]] = True
#: Word blocks are runs of CJK ideographs U+4E00–U+9FD5 (jieba's block range)
#: and of these ASCII characters, by code point (128 stands for every code
#: point beyond ASCII).
_BLOCK_ASCII = np.zeros(129, dtype=bool)
_BLOCK_ASCII[[ord(ch) for ch in (*_ASCII_ALNUM, *"+#&._%-")]] = True
#: What ``str.split()`` drops: every code point ``str.isspace`` holds (none is
#: above U+3000).
_SPACES = np.array([c for c in range(0x3001) if chr(c).isspace()], dtype=np.uint32)
#: The same as a table by code point (0x3001 stands for every one beyond):
#: ``np.isin`` would import ``numpy.ma`` into every start.
_IS_SPACE = np.zeros(0x3002, dtype=bool)
_IS_SPACE[_SPACES] = True


class _Dictionary:
    """The cutting loop's word table, plus the jieba tokenizer built on demand."""

    __slots__ = ("_singles", "_tokenizer", "table", "userdict")

    def __init__(self, userdict: Path, table: WordTable) -> None:
        self.userdict = userdict
        self.table = table
        self._tokenizer: Any = None
        self._singles: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def singles(self) -> tuple[np.ndarray, np.ndarray]:
        """The table's answer for each single character of a word block, by code
        point: (in the table, log probability or NaN); the last entry (not in
        the table) stands for every code point beyond."""
        singles = self._singles
        if singles is None:
            top = 0x9FD6  # (block characters: ASCII and U+4E00-U+9FD5)
            chars = [*range(128), *range(0x4E00, top)]
            index, known = self.table.codes.lookup(self.table.hasher.codes(list(map(chr, chars))))
            in_table = np.zeros(top + 1, dtype=bool)
            logp = np.full(top + 1, np.nan)
            in_table[chars] = known
            logp[chars] = np.where(known, self.table.logp[np.where(known, index, 0)], np.nan)
            singles = self._singles = (in_table, logp)
        return singles

    @property
    def unknown(self) -> float:
        """The log probability of a character the dictionary lacks."""
        return self.table.unknown

    @property
    def tokenizer(self) -> Any:
        """The ``jieba.Tokenizer`` (built again on first use; see the module docstring)."""
        with _LOCK:
            if self._tokenizer is None:
                self._tokenizer = _build_tokenizer(self.userdict)
            return self._tokenizer


_LOCK = threading.Lock()
_LOADED: dict[tuple[str, int, int], _Dictionary] = {}


def load_tokenizer(userdict: Path) -> Any:
    """A fresh-or-cached ``jieba.Tokenizer`` with ``userdict`` loaded."""
    return _dictionary(userdict).tokenizer


def _dictionary(userdict: Path, cache_dir: Path | None = None) -> _Dictionary:
    try:
        stat = userdict.stat()
        data = userdict.read_bytes()
    except OSError as exc:
        raise ModelError(f"missing jieba user dictionary {userdict}: {exc}") from exc
    key = (str(userdict.resolve()), stat.st_mtime_ns, stat.st_size)
    with _LOCK:
        found = _LOADED.get(key)
        if found is not None:
            return found
        where = cache_path(data, cache_dir)
        table = read_table(where)
        if table is None:
            built = _build_table(userdict)
            table = WordTable.build(built)
            write_table(where, table, list(built[0]))
        found = _Dictionary(userdict, table)
        _LOADED[key] = found
        return found


def _build_table(userdict: Path) -> Table:
    """Every word and prefix of a fresh jieba tokenizer with its log probability
    (what :class:`~roomwatch.core.segdict.WordTable` is built from)."""
    tokenizer = _build_tokenizer(userdict)
    log_total = math.log(float(tokenizer.total))
    # One float object per distinct frequency (a few thousand), not per word.
    by_freq: dict[int, float | None] = {0: None}
    logp: dict[str, float | None] = {}
    for word, freq in tokenizer.FREQ.items():
        value = by_freq.get(freq, 1.0)
        if value == 1.0:
            value = by_freq[freq] = math.log(freq) - log_total if freq else None
        logp[word] = value
    return logp, -log_total


def _build_tokenizer(userdict: Path) -> Any:
    """A fresh ``jieba.Tokenizer`` with jieba's dictionary and ``userdict`` loaded."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word, freq, tag in _read_userdict(userdict):
        tokenizer.add_word(word, freq, tag)
    return tokenizer


def _read_userdict(path: Path) -> list[tuple[str, int | None, str | None]]:
    """``word [freq] [tag]`` lines (jieba's user-dictionary format)."""
    entries: list[tuple[str, int | None, str | None]] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ModelError(f"cannot read {path}: {exc}") from exc
    for number, line in enumerate(lines, 1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        freq: int | None = None
        tag: str | None = None
        try:
            if len(fields) > 1:
                freq = int(fields[1])
            if len(fields) > 2:
                tag = fields[2]
        except ValueError as exc:
            raise ModelError(f"{path}:{number}: expected 'word [freq] [tag]'") from exc
        entries.append((fields[0], freq, tag))
    return entries


class Segmenter:
    """Cuts text into words; see the module docstring."""

    __slots__ = ("_cache", "_dict")

    def __init__(self, dictionary: _Dictionary) -> None:
        self._dict = dictionary
        self._cache: dict[str, tuple[str, ...]] = {}

    @classmethod
    def from_dir(cls, lexicons: Path, *, cache_dir: Path | None = None) -> Segmenter:
        """A segmenter using ``lexicons/userdict.txt``.

        Its word table is kept in ``cache_dir`` (default: the temp folder, next
        to jieba's own cache) between processes; see :mod:`roomwatch.core.segdict`.
        """
        return cls(_dictionary(lexicons / "userdict.txt", cache_dir))

    @property
    def tokenizer(self) -> Any:
        """The ``jieba.Tokenizer`` this segmenter owns."""
        return self._dict.tokenizer

    def cut(self, text: str) -> tuple[str, ...]:
        """The words of ``text``, in order, without whitespace."""
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        return self.cut_batch([text])[0]

    def cut_batch(self, texts: Sequence[str]) -> list[tuple[str, ...]]:
        """:meth:`cut` for each text, the word blocks of all of them cut at once."""
        cache = self._cache
        found = list(map(cache.get, texts))
        todo = list(dict.fromkeys(compress(texts, map(is_, found, repeat(None)))))
        if not todo:
            return found  # type: ignore[return-value]  # (every text was cached)
        done: dict[str, tuple[str, ...]] = {}
        # In chunks of whole texts of about _CHUNK_CHARS characters (the
        # candidate table grows with the characters).
        ends = list(accumulate(map(len, todo)))
        start = 0
        while start < len(todo):
            stop = bisect_left(ends, (ends[start - 1] if start else 0) + _CHUNK_CHARS, start) + 1
            chunk = todo[start:stop]
            done.update(zip(chunk, self._cut_texts(chunk), strict=True))
            start = stop
        if len(cache) + len(done) > _CACHE_LIMIT:
            cache.clear()
        cache.update(islice(done.items(), _CACHE_LIMIT))
        if len(todo) == len(texts):  # (nothing cached, no text twice)
            return list(done.values())
        return [
            got if got is not None else done[text] for text, got in zip(texts, found, strict=True)
        ]

    def _cut_texts(self, texts: Sequence[str]) -> list[tuple[str, ...]]:
        """The words of each text: its word blocks cut along the best route, every
        other character but whitespace a token of its own."""
        joined = "".join(texts)
        cps = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        n = len(cps)
        n_texts = len(texts)
        lengths = np.fromiter(map(len, texts), np.int64, n_texts)
        text_of = np.repeat(np.arange(n_texts, dtype=np.int64), lengths)
        in_block = ((cps >= 0x4E00) & (cps <= 0x9FD5)) | _BLOCK_ASCII[np.minimum(cps, 128)]
        at = np.flatnonzero(in_block)  # where each block character sits in the texts
        # Blocks: runs of block characters, neither broken by another character
        # nor running from one text into the next.
        new_block = np.ones(len(at), dtype=bool)
        new_block[1:] = (at[1:] != at[:-1] + 1) | (text_of[at[1:]] != text_of[at[:-1]])
        block_starts = np.flatnonzero(new_block)
        word_start, word_end = self._cut_blocks(cps[at], np.diff(block_starts, append=len(at)))
        # Tokens: each word of a block, each other character but whitespace.
        token_start = np.zeros(n, dtype=bool)
        token_start[at[word_start]] = True
        token_end = np.zeros(n + 1, dtype=bool)
        token_end[at[word_end - 1] + 1] = True
        lone = np.flatnonzero(~in_block)
        if len(lone):
            lone = lone[~_IS_SPACE[np.minimum(cps[lone], 0x3001)]]
            token_start[lone] = True
            token_end[lone + 1] = True
        kept = in_block.copy()
        kept[lone] = True
        starts = np.flatnonzero(token_start)
        ends = np.flatnonzero(token_end[1:]) + 1
        if (cps == 0).any():
            # A NUL in a text: the separators of _packed would be ambiguous.
            return _sliced(joined, starts, ends, text_of, n_texts)
        return _packed(cps, kept, token_start, starts, ends, text_of, n_texts)

    def _cut_blocks(self, cps: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The words of word blocks laid end to end (``cps``, each block ``lengths``
        long), as their start and (exclusive) end positions in ``cps`` (see the
        module docstring)."""
        n_blocks = len(lengths)
        if not n_blocks:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        table = self._dict.table
        unknown = table.unknown
        ends = np.cumsum(lengths)
        starts = ends - lengths
        n = len(cps)
        block_of = np.repeat(np.arange(n_blocks, dtype=np.int64), lengths)
        end_of = ends[block_of]
        # Candidate words: every run still a word or a prefix of one, one
        # length at a time (a run stops once it is neither). Single characters
        # are read from a table by code point (the same answers as their codes').
        single_known, single_logp = self._dict.singles
        at_top = np.minimum(cps, len(single_known) - 1)
        alive = np.flatnonzero(single_known[at_top])
        logp = single_logp[at_top[alive]]
        word = ~np.isnan(logp)
        found_at: list[np.ndarray] = [alive[word]]
        found_len: list[int] = [1]
        found_logp: list[np.ndarray] = [logp[word]]
        prefix = table.hasher.prefix(cps)
        lookup = table.codes.lookup
        size = 1
        while len(alive):
            size += 1
            alive = alive[alive + size <= end_of[alive]]
            if not len(alive):
                break
            index, hit = lookup(table.hasher.span_codes(prefix, alive, size))
            alive = alive[hit]
            logp = table.logp[index[hit]]
            word = ~np.isnan(logp)
            if word.any():
                found_at.append(alive[word])
                found_len.append(size)
                found_logp.append(logp[word])
        width = max(found_len)
        # cand[p, k]: log probability of the word of k + 1 characters at p (-inf:
        # none). Where no word starts at p, the character alone is a word of the
        # unknown log probability (as in jieba's route).
        cand = np.full((n, width), -np.inf)
        for at, k, logp in zip(found_at, found_len, found_logp, strict=True):
            cand[at, k - 1] = logp
        cand[(cand == -np.inf).all(axis=1), 0] = unknown
        # score[g]: best log probability of the rest of the block from position
        # p (g = p + its block's number: one slot of 0 after each block's end).
        # Positions are taken by their distance from their block's end, all at
        # one distance in one step; their rows of candidates, and of the slots
        # of what follows each candidate, are gathered in that order once.
        slot = np.arange(n, dtype=np.int64) + block_of
        score = np.zeros(n + n_blocks + width + 1)
        distance = end_of - np.arange(n, dtype=np.int64)
        order = np.argsort(distance, kind="stable")
        bounds = np.searchsorted(distance[order], np.arange(1, _VECTOR_STEPS + 2)).tolist()
        # Far from the blocks' ends positions thin out (long blocks only): once
        # a distance has fewer than _MIN_VECTOR, the rest are walked in Python.
        steps = next(
            (d for d in range(_VECTOR_STEPS) if bounds[d + 1] - bounds[d] < _MIN_VECTOR),
            _VECTOR_STEPS,
        )
        near = order[: bounds[steps]]
        near_slot = slot[near]
        near_cand = cand[near]
        after = near_slot[:, None] + np.arange(1, width + 1, dtype=np.int64)
        best = np.zeros(len(near), dtype=np.int64)
        for d in range(steps):
            lo, hi = bounds[d], bounds[d + 1]
            values = near_cand[lo:hi] + score[after[lo:hi]]
            # (the first best: the shorter word on a tie)
            best[lo:hi] = values.argmax(axis=1)
            score[near_slot[lo:hi]] = values.max(axis=1)
        step = np.zeros(n, dtype=np.int64)  # length of the best word at p
        step[near] = best + 1
        rest = order[bounds[steps] :]
        if len(rest):
            self._walk_rest(rest, slot, cand, score, step)
        return self._words(cps, starts, ends, block_of, end_of, step)

    @staticmethod
    def _walk_rest(
        rest: np.ndarray,
        slot: np.ndarray,
        cand: np.ndarray,
        score: np.ndarray,
        step: np.ndarray,
    ) -> None:
        """The route steps of the positions ``rest``, far from their block's end
        (long blocks), in Python, nearest to the end first (every position has
        a candidate: see ``cand``)."""
        rest_slot = slot[rest]
        # The scores read: those of what may follow each position.
        read = distinct((rest_slot[:, None] + np.arange(1, cand.shape[1] + 1)).ravel())
        scores = dict(zip(read.tolist(), score[read].tolist(), strict=True))
        steps: list[int] = []
        minus_inf = -math.inf
        for g, row in zip(rest_slot.tolist(), cand[rest].tolist(), strict=True):
            best = minus_inf
            best_len = 1
            for k, logp in enumerate(row, 1):
                if logp != minus_inf:
                    value = logp + scores[g + k]
                    if value > best:
                        best = value
                        best_len = k
            scores[g] = best
            steps.append(best_len)
        step[rest] = steps

    @staticmethod
    def _words(
        cps: np.ndarray,
        starts: np.ndarray,
        ends: np.ndarray,
        block_of: np.ndarray,
        end_of: np.ndarray,
        step: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each block's words along the best route, single ASCII letters and digits
        joined, as (start, end) positions."""
        n = len(cps)
        is_start = np.zeros(n, dtype=bool)
        at = starts[starts < ends]
        stop = ends[starts < ends]
        while len(at):
            is_start[at] = True
            at = at + step[at]
            more = at < stop
            at, stop = at[more], stop[more]
        first = np.flatnonzero(is_start)
        last = np.minimum(np.append(first[1:], n), end_of[first])
        code = cps[first]
        single = (last - first == 1) & (code < 128)
        single[single] = _ASCII_TABLE[code[single]]
        joins = np.zeros(len(first), dtype=bool)
        joins[1:] = single[1:] & single[:-1] & (block_of[first[1:]] == block_of[first[:-1]])
        first = first[~joins]
        return first, np.minimum(np.append(first[1:], n), end_of[first])


def _sliced(
    joined: str, starts: np.ndarray, ends: np.ndarray, text_of: np.ndarray, n_texts: int
) -> list[tuple[str, ...]]:
    """Each text's tokens (``starts``/``ends`` in ``joined``), a slice each."""
    words = [joined[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]
    counts = np.bincount(text_of[starts], minlength=n_texts).tolist()
    out: list[tuple[str, ...]] = []
    pos = 0
    for count in counts:
        out.append(tuple(words[pos : pos + count]))
        pos += count
    return out


def _packed(
    cps: np.ndarray,
    kept: np.ndarray,
    token_start: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    text_of: np.ndarray,
    n_texts: int,
) -> list[tuple[str, ...]]:
    """Each text's tokens, from one string holding the ``kept`` characters with a
    NUL after each token, split in C (a slice per word in Python cost more than
    the route) and handed out to the texts by their token counts. No text may
    hold a NUL."""
    n_tokens = len(starts)
    kept_at = np.flatnonzero(kept)
    token_of = np.cumsum(token_start[kept_at]) - 1
    packed = np.zeros(len(kept_at) + n_tokens, dtype=np.uint32)
    packed[np.arange(len(kept_at), dtype=np.int64) + token_of] = cps[kept_at]
    # A token's NUL follows its last character.
    last_kept = np.searchsorted(kept_at, ends - 1)
    packed[last_kept + 1 + np.arange(n_tokens, dtype=np.int64)] = 0
    words = iter(packed[:-1].tobytes().decode("utf-32-le", "surrogatepass").split("\x00"))
    counts = np.bincount(text_of[starts], minlength=n_texts).tolist()
    return list(map(tuple, map(islice, repeat(words), counts)))
