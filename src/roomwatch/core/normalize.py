"""Normalisation: fold a raw comment into the text that features and lexicons see.

Steps, in order (each one that changes the text is recorded in ``applied``):

1. ``fullwidth``: Unicode NFKC, which turns full-width ASCII (ｓｂ，？) into
   half-width and styled letters (𝐬𝐛, ①) into plain ones.
2. ``lower``: lower-case.
3. ``t2s``: traditional → simplified, character by character, using the
   conversion table of the ``zhconv`` package (built once, applied with
   ``str.translate``).
4. ``emote:<name>``: platform emotes such as ``[比心]`` become one placeholder word
   per category (``emopos``, ``emoneg``, ``emolol``, ``emoask``, ``emoneu``), from
   ``lexicons/emotes.tsv``.
5. ``repeat``: a run of 4 or more of the same character is cut to 3
   (哈哈哈哈哈 → 哈哈哈, 6666666 → 666); a run of 3 or more of the same
   punctuation mark is cut to 2 (？？？？ → ??). Three laughs and two marks keep
   the "a lot" signal while bounding the n-gram variety.
6. ``evasion:<variant>→<canonical>``: evasion spellings from
   ``lexicons/evasion.tsv`` (homophones, pinyin, initials, look-alikes, emoji, and
   separators inside words such as 傻 逼 or s.b) are folded to their canonical form;
   insult and ad terms from ``lexicons/terms/`` split by separators (废·物, 加 微 信)
   are joined again.
7. ``emoji``: remaining emoji are dropped; those listed in ``lexicons/emoji.tsv``
   become the category placeholder word first (``emoji:<category>``).
8. Whitespace runs collapse to one space; leading/trailing space is stripped.

:meth:`Normalizer.normalize_batch` gives the same results for a batch, faster:
it screens the whole batch with numpy for the steps each text may need and
skips the others (most comments need none after step 1).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from roomwatch.core.chartables import ASTRAL, char_classes, kept_tables, t2s_table, zhconv_data
from roomwatch.core.errors import ModelError
from roomwatch.core.septrie import TrieSub, trie_pattern

__all__ = [
    "EMOTE_TOKENS",
    "EvasionRule",
    "Normalized",
    "Normalizer",
    "read_table",
    "sorted_members",
    "trie_pattern",
]

EMOTE_TOKENS = {
    "pos": "emopos",
    "neg": "emoneg",
    "lol": "emolol",
    "ask": "emoask",
    "neu": "emoneu",
}

# Characters allowed between the letters of an evasion spelling: up to three of
# anything that is not a letter, digit or CJK ideograph (spaces, symbols, emoji,
# "_"), except sentence punctuation, which separates words rather than hides them.
_SEP = r"(?:_|[^\w,!?;:，。！？；：、…()\[\]（）【】\"'“”‘’])" + "{0,3}"
#: The characters ``_SEP`` refuses that ``septrie.LOOSE_SEP`` takes (see TrieSub).
_SEP_MARKS = ",!?;:，。！？；：、…()[]（）【】\"'“”‘’"
_ASCII_SEP = r"[\s._\-*+/|~·]{0,2}"
_EMOTE_RE = re.compile(r"\[([^\[\]\s]{1,8})\]")
_REPEAT_RE = re.compile(r"(.)\1{3,}", re.DOTALL)
_PUNCT_REPEAT_RE = re.compile(r"([!?.,~。，！？…、\-=*#])\1{2,}")
# Emoji and pictographs (plus the variation selector and zero-width joiner).
_EMOJI_RE = re.compile(
    "[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff\ufe0f\u200d\u20e3]+"
)


_SEPARATED_LISTS = ("insult", "ad")


def _is_word(term: str) -> bool:
    return all(ch.isalnum() for ch in term)


@dataclass(frozen=True, slots=True)
class Normalized:
    """The normalised text and the normalisations that were applied."""

    text: str
    applied: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EvasionRule:
    """One evasion spelling: ``variant`` is folded to ``canonical``."""

    variant: str
    canonical: str
    kind: str
    not_after: str = ""  # characters that may not follow the match
    not_before: str = ""  # characters that may not precede the match


def read_table(path: Path, columns: int) -> list[list[str]]:
    """Read a ``#``-commented TSV file; rows must have at least ``columns`` fields."""
    rows: list[list[str]] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ModelError(f"cannot read lexicon file {path}: {exc}") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.rstrip("\n").split("\t")
        if len(fields) < columns or not all(f.strip() for f in fields[:columns]):
            raise ModelError(f"{path}:{number}: expected {columns} tab-separated fields")
        rows.append([f.strip() for f in fields])
    return rows


@lru_cache(maxsize=1)
def _t2s_table() -> dict[int, str]:
    """Single-character traditional → simplified table from zhconv's dictionary."""
    return t2s_table(zhconv_data())


def _is_ascii(text: str) -> bool:
    return all(ord(ch) < 128 for ch in text)


class Normalizer:
    """Folds raw comment text; built from the files in a lexicons directory."""

    __slots__ = (
        "_ascii_first",
        "_ascii_inner_pairs",
        "_ascii_re",
        "_char_bits",
        "_cjk_first",
        "_cjk_re",
        "_emoji_map",
        "_emote_map",
        "_inner_pairs",
        "_pairs",
        "_rules",
        "_symbols",
        "_t2s",
    )

    def __init__(
        self,
        rules: Iterable[EvasionRule],
        emotes: dict[str, str],
        emoji: dict[str, str],
        *,
        tables: tuple[np.ndarray, dict[int, str]] | None = None,
    ) -> None:
        """``tables``: ``_char_classes()`` and ``_t2s_table()``, if the caller
        has them (:meth:`from_dir` keeps them between processes)."""
        base_bits, t2s = tables if tables is not None else (_char_classes(), _t2s_table())
        self._rules: dict[str, EvasionRule] = {}
        for rule in rules:
            if rule.variant not in self._rules or rule.kind != "separator":
                self._rules[rule.variant] = rule
        for rule in list(self._rules.values()):
            self._rules.setdefault(
                rule.canonical, EvasionRule(rule.canonical, rule.canonical, "separator")
            )
        self._symbols = frozenset(ch for v in self._rules for ch in v if _is_sep(ch))
        ascii_words = [v for v in self._rules if _is_ascii(v)]
        cjk_words = [v for v in self._rules if not _is_ascii(v)]
        self._ascii_re = (
            re.compile(
                r"(?<![a-z0-9])(?<![a-z0-9][\-_./@:])("
                + trie_pattern(ascii_words, _ASCII_SEP)
                + r")(?![a-z0-9])(?![\-_./@][a-z0-9])"
            )
            if ascii_words
            else None
        )
        # (re.sub with "(" + trie_pattern(cjk_words, _SEP) + ")", without its ~0.05 s compile)
        self._cjk_re = (
            TrieSub(cjk_words, _SEP[: -len("{0,3}")], "{0,3}", _SEP_MARKS) if cjk_words else None
        )
        self._cjk_first = frozenset(w[0] for w in cjk_words)
        self._ascii_first = frozenset(w[0] for w in ascii_words)
        self._emote_map = {name: EMOTE_TOKENS[cat] for name, cat in emotes.items()}
        self._emoji_map = {e: EMOTE_TOKENS[cat] for e, cat in emoji.items()}
        self._t2s = t2s
        self._char_bits, self._pairs = self._screen_tables(base_bits, cjk_words)

    def _screen_tables(
        self, base_bits: np.ndarray, cjk_words: list[str]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Tables for :meth:`_screen`: bits per code point, and CJK pairs.

        Per BMP code point: the steps the character alone may trigger, and its
        part in evasion spellings (``_FIRST``, ``_INNER``, ``_SEPARATOR`` and
        their ASCII counterparts). The last slot stands for every astral
        character: anything may happen. Pairs: the first two characters of
        every CJK evasion spelling that folds to something else, as
        ``first << 21 | second``.
        """
        bits = base_bits.copy()
        changing = [w for w in self._rules if self._rules[w].canonical != w]
        ascii_words = [w for w in self._rules if _is_ascii(w)]
        marks = [
            ("[", _EMOTE),
            *((chr(code), _T2S) for code in self._t2s),
            *((w[0], _ASCII) for w in changing if _is_ascii(w)),
            *((ch, _ASCII_INNER) for w in ascii_words for ch in w[:-1]),
            *((w, _CJK) for w in changing if len(w) == 1 and not _is_ascii(w)),
            *((w[0], _FIRST) for w in changing if len(w) > 1 and not _is_ascii(w)),
            *((ch, _INNER) for w in cjk_words for ch in w[:-1]),
        ]
        for ch, bit in marks:
            if ord(ch) < _ASTRAL:
                bits[ord(ch)] |= bit
        pairs = [(ord(w[0]) << 21) | ord(w[1]) for w in changing if len(w) > 1 and not _is_ascii(w)]
        self._inner_pairs = frozenset(
            (ord(a) << 21) | ord(b) for w in cjk_words for a, b in itertools.pairwise(w)
        )
        self._ascii_inner_pairs = frozenset(
            (ord(a) << 21) | ord(b) for w in ascii_words for a, b in itertools.pairwise(w)
        )
        # (sorted and distinct, as np.unique gives, without importing numpy.ma)
        return bits, np.array(sorted(set(pairs)), dtype=np.int64)

    @classmethod
    def from_dir(cls, lexicons: Path, *, cache_dir: Path | None = None) -> Normalizer:
        """Load ``evasion.tsv``, ``emotes.tsv`` and ``emoji.tsv`` from ``lexicons``;
        the lexicon-independent tables are kept between processes in
        ``cache_dir`` (default: the temp folder; :mod:`roomwatch.core.chartables`)."""
        rules = []
        for row in read_table(lexicons / "evasion.tsv", 3):
            not_after = not_before = ""
            for guard in row[3].split() if len(row) > 3 else ():
                if guard.startswith("after!="):
                    not_after = guard[len("after!=") :]
                elif guard.startswith("before!="):
                    not_before = guard[len("before!=") :]
                else:
                    raise ModelError(f"evasion.tsv: unknown guard {guard!r}")
            variant = unicodedata.normalize("NFKC", row[0]).lower()
            rules.append(EvasionRule(variant, row[1], row[2], not_after, not_before))
        # Insult and ad terms of 2-5 characters are also folded back together when
        # split by separators; not one starting with 哈 (哈批), whose search would
        # try every 哈 of laughter, nor a longer phrase (有娘生没娘养: every 有).
        for name in _SEPARATED_LISTS:
            path = lexicons / "terms" / f"{name}.txt"
            if not path.exists():
                continue
            for line in path.read_text(encoding="utf-8").splitlines():
                term = unicodedata.normalize("NFKC", line.strip()).lower()
                if (
                    2 <= len(term) <= 5
                    and term[0] != "哈"
                    and not line.startswith("#")
                    and _is_word(term)
                ):
                    rules.append(EvasionRule(term, term, "separator"))
        emotes = {}
        for name, cat, *_ in read_table(lexicons / "emotes.tsv", 2):
            if cat not in EMOTE_TOKENS:
                raise ModelError(f"emotes.tsv: unknown category {cat!r}")
            emotes[unicodedata.normalize("NFKC", name).lower()] = cat
        emoji = {}
        for char, cat, *_ in read_table(lexicons / "emoji.tsv", 2):
            if cat not in EMOTE_TOKENS:
                raise ModelError(f"emoji.tsv: unknown category {cat!r}")
            emoji[char.replace("\ufe0f", "")] = cat
        tables = kept_tables(_CLASSES, _LOWER, _ASTRAL_BITS, cache_dir)
        return cls(rules, emotes, emoji, tables=tables)

    def __call__(self, text: str) -> Normalized:
        applied: list[str] = []
        out = unicodedata.normalize("NFKC", text)
        if out != text:
            applied.append("fullwidth")
        return self._finish(out, applied)

    def normalize_batch(self, texts: Sequence[str]) -> list[Normalized]:
        """``[self(t) for t in texts]``, faster.

        After NFKC most comments need few of the remaining steps, often none: a
        screen over the whole batch (:meth:`_screen`) tells which steps may
        change each comment, and the others are skipped.
        """
        folded: list[str] = []
        widened: list[bool] = []
        is_normalized = unicodedata.is_normalized
        for text in texts:
            if is_normalized("NFKC", text):
                folded.append(text)
                widened.append(False)
            else:
                out = unicodedata.normalize("NFKC", text)
                folded.append(out)
                widened.append(out != text)
        finish = self._finish
        return [
            finish(out, ["fullwidth"] if wide else [], steps)
            if steps
            else Normalized(out, _FULLWIDTH if wide else ())
            for out, wide, steps in zip(folded, widened, self._screen(folded), strict=True)
        ]

    def _screen(self, texts: Sequence[str]) -> list[int]:
        """For each NFKC-folded text, the steps of :meth:`_finish` that may change it.

        A step is left out only when it cannot change the text: lower-casing,
        ``t2s``, emotes and emoji need characters of their own; ``repeat``
        needs 4 equal characters in a row, or 3 equal punctuation marks; an
        evasion spelling changes the text only if it folds to another word
        (its first character, or first two for CJK, are then marked) or if
        separators split it (one of its characters, 1 to 3 separators, the
        next one); whitespace needs a space at either end, two spaces in a row
        or another whitespace character. (Runs and pairs that straddle two
        texts of the batch only mark a step that is not needed.)
        """
        n = len(texts)
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
        # (surrogatepass: a lone surrogate from bad input is a code point like any other)
        joined = "".join(texts).encode("utf-32-le", "surrogatepass")
        cps = np.frombuffer(joined, dtype=np.uint32)
        steps = np.zeros(n, dtype=np.uint16)
        if not len(cps):
            return steps.tolist()
        row_of = np.repeat(np.arange(n), lengths)
        bits = self._char_bits[np.minimum(cps, _ASTRAL)]
        filled = lengths > 0
        starts = (np.cumsum(lengths) - lengths)[filled]
        steps[filled] = np.bitwise_or.reduceat(bits & _ALL, starts)
        # Runs: 4 equal characters, or 3 equal punctuation marks.
        same = cps[1:] == cps[:-1]
        three = same[1:] & same[:-1]
        run = three & ((bits[:-2] & _PUNCT) != 0)
        run[:-1] |= three[1:] & three[:-1]
        steps[row_of[:-2][run]] |= _REPEAT
        space = cps == 32
        ends = starts + lengths[filled] - 1
        steps[row_of[:-1][space[1:] & space[:-1]]] |= _SPACE
        steps[row_of[starts[space[starts]]]] |= _SPACE
        steps[row_of[ends[space[ends]]]] |= _SPACE
        # An evasion spelling changes the text if it folds to something else (its
        # first two characters are then in _pairs) or if separators split it.
        here, after = bits[:-1], bits[1:]
        for inner, separator, step, pairs, most in (
            (_INNER, _SEPARATOR, _CJK, self._inner_pairs, 3),
            (_ASCII_INNER, _ASCII_SEPARATOR, _ASCII, self._ascii_inner_pairs, 2),
        ):
            split = np.flatnonzero(((here & inner) != 0) & ((after & separator) != 0))
            for at in split.tolist():
                if _split_pair(cps, bits, at, separator, pairs, most):
                    steps[row_of[at]] |= step
        first = np.flatnonzero((bits[:-1] & _FIRST) != 0)
        if len(first):
            pair = (cps[first].astype(np.int64) << 21) | cps[first + 1]
            steps[row_of[first[sorted_members(pair, self._pairs)]]] |= _CJK
        return steps.tolist()

    def _finish(self, out: str, applied: list[str], steps: int = -1) -> Normalized:
        """Steps 2–8 on NFKC-folded text (``applied`` holds what step 1 did).

        ``steps`` (from :meth:`_screen`) may name the steps that can change
        ``out``; once one does, the usual checks decide for the rest.
        """
        if steps & _LOWER:
            low = out.lower()
            if low != out:
                applied.append("lower")
                out = low
                steps = -1
        if steps & _T2S:
            simp = out.translate(self._t2s)
            if simp != out:
                applied.append("t2s")
                out = simp
                steps = -1
        if steps & _EMOTE and "[" in out:
            done = _EMOTE_RE.sub(lambda m: self._emote(m, applied), out)
            if done != out:
                out = done
                steps = -1
        if steps & _REPEAT:
            if _REPEAT_RE.search(out) is not None:
                out = _REPEAT_RE.sub(r"\1\1\1", out)
                applied.append("repeat")
                steps = -1
            if _PUNCT_REPEAT_RE.search(out) is not None:
                out = _PUNCT_REPEAT_RE.sub(r"\1\1", out)
                if "repeat" not in applied:
                    applied.append("repeat")
                steps = -1
        # The first-character sets are quick pre-checks: most comments contain no
        # character an evasion spelling can start with, and skip the big regexes.
        if steps & _CJK and self._cjk_re is not None and not self._cjk_first.isdisjoint(out):
            done = self._cjk_re.sub(lambda m: self._fold(m, applied), out)
            if done != out:
                out = done
                steps = -1
        if steps & _ASCII and self._ascii_re is not None and not self._ascii_first.isdisjoint(out):
            done = self._ascii_re.sub(lambda m: self._fold(m, applied), out)
            if done != out:
                out = done
                steps = -1
        if steps & _EMOJI and _EMOJI_RE.search(out) is not None:
            out = _EMOJI_RE.sub(lambda m: self._emoji(m, applied), out)
        if steps & _SPACE or steps & _EMOJI:
            out = " ".join(out.split())
        return Normalized(out, tuple(applied))

    def _emote(self, match: re.Match[str], applied: list[str]) -> str:
        name = match.group(1)
        token = self._emote_map.get(name)
        if token is None:
            return match.group(0)
        applied.append(f"emote:{name}")
        return f" {token} "

    def _fold(self, match: re.Match[str], applied: list[str]) -> str:
        found = match.group(0)
        rule = self._rules.get(found)
        if rule is None:
            keep = self._symbols
            rule = self._rules.get("".join(ch for ch in found if ch in keep or not _is_sep(ch)))
        if rule is None:
            rule = self._rules.get(_squeeze(found))
        if rule is None:
            return found
        if rule.not_after or rule.not_before:
            text = match.string
            end, start = match.end(), match.start()
            if rule.not_after and end < len(text) and text[end] in rule.not_after:
                return found
            if rule.not_before and start > 0 and text[start - 1] in rule.not_before:
                return found
        if found == rule.canonical:
            return found
        applied.append(f"evasion:{found.strip()}→{rule.canonical}")
        return rule.canonical

    def _emoji(self, match: re.Match[str], applied: list[str]) -> str:
        tokens = []
        for ch in match.group(0):
            token = self._emoji_map.get(ch)
            if token is not None:
                tokens.append(token)
        if tokens:
            applied.append("emoji:" + ",".join(sorted({t[3:] for t in tokens})))
            return " " + " ".join(tokens) + " "
        applied.append("emoji")
        return " "


_SEP_CHAR_RE = re.compile(r"[\W_]")
_FULLWIDTH = ("fullwidth",)

# Steps of Normalizer._finish, as bits (see Normalizer._screen), then the other
# bits of the screen's per-code-point table.
_LOWER = 1
_T2S = 2
_EMOTE = 4
_REPEAT = 8
_CJK = 16
_ASCII = 32
_EMOJI = 64
_SPACE = 128
_ALL = 255
_FIRST = 256  # a CJK spelling of 2+ characters that folds to another word starts with it
_INNER = 512  # in a CJK evasion spelling, not last
_SEPARATOR = 1024  # may sit between the characters of a CJK evasion spelling (_SEP)
_ASCII_INNER = 2048  # in an ASCII evasion spelling, not last
_ASCII_SEPARATOR = 4096  # may sit between those characters (_ASCII_SEP)
_PUNCT = 8192  # cut to 2 when 3 or more in a row (_PUNCT_REPEAT_RE)
_ASTRAL = ASTRAL


#: The screen's one-character classes (see ``_screen_tables``), and the bits
#: of the slot that stands for every astral character: anything may happen.
_CLASSES = (
    (_EMOJI_RE.pattern[:-1], _EMOJI),  # one character of _EMOJI_RE
    (r"[^\S ]", _SPACE),
    (_SEP[: -len("{0,3}")], _SEPARATOR),  # one character of _SEP
    (_ASCII_SEP[: -len("{0,2}")], _ASCII_SEPARATOR),
    (_PUNCT_REPEAT_RE.pattern[1 : -len(r")\1{2,}")], _PUNCT),  # its character class
)
_ASTRAL_BITS = _ALL | _SEPARATOR | _ASCII_SEPARATOR


@lru_cache(maxsize=1)
def _char_classes() -> np.ndarray:
    """The lexicon-independent part of the screen's table (see ``_screen_tables``)."""
    return char_classes(_CLASSES, _LOWER, _ASTRAL_BITS)


def _split_pair(
    cps: np.ndarray, bits: np.ndarray, at: int, separator: int, pairs: frozenset[int], most: int
) -> bool:
    """Whether 1 to ``most`` separators after ``cps[at]`` lead to a character
    that follows it in an evasion spelling (``pairs``: ``first << 21 | second``)."""
    for gap in range(1, most + 1):
        if at + gap + 1 >= len(cps) or not bits[at + gap] & separator:
            return False
        if (int(cps[at]) << 21) | int(cps[at + gap + 1]) in pairs:
            return True
    return False


def _is_sep(ch: str) -> bool:
    return _SEP_CHAR_RE.match(ch) is not None


def _squeeze(text: str) -> str:
    return _SEP_CHAR_RE.sub("", text)


def sorted_members(values: np.ndarray, table: np.ndarray) -> np.ndarray:
    """``np.isin(values, table)`` for a sorted ``table`` of distinct values.

    A binary search per value; ``np.isin`` sorts both arrays each call (and
    its first call imports ``numpy.ma``, a few ms of every start).
    """
    if not len(table):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(table, values), len(table) - 1)
    return np.asarray(table[at] == values)
