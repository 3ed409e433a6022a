"""Segmentation: split normalised text into words with a private jieba dictionary.

Each :class:`Segmenter` owns a ``jieba.Tokenizer`` (never the global ``jieba.dt``)
initialised with jieba's dictionary plus ``lexicons/userdict.txt``, so live-room
words such as 包邮, 上链接, 家人们, 几号链接 and 多少钱 stay whole.

Cutting follows jieba's precise mode without the HMM (maximum-probability route
through the word graph built from the tokenizer's dictionary), implemented here
in a tighter loop than ``Tokenizer.cut``. New words that the HMM would guess are
left as single characters; the classifier sees character n-grams anyway.
Whitespace is dropped; other non-word characters become one token each.

Building the dictionary takes about a second, so dictionaries are cached per
process by user-dictionary path and modification time (constructing a second
``Segmenter`` for the same directory is cheap), and the finished word table is
kept between processes in the temp folder, keyed by everything it is built
from (:mod:`roomwatch.core.segdict`): a later start reads it in about a quarter
of the time, without importing jieba.

Memory: the cutting loop needs only one ``word -> log probability`` mapping, so
after it is built the jieba ``Tokenizer`` (whose ``FREQ`` dict holds the same
~500k keys again, with int values) is dropped. Equal frequencies share one
float object. The tokenizer is rebuilt, the same way, the first time something
asks for :attr:`Segmenter.tokenizer` (or :func:`load_tokenizer`).
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from roomwatch.core.errors import ModelError
from roomwatch.core.segdict import Table, cache_path, read_table, write_table

__all__ = ["Segmenter", "load_tokenizer"]

_BLOCK_RE = re.compile(r"([\u4e00-\u9fd5a-zA-Z0-9+#&._%\-]+)")
_WHOLE_BLOCK = _BLOCK_RE.fullmatch
_ASCII_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_CACHE_LIMIT = 50_000
_BLOCK_CACHE_LIMIT = 20_000


class _Dictionary:
    """The cutting loop's word table, plus the jieba tokenizer built on demand."""

    __slots__ = ("_tokenizer", "logp", "unknown", "userdict")

    def __init__(self, userdict: Path, logp: dict[str, float | None], unknown: float) -> None:
        self.userdict = userdict
        self.logp = logp  # word -> log probability; None for prefixes only
        self.unknown = unknown  # log probability of a character the dictionary lacks
        self._tokenizer: Any = None

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
            table = _build_table(userdict)
            write_table(where, table)
        found = _Dictionary(userdict, *table)
        _LOADED[key] = found
        return found


def _build_table(userdict: Path) -> Table:
    """The cutting loop's table, built from a fresh jieba tokenizer."""
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
    # The tokenizer's FREQ duplicates logp's keys; it is rebuilt on demand.
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

    __slots__ = ("_blocks", "_cache", "_dict")

    def __init__(self, dictionary: _Dictionary) -> None:
        self._dict = dictionary
        self._cache: dict[str, tuple[str, ...]] = {}
        # Word runs recur across different comments (主播, 多少钱, 666): their cuts
        # are cached too, so a new comment made of known runs costs no DAG walk.
        self._blocks: dict[str, list[str]] = {}

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
        out: list[str] = []
        if _WHOLE_BLOCK(text) is not None:
            # One block, no separator (six in ten real comments): what the loop
            # below would do for its one piece, without the split.
            self._cut_block(text, out)
            result = tuple(out)
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[text] = result
            return result
        blocks = self._blocks
        for i, piece in enumerate(_BLOCK_RE.split(text)):
            if not piece:
                continue
            if i % 2:
                words = blocks.get(piece)
                if words is None:
                    words = []
                    self._cut_block(piece, words)
                    if len(blocks) >= _BLOCK_CACHE_LIMIT:
                        blocks.clear()
                    blocks[piece] = words
                out.extend(words)
            else:
                out.extend("".join(piece.split()))  # one token a character, no whitespace
        result = tuple(out)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[text] = result
        return result

    def cut_batch(self, texts: Sequence[str]) -> list[tuple[str, ...]]:
        """:meth:`cut` for each text."""
        cut = self.cut
        return [cut(text) for text in texts]

    def _cut_block(self, block: str, out: list[str]) -> None:
        get = self._dict.logp.get
        unknown = self._dict.unknown
        n = len(block)
        score = [0.0] * (n + 1)
        nxt = [0] * n
        for start in range(n - 1, -1, -1):
            best = -math.inf
            best_end = start
            end = start + 1
            lp = get(block[start], 1.0)  # 1.0: not even a prefix (log-probs are < 0)
            while lp != 1.0:
                if lp is not None:
                    value = lp + score[end]
                    if value > best:
                        best = value
                        best_end = end
                if end >= n:
                    break
                end += 1
                lp = get(block[start:end], 1.0)
            if best == -math.inf:
                best = unknown + score[start + 1]
                best_end = start + 1
            score[start] = best
            nxt[start] = best_end
        pos = 0
        buf = ""
        while pos < n:
            end = nxt[pos]
            if end - pos == 1:
                word = block[pos]
                if word in _ASCII_ALNUM:  # single letters and digits join up: "vx", "666"
                    buf += word
                    pos = end
                    continue
            else:
                word = block[pos:end]
            if buf:
                out.append(buf)
                buf = ""
            out.append(word)
            pos = end
        if buf:
            out.append(buf)
