"""Cue lists: regexes that say whom an insult is aimed at, or that a text has an ad form.

A verdict that rests on the model's n-grams alone, with no lexicon or pattern
evidence for its label, stands only when a person could point at something in
the text that the label needs (issue 11; ``docs/labelling-guide.md``):

* abuse is an insult **aimed at someone** (a viewer, the host, a person in the
  video, a group). ``lexicons/targets.txt`` lists what names or addresses
  someone: pronouns, demonstratives, person and group nouns, regions, an
  imperative to the addressee. The abuse head learnt COLD's disgust and group
  words (恶心, 垃圾, 女的), so "垃圾", "丑东西", "好恶心" about nothing named
  came out as abuse; now they are chatter.
* spam is a **contact or ad pattern**. ``lexicons/adforms.txt`` lists the ad
  forms the contact and ad lexicons do not: asks to contact (找我, 私聊),
  引流 to another shop or group (去我直播间, 隔壁, 群号), 关注…有福利, services
  (代练, 刷粉, 兼职), price pitches (只要 + a number). The main head learnt
  直播间 and 专业 as spam words, so "专业！！！" and greetings came out as spam.

Each file holds one regex per line (``#`` comments), run on normalised text
with separators removed (so 北_京_人 still names a group).
:class:`~roomwatch.core.classify.Classifier` shows the match in ``reasons``
(``target:<text>``, ``adform:<text>``); a verdict without one becomes chatter
(``weak:abuse``, ``weak:spam``). Lexicon- or pattern-backed verdicts need no
cue. A list read with ``words=True`` (the targets) shows a match that begins
inside a word from the first word start inside it where the list matches too:
the X人 line reaches back up to two characters, which may end the word before
("说什么外地人" matched "么外地人"; the reason shows "外地人"). A match that begins
a word is shown whole ("骂四川人").
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable, Sequence
from pathlib import Path

from roomwatch.core.errors import ModelError

__all__ = ["CueList", "find_unnegated", "read_lines", "read_terms", "term_finder", "unseparated"]


def read_lines(path: Path) -> list[str]:
    """The entries of a list file: one per line, stripped, blank lines and
    ``#`` comments skipped; none for a missing file."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise ModelError(f"cannot read {path}: {exc}") from exc
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def read_terms(path: Path) -> tuple[str, ...]:
    """The terms of ``path`` (:func:`read_lines`), each once."""
    return tuple(dict.fromkeys(read_lines(path)))


def find_unnegated(
    rx: re.Pattern[str],
    text: str,
    negators: Container[str],
    negations: Container[str] = (),
) -> str | None:
    """The first phrase ``rx`` finds in ``text`` with neither a negator (one
    character of ``negators``) nor a two-character negation (``negations``:
    不是, 没有) right before it, or None: 永不脱粉 is loyalty, 不坑人 reassurance."""
    for m in rx.finditer(text):
        at = m.start()
        if (at == 0 or text[at - 1] not in negators) and text[max(0, at - 2) : at] not in negations:
            return m.group(0)
    return None


def term_finder(terms: Iterable[str]) -> re.Pattern[str]:
    """A pattern that finds one of ``terms`` in a text whenever one is in it
    (one search instead of ``in`` per term; a pattern that finds nothing when
    there are no terms). Longer terms first, so the match is the longest."""
    unique = sorted(set(terms), key=lambda t: (-len(t), t))
    return re.compile("|".join(map(re.escape, unique)) if unique else "(?!)")


# Separators an evasion spelling puts between characters (what normalisation
# keeps of them): they must not hide a cue.
_SEPARATORS = re.compile(r"[\s_\-·.*/|~,，、]+")


def unseparated(text: str) -> str:
    """``text`` as cue lists search it: the separators taken out."""
    return _SEPARATORS.sub("", text)


class CueList:
    """One alternation of a file's regexes; :meth:`find` returns the first match."""

    __slots__ = ("_rx", "name", "words")

    def __init__(self, name: str, rxs: list[str], *, words: bool = False) -> None:
        self.name = name
        self.words = words
        for rx in rxs:
            try:
                re.compile(rx)
            except re.error as exc:
                raise ModelError(f"bad regex {rx!r} in {name}: {exc}") from exc
        self._rx = re.compile("|".join(f"(?:{rx})" for rx in rxs)) if rxs else None

    @property
    def enabled(self) -> bool:
        """Whether there are any regexes (without them the rule does not apply)."""
        return self._rx is not None

    @classmethod
    def from_file(cls, path: Path, *, words: bool = False) -> CueList:
        """Read one regex per line (``#`` comments); a missing file means no rule."""
        return cls(path.name, read_lines(path), words=words)

    def find(self, text: str, tokens: Sequence[str] = ()) -> str | None:
        """The first match in ``text`` (normalised, separators removed), or None.
        With ``words`` and ``text``'s ``tokens``, a match that begins inside a
        word is shown from the first word start inside it where the list
        matches too (说什么外地人: 外地人, not 么外地人)."""
        if self._rx is None:
            return None
        flat = unseparated(text)
        m = self._rx.search(flat)
        if m is None:
            return None
        if self.words and tokens:
            for start in _starts_inside(flat, m.start(), m.end(), tokens):
                shown = self._rx.match(flat, start)
                if shown is not None:
                    return shown.group(0)
        return m.group(0)

    def without(self, text: str) -> str:
        """``text`` (normalised, separators removed) with every match cut out,
        a NUL in place of each, so no n-gram spans a cut."""
        return self.cut(unseparated(text))[0]

    def cut(self, flat: str) -> tuple[str, int]:
        """:meth:`without` of a text whose separators are already removed, and
        how many matches were cut."""
        return (flat, 0) if self._rx is None else self._rx.subn("\0", flat)


def _starts_inside(flat: str, start: int, end: int, tokens: Sequence[str]) -> list[int]:
    """The word starts inside the match ``flat[start:end]`` (``flat``: a text with
    separators removed, cut into ``tokens``), in order; none when a word begins
    at ``start`` itself or the tokens do not spell ``flat``."""
    pieces = [unseparated(token) for token in tokens]
    if "".join(pieces) != flat:
        return []
    inside = []
    at = 0
    for piece in pieces:
        if at == start:
            return []
        if start < at < end:
            inside.append(at)
        at += len(piece)
    return inside
