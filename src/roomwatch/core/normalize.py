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
"""

from __future__ import annotations

import importlib.resources
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from roomwatch.errors import ModelError

__all__ = [
    "EMOTE_TOKENS",
    "EvasionRule",
    "Normalized",
    "Normalizer",
    "read_table",
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


class _Trie(dict[str, "_Trie"]):
    """A character trie; the key "" marks the end of a word."""


def trie_pattern(words: Iterable[str], sep: str = "") -> str:
    """A regex alternation of ``words`` factored as a trie (fast to match).

    ``sep`` is inserted between consecutive characters of each word. Longer
    words are preferred over their prefixes.
    """
    trie = _Trie()
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, _Trie())
        node[""] = _Trie()

    def build(node: _Trie) -> str:
        branches = [re.escape(ch) + after(child) for ch, child in sorted(node.items()) if ch]
        if len(branches) == 1:
            return branches[0]
        return "(?:" + "|".join(branches) + ")"

    def after(node: _Trie) -> str:
        # What may follow a character: more characters (behind ``sep``), or the end.
        children = _Trie((k, v) for k, v in node.items() if k)
        if not children:
            return ""
        rest = sep + build(children)
        return f"(?:{rest})?" if "" in node else rest

    return build(trie)


@lru_cache(maxsize=1)
def _t2s_table() -> dict[int, str]:
    """Single-character traditional → simplified table from zhconv's dictionary."""
    # Read zhconv's data file directly: its own loader leaves the file open.
    resource = importlib.resources.files("zhconv").joinpath("zhcdict.json")
    conv: dict[str, str] = json.loads(resource.read_text(encoding="utf-8"))["zh2Hans"]
    table: dict[int, str] = {}
    for src, dst in conv.items():
        if len(src) == 1 and len(dst) == 1 and src != dst:
            table[ord(src)] = dst
    return table


def _is_ascii(text: str) -> bool:
    return all(ord(ch) < 128 for ch in text)


class Normalizer:
    """Folds raw comment text; built from the files in a lexicons directory."""

    __slots__ = (
        "_ascii_first",
        "_ascii_re",
        "_cjk_first",
        "_cjk_re",
        "_emoji_map",
        "_emote_map",
        "_rules",
        "_symbols",
        "_t2s",
    )

    def __init__(
        self,
        rules: Iterable[EvasionRule],
        emotes: dict[str, str],
        emoji: dict[str, str],
    ) -> None:
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
        self._cjk_re = re.compile("(" + trie_pattern(cjk_words, _SEP) + ")") if cjk_words else None
        self._cjk_first = frozenset(w[0] for w in cjk_words)
        self._ascii_first = frozenset(w[0] for w in ascii_words)
        self._emote_map = {name: EMOTE_TOKENS[cat] for name, cat in emotes.items()}
        self._emoji_map = {e: EMOTE_TOKENS[cat] for e, cat in emoji.items()}
        self._t2s = _t2s_table()

    @classmethod
    def from_dir(cls, lexicons: Path) -> Normalizer:
        """Load ``evasion.tsv``, ``emotes.tsv`` and ``emoji.tsv`` from ``lexicons``."""
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
        # Insult and ad terms are also folded back together when split by separators.
        for name in _SEPARATED_LISTS:
            path = lexicons / "terms" / f"{name}.txt"
            if not path.exists():
                continue
            for line in path.read_text(encoding="utf-8").splitlines():
                term = unicodedata.normalize("NFKC", line.strip()).lower()
                if len(term) >= 2 and not line.startswith("#") and _is_word(term):
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
        return cls(rules, emotes, emoji)

    def __call__(self, text: str) -> Normalized:
        applied: list[str] = []
        out = unicodedata.normalize("NFKC", text)
        if out != text:
            applied.append("fullwidth")
        low = out.lower()
        if low != out:
            applied.append("lower")
            out = low
        simp = out.translate(self._t2s)
        if simp != out:
            applied.append("t2s")
            out = simp
        if "[" in out:
            out = _EMOTE_RE.sub(lambda m: self._emote(m, applied), out)
        if _REPEAT_RE.search(out) is not None:
            out = _REPEAT_RE.sub(lambda m: m.group(1) * 3, out)
            applied.append("repeat")
        if _PUNCT_REPEAT_RE.search(out) is not None:
            out = _PUNCT_REPEAT_RE.sub(lambda m: m.group(1) * 2, out)
            if "repeat" not in applied:
                applied.append("repeat")
        # The first-character sets are quick pre-checks: most comments contain no
        # character an evasion spelling can start with, and skip the big regexes.
        if self._cjk_re is not None and not self._cjk_first.isdisjoint(out):
            out = self._cjk_re.sub(lambda m: self._fold(m, applied), out)
        if self._ascii_re is not None and not self._ascii_first.isdisjoint(out):
            out = self._ascii_re.sub(lambda m: self._fold(m, applied), out)
        if _EMOJI_RE.search(out) is not None:
            out = _EMOJI_RE.sub(lambda m: self._emoji(m, applied), out)
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


def _is_sep(ch: str) -> bool:
    return _SEP_CHAR_RE.match(ch) is not None


def _squeeze(text: str) -> str:
    return _SEP_CHAR_RE.sub("", text)
