"""Features: one sparse row per comment, shared by training and inference.

A row holds

* character n-grams (``char_ngrams``, default 1–3) of the normalised text, with
  ``^``/``$`` marks at the start and end (``吗$``, ``^加``);
* word n-grams (``word_ngrams``, default 1–2) of the segmenter's tokens
  (bigrams joined by a space);
* evidence indicators: ``lex:<list>`` for each lexicon list hit and
  ``pat:<name>`` for each contact/ad pattern hit.

Only n-grams in the vocabulary (fixed at training time) count. The trainer
keeps *content* n-grams only (:func:`is_content_gram`): an n-gram holding a
space, a digit, a Latin letter, punctuation other than ``?`` or a symbol is
left out, and there is no length feature. Those surface traits told the labels
of a generated corpus apart, not the labels of real comments ("物 业 敲 门",
"2020愚人节快乐" and "SEVENTEEN" are chatter); contact numbers, ids and links
still count through the ``pat:`` and ``lex:`` evidence. N-gram values
are ``1/sqrt(k)`` for ``k`` known n-grams in the row (repeats add up), so the
text part has roughly unit norm whatever the length; evidence values are 1.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from operator import attrgetter
from typing import Any

import numpy as np

from roomwatch.core.codetable import (
    CodeTable,
    TokenCodes,
    TokenHasher,
    build_table,
    distinct,
    pair_codes,
)
from roomwatch.core.lexicon import BLOCK_LISTS, PATTERNS, Hit
from roomwatch.core.sparsedot import csr_dot

_CodeTable = CodeTable  # (the name the batch-path tests know it by)

__all__ = [
    "EVIDENCE",
    "FeatureSpec",
    "Featurizer",
    "Rows",
    "char_codes",
    "char_ngrams",
    "code_gram",
    "feature_label",
    "gram_code",
    "gram_codes",
    "is_content_gram",
    "word_ngrams",
]

START, END = "\x02", "\x03"
EVIDENCE: tuple[str, ...] = (
    *(f"lex:{name}" for name in BLOCK_LISTS),
    *(f"pat:{name}" for name in PATTERNS),
)
# Words the normaliser writes for emoji and platform emotes: content, not surface.
_MOOD_WORDS = frozenset({"emopos", "emoneg", "emolol", "emoask", "emoneu"})
_MOOD_WORD = re.compile("|".join(sorted(_MOOD_WORDS)))
_MARKS = "?" + START + END
_EVIDENCE_OF = attrgetter("evidence")


def is_content_gram(gram: str, words: bool = False) -> bool:
    """Whether a character n-gram (or, with ``words``, a word n-gram) is content.

    Content characters are letters of category ``Lo`` (Chinese characters,
    kana, hangul), ``?`` and the start/end marks; in a word n-gram (tokens
    joined by one space) a token may also be one of the normaliser's mood
    words. Anything else (spaces, digits, Latin, Greek or Cyrillic letters,
    punctuation, symbols) is surface. A gram of marks only is not content.
    """
    parts = gram.split(" ") if words else [gram]
    for part in parts:
        if words and part in _MOOD_WORDS:
            continue
        if not part.strip(_MARKS):
            return False
        for ch in part:
            if ch not in _MARKS and unicodedata.category(ch) != "Lo":
                return False
    return True


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """N-gram ranges (inclusive)."""

    char_ngrams: tuple[int, int] = (1, 3)
    word_ngrams: tuple[int, int] = (1, 2)


def char_ngrams(text: str, spec: FeatureSpec) -> Iterable[str]:
    """All character n-grams of ``text`` with start/end marks (for vocabularies)."""
    padded = START + text + END
    lo, hi = spec.char_ngrams
    size = len(padded)
    for n in range(lo, hi + 1):
        for i in range(size - n + 1):
            gram = padded[i : i + n]
            if gram != START and gram != END:
                yield gram


def word_ngrams(tokens: Sequence[str], spec: FeatureSpec) -> Iterable[str]:
    """All word n-grams of ``tokens`` (for vocabularies)."""
    lo, hi = spec.word_ngrams
    for n in range(lo, hi + 1):
        for i in range(len(tokens) - n + 1):
            yield " ".join(tokens[i : i + n])


def feature_label(name: str) -> str:
    """A feature name as a moderator reads it: start/end marks as ^ and $, and the
    normaliser's emoji placeholders (``emoneg``) as what they stand for (``[emoji:neg]``)."""
    label = name.replace(START, "^").replace(END, "$")
    if "emo" in label:
        label = _MOOD_WORD.sub(lambda m: f"[emoji:{m.group(0)[3:]}]", label)
    return label


_SHIFT = 21  # bits per code point (Unicode has 21-bit code points)
_BMP = 0x10000  # single characters below this are read by code point


def gram_code(gram: str) -> int:
    """A unique integer for an n-gram of up to 3 characters (code points packed)."""
    code = 0
    for ch in gram:
        code = (code << _SHIFT) | ord(ch)
    return code


def char_codes(texts: Sequence[str], spec: FeatureSpec) -> tuple[np.ndarray, np.ndarray]:
    """(row, code) arrays of every character n-gram of every text (see :func:`gram_code`).

    The batch is laid out as one UTF-32 array, ``START text END NUL`` per text,
    and the n-gram codes are computed with array shifts, so this costs a few
    numpy calls per batch rather than a Python loop per n-gram.
    """
    parts = _char_code_parts(texts, spec)
    if not parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64)
    return np.concatenate([p[1] for p in parts]), np.concatenate([p[2] for p in parts])


def _char_code_parts(
    texts: Sequence[str], spec: FeatureSpec
) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """:func:`char_codes` as (n, rows, codes) for each n-gram length n."""
    lo, hi = spec.char_ngrams
    if not texts:
        return []
    n_texts = len(texts)
    body = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n_texts)
    padded = lengths + 3
    starts = np.cumsum(padded) - padded  # where each text's START mark goes
    cps = np.zeros(int(starts[-1] + padded[-1]), dtype=np.uint64)
    cps[starts] = ord(START)
    cps[starts + lengths + 1] = ord(END)
    row_of = np.repeat(np.arange(n_texts, dtype=np.int64), padded)
    # Character i of the joined texts sits after the 3 marks of each earlier text
    # and its own START. NUL, START and END inside a text become spaces: they
    # are reserved as separators and start/end marks.
    chars = body.astype(np.uint64)
    chars[(body == 0) | (body == 2) | (body == 3)] = ord(" ")
    text_row = np.repeat(np.arange(n_texts, dtype=np.int64), lengths)
    cps[np.arange(len(body)) + 3 * text_row + 1] = chars
    parts: list[tuple[int, np.ndarray, np.ndarray]] = []
    size = len(cps)
    for n in range(lo, hi + 1):
        if size < n:
            continue
        code = cps[: size - n + 1].copy()
        valid = code > 3 if n == 1 else code != 0
        for k in range(1, n):
            nxt = cps[k : size - n + 1 + k]
            code = (code << np.uint64(_SHIFT)) | nxt
            valid &= nxt != 0
        parts.append((n, row_of[: size - n + 1][valid], code[valid]))
    return parts


def gram_codes(grams: Sequence[str]) -> np.ndarray:
    """:func:`gram_code` of every n-gram (1–3 characters), vectorised by length."""
    codes = np.zeros(len(grams), dtype=np.uint64)
    lengths = np.fromiter(map(len, grams), dtype=np.int64, count=len(grams))
    if len(grams) and (lengths.min() < 1 or lengths.max() > 3):
        raise ValueError("character n-grams must have 1 to 3 characters")
    for n in (1, 2, 3):
        where = np.flatnonzero(lengths == n)
        if not len(where):
            continue
        joined = "".join(grams[i] for i in where.tolist())
        cps = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        cps = cps.reshape(-1, n)
        code = cps[:, 0].copy()
        for k in range(1, n):
            code = (code << np.uint64(_SHIFT)) | cps[:, k]
        codes[where] = code
    return codes


def code_gram(code: int) -> str:
    """The n-gram of a :func:`gram_code` code."""
    chars = []
    mask = (1 << _SHIFT) - 1
    while code:
        chars.append(chr(code & mask))
        code >>= _SHIFT
    return "".join(reversed(chars))


@dataclass(frozen=True, slots=True)
class Rows:
    """A batch's feature rows in canonical CSR form (columns sorted, no
    duplicates): what a ``scipy.sparse.csr_matrix`` holds, without scipy, whose
    import alone costs more than a second of batches (:meth:`to_scipy` gives
    the matrix for training)."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray  # float32
    shape: tuple[int, int]

    @property
    def nnz(self) -> int:
        return len(self.data)

    def dot(self, weights: np.ndarray) -> np.ndarray:
        """``rows @ weights`` (float32, C order), bit for bit scipy's product
        (:func:`~roomwatch.core.sparsedot.csr_dot`)."""
        return csr_dot(self.indptr, self.indices, self.data, self.shape[1], weights)

    def to_scipy(self) -> Any:
        """The same rows as a ``scipy.sparse.csr_matrix``."""
        import scipy.sparse as sp

        matrix = sp.csr_matrix(
            (self.data, self.indices, self.indptr), shape=self.shape, dtype=np.float32
        )
        matrix.has_canonical_format = True
        return matrix


class Featurizer:
    """Turns normalised texts, tokens and lexicon hits into feature rows.

    N-grams are looked up in bulk: each batch of texts is encoded as UTF-32 and
    character n-grams become integers (code points packed into 63 bits); word
    n-grams become 64-bit codes from the tokens' code points
    (:class:`~roomwatch.core.codetable.TokenHasher`). Both are found in
    vectorised hash tables (:class:`~roomwatch.core.codetable.CodeTable`).
    Evidence goes through a dict. :meth:`state` and :meth:`from_state` turn
    a featurizer into plain arrays and back (kept between processes by
    :mod:`roomwatch.core.prepared`).
    """

    __slots__ = (
        "_bi_table",
        "_bmp",
        "_char_table",
        "_evidence",
        "_evidence_names",
        "_evidence_start",
        "_hasher",
        "_name_ends",
        "_names",
        "_uni_table",
        "n_chars",
        "n_features",
        "n_words",
        "spec",
    )

    def __init__(
        self,
        chars: Sequence[str],
        words: Sequence[str],
        spec: FeatureSpec,
        *,
        hasher: TokenHasher | None = None,
    ) -> None:
        if spec.char_ngrams[0] < 1 or spec.char_ngrams[1] > 3:
            raise ValueError("character n-grams must be within 1..3")
        self.spec = spec
        self.n_chars = len(chars)
        self._char_table = CodeTable.build(gram_codes(chars), np.arange(len(chars), dtype=np.int64))
        offset = len(chars)
        hasher = self._hasher = hasher if hasher is not None else TokenHasher()
        index = np.arange(offset, offset + len(words), dtype=np.int64)
        spaces = np.fromiter((w.count(" ") for w in words), dtype=np.int64, count=len(words))
        uni = np.flatnonzero(spaces == 0)
        bi = np.flatnonzero(spaces == 1)
        uni_codes = hasher.codes([words[i] for i in uni.tolist()])
        # Each bigram holds exactly one space: one join and one split give the
        # halves of all of them, alternating (a tenth of a split per bigram).
        halves = " ".join([words[i] for i in bi.tolist()]).split(" ") if len(bi) else []
        bi_codes = pair_codes(hasher.codes(halves[0::2]), hasher.codes(halves[1::2]))
        self._uni_table = build_table(uni_codes, index[uni])
        self._bi_table = build_table(bi_codes, index[bi])
        n_words = len(set(words))
        # N-gram names, kept compactly for reasons: one string holding all of
        # them and the end offset of each (not 300k separate str objects).
        names = "".join(chars) + "".join(words)
        ends = np.fromiter(
            itertools.chain(map(len, chars), map(len, words)),
            dtype=np.int64,
            count=len(chars) + len(words),
        )
        self._finish(n_words, names, np.cumsum(ends))

    def _finish(self, n_words: int, names: str, name_ends: np.ndarray) -> None:
        self._bmp: np.ndarray | None = None  # see _bmp_chars
        self.n_words = n_words
        offset = self.n_chars + n_words
        self._evidence_start = offset
        self._evidence = {name: offset + i for i, name in enumerate(EVIDENCE)}
        self._evidence_names = {i: name for name, i in self._evidence.items()}
        self.n_features = offset + len(EVIDENCE)
        self._names = names
        self._name_ends = name_ends

    def state(self) -> dict[str, np.ndarray]:
        """Everything this featurizer holds, as arrays (see :meth:`from_state`)."""
        out: dict[str, np.ndarray] = {
            "spec": np.array([*self.spec.char_ngrams, *self.spec.word_ngrams], dtype=np.int64),
            "sizes": np.array([self.n_chars, self.n_words], dtype=np.int64),
            "base": np.array([self._hasher.base], dtype=np.uint64),
            "names": np.frombuffer(self._names.encode("utf-8", "surrogatepass"), dtype=np.uint8),
            "name_ends": self._name_ends,
            "evidence": np.frombuffer("\n".join(EVIDENCE).encode(), dtype=np.uint8),
        }
        for key, table in (
            ("char", self._char_table),
            ("uni", self._uni_table),
            ("bi", self._bi_table),
        ):
            out[f"{key}_keys"] = table.keys
            out[f"{key}_values"] = table.values
            out[f"{key}_probe"] = np.array([int(table.shift), table.mask, table.max_probe])
        return out

    @classmethod
    def from_state(cls, state: Mapping[str, np.ndarray]) -> Featurizer:
        """The featurizer :meth:`state` described; ``ValueError`` if it does not fit."""
        if bytes(state["evidence"]).decode() != "\n".join(EVIDENCE):
            raise ValueError("the evidence features have changed")
        c_lo, c_hi, w_lo, w_hi = (int(v) for v in state["spec"])
        n_chars, n_words = (int(v) for v in state["sizes"])
        self = cls.__new__(cls)
        self.spec = FeatureSpec((c_lo, c_hi), (w_lo, w_hi))
        self.n_chars = n_chars
        self._hasher = TokenHasher(int(state["base"][0]))
        tables = []
        for key in ("char", "uni", "bi"):
            shift, mask, max_probe = (int(v) for v in state[f"{key}_probe"])
            keys = np.asarray(state[f"{key}_keys"], dtype=np.uint64)
            values = np.asarray(state[f"{key}_values"], dtype=np.int32)
            if len(keys) != mask + 1 or len(values) != len(keys):
                raise ValueError(f"the {key} table does not fit its size")
            tables.append(CodeTable(keys, values, np.uint64(shift), mask, max_probe))
        self._char_table, self._uni_table, self._bi_table = tables
        name_ends = np.asarray(state["name_ends"], dtype=np.int64)
        names = bytes(state["names"]).decode("utf-8", "surrogatepass")
        if len(name_ends) and int(name_ends[-1]) != len(names):
            raise ValueError("the feature names do not fit their offsets")
        self._finish(n_words, names, name_ends)
        return self

    @property
    def coder(self) -> TokenHasher:
        """What codes tokens for :meth:`rows` (``coder.coded(tokens)``)."""
        return self._hasher

    def name(self, index: int) -> str:
        """The name of feature ``index`` (char n-gram, word n-gram or evidence)."""
        evidence = self._evidence_names.get(index)
        if evidence is not None:
            return evidence
        if not 0 <= index < self.n_features:
            raise IndexError(f"feature index {index} out of range")
        if index >= len(self._name_ends):
            return ""
        end = int(self._name_ends[index])
        start = int(self._name_ends[index - 1]) if index else 0
        return self._names[start:end]

    def _char_features(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(row, feature) arrays of the known character n-grams of every text.

        Single characters of the Basic Multilingual Plane (a third of the
        n-grams) are read from a table by code point (:meth:`_bmp_chars`), the
        rest looked up by code.
        """
        rows: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        hashed_rows: list[np.ndarray] = []
        hashed_codes: list[np.ndarray] = []
        for n, part_rows, codes in _char_code_parts(texts, self.spec):
            if n == 1:
                bmp = codes < _BMP
                index = self._bmp_chars()[codes[bmp].astype(np.intp)]
                found = index >= 0
                rows.append(part_rows[bmp][found])
                cols.append(index[found])
                codes = codes[~bmp]
                part_rows = part_rows[~bmp]
            hashed_rows.append(part_rows)
            hashed_codes.append(codes)
        if hashed_codes:
            index, found = self._char_table.lookup(np.concatenate(hashed_codes))
            rows.append(np.concatenate(hashed_rows)[found])
            cols.append(index[found])
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(rows), np.concatenate(cols).astype(np.int64)

    def _bmp_chars(self) -> np.ndarray:
        """Feature index (-1: none) of each single character below U+10000, by
        code point: the character table's entries for them (unigram codes are
        code points; every longer n-gram's code is at least 2**21)."""
        direct = self._bmp
        if direct is None:
            table = self._char_table
            direct = np.full(_BMP, -1, dtype=np.int32)
            single = np.flatnonzero((table.keys != 0) & (table.keys < _BMP))
            direct[table.keys[single].astype(np.intp)] = table.values[single]
            self._bmp = direct
        return direct

    def _word_features(
        self, tokens: Sequence[Sequence[str]], coded: TokenCodes | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(row, feature) arrays of the known word unigrams and bigrams
        (``coded``: the tokens already coded by :meth:`coder`)."""
        wlo, whi = self.spec.word_ngrams
        if coded is None or coded.hasher is not self._hasher:
            coded = self._hasher.coded(tokens)
        codes = coded.codes
        if not len(codes):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        row_of = coded.row_of
        rows: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        if wlo <= 1 <= whi:
            index, found = self._uni_table.lookup(codes)
            rows.append(row_of[found])
            cols.append(index[found])
        if wlo <= 2 <= whi and len(codes) > 1:
            same = row_of[1:] == row_of[:-1]
            pair = pair_codes(codes[:-1][same], codes[1:][same])
            index, found = self._bi_table.lookup(pair)
            rows.append(row_of[:-1][same][found])
            cols.append(index[found])
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(rows), np.concatenate(cols)

    def transform(
        self,
        texts: Sequence[str],
        tokens: Sequence[Sequence[str]],
        hits: Sequence[Sequence[Hit]],
    ) -> Any:
        """One row per comment, as a ``scipy.sparse.csr_matrix`` (for training)."""
        return self.rows(texts, tokens, hits).to_scipy()

    def rows(
        self,
        texts: Sequence[str],
        tokens: Sequence[Sequence[str]],
        hits: Sequence[Sequence[Hit]],
        coded: TokenCodes | None = None,
    ) -> Rows:
        """One row per comment (``coded``: ``tokens`` coded by :attr:`coder`)."""
        n_rows = len(texts)
        if not (len(tokens) == len(hits) == n_rows):
            raise ValueError("texts, tokens and hits differ in length")
        char_rows, char_cols = self._char_features(texts)
        # Hits add at most one column per kind (lex:/pat: evidence), read for
        # all hits of the batch at once.
        flat = list(chain.from_iterable(hits))
        e_cols = np.fromiter(
            map(self._evidence.get, map(_EVIDENCE_OF, flat), repeat(-1)), np.int64, len(flat)
        )
        e_rows = np.repeat(
            np.arange(n_rows, dtype=np.int64),
            np.fromiter(map(len, hits), np.int64, n_rows),
        )
        known = e_cols >= 0
        e_keys = distinct(e_rows[known] * self.n_features + e_cols[known])
        w_rows, w_cols = self._word_features(tokens, coded)
        text_rows = np.concatenate([char_rows, w_rows])
        text_cols = np.concatenate([char_cols, w_cols])
        counts = np.bincount(text_rows, minlength=n_rows).astype(np.float32)
        scale = np.zeros(n_rows, dtype=np.float32)
        nonzero = counts > 0
        scale[nonzero] = 1.0 / np.sqrt(counts[nonzero])
        return self._rows(
            n_rows,
            scale,
            np.concatenate([text_rows * self.n_features + text_cols, e_keys]),
        )

    def _csr(self, n_rows: int, scale: np.ndarray, keys: np.ndarray) -> Any:
        """:meth:`_rows` as a ``scipy.sparse.csr_matrix``."""
        return self._rows(n_rows, scale, keys).to_scipy()

    def _rows(self, n_rows: int, scale: np.ndarray, keys: np.ndarray) -> Rows:
        """The canonical CSR rows of entries ``row * n_features + column``.

        N-gram entries are worth ``scale[row]`` each, evidence entries 1. The
        result is what scipy builds from the (row, column, value) triplets with
        duplicates summed (``csr_matrix((values, (rows, cols))).sum_duplicates()``),
        bit for bit, but one sort of the keys is cheaper than its per-row sorts.
        """
        if n_rows * self.n_features <= np.iinfo(np.uint32).max:
            keys = keys.astype(np.uint32)  # (sorts twice as fast as int64)
        keys.sort()
        first = np.empty(len(keys), dtype=bool)
        first[:1] = True
        np.not_equal(keys[1:], keys[:-1], out=first[1:])
        starts = np.flatnonzero(first)
        keys = keys[starts]
        rows = (keys // self.n_features).astype(np.int64)
        cols = keys - rows * self.n_features
        values = np.where(cols >= self._evidence_start, np.float32(1.0), scale[rows])
        repeats = np.diff(starts, append=len(first))
        twice = np.flatnonzero(repeats > 1)
        if len(twice):
            # A repeated n-gram: add its copies one by one in float32, in the
            # order scipy's sum_duplicates does, so the sums match to the bit
            # (only over the repeated entries: a few percent of them).
            single = values[twice]
            summed = single.copy()
            times = repeats[twice]
            for k in range(2, int(times.max()) + 1):
                more = times >= k
                summed[more] += single[more]
            values[twice] = summed
        index = np.int32 if len(keys) < 2**31 else np.int64
        indptr = np.zeros(n_rows + 1, dtype=index)
        np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
        return Rows(indptr, cols.astype(index), values, (n_rows, self.n_features))
