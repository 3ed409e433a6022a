"""The characters a regular expression's matches can start with.

Two users skip work with them. :mod:`roomwatch.core.slots` tries each intent
rule only on texts holding one of the rule's first characters, which skips
most of the 45 rules for a typical question. :class:`~roomwatch.core.asks.AskCues`
puts each cue set of ``lexicons/asks.tsv`` behind a lookahead for its first
characters (:func:`with_first_chars`): ``re`` checks a first-character set by
itself only when every top-level alternative begins with a literal, and one
that begins with a group, a lookaround or a class is enough to lose that, so
without the lookahead every cue line was tried at every position (stop 21).

:func:`first_chars` works the set out from the parsed pattern (``re``'s own
parser); it is None when that set is unbounded (a ``\\S``, a ``.``, a negated
class or a backreference first; ``\\s`` is the finite set of whitespace
characters) or the pattern can match the empty string, and the caller then
always tries the pattern.
"""

from __future__ import annotations

import re
from re import _constants as c  # type: ignore[attr-defined]
from re import _parser as parser  # type: ignore[attr-defined]
from typing import Any

__all__ = ["first_chars", "with_first_chars"]

#: A class range wider than this is treated as unbounded (it would only bloat
#: the set without skipping much).
_MAX_RANGE = 256
_ZERO_WIDTH = (c.ASSERT, c.ASSERT_NOT, c.AT)
#: What ``\s`` takes in a str pattern: the characters ``str.isspace`` accepts, all
#: below U+3001 (U+3000, the ideographic space, is the last).
_SPACES = frozenset(ch for ch in map(chr, range(0x3001)) if ch.isspace())


def _seq(items: Any) -> tuple[set[str], bool] | None:
    """(first characters, whether the sequence can match empty), or None."""
    chars: set[str] = set()
    for op, av in items:
        if op in _ZERO_WIDTH:
            continue
        item = _item(op, av)
        if item is None:
            return None
        first, nullable = item
        chars |= first
        if not nullable:
            return chars, False
    return chars, True


def _item(op: Any, av: Any) -> tuple[set[str], bool] | None:
    if op is c.LITERAL:
        return {chr(av)}, False
    if op is c.IN:
        chars: set[str] = set()
        for kind, value in av:
            if kind is c.LITERAL:
                chars.add(chr(value))
            elif kind is c.RANGE and value[1] - value[0] < _MAX_RANGE:
                chars.update(map(chr, range(value[0], value[1] + 1)))
            elif kind is c.CATEGORY and value is c.CATEGORY_SPACE:
                chars |= _SPACES
            else:  # NEGATE, CATEGORY (\S, \w ...), a wide range
                return None
        return chars, False
    if op is c.SUBPATTERN:
        if av[1] & re.IGNORECASE:  # (?i:...): the set would need both cases
            return None
        return _seq(av[-1])
    if op is c.BRANCH:
        chars = set()
        nullable = False
        for alternative in av[1]:
            item = _seq(alternative)
            if item is None:
                return None
            chars |= item[0]
            nullable = nullable or item[1]
        return chars, nullable
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
        low, _, sub = av
        item = _seq(sub)
        if item is None:
            return None
        return item[0], item[1] or low == 0
    return None  # ANY, GROUPREF, NOT_LITERAL, ...


def first_chars(pattern: str) -> frozenset[str] | None:
    """The characters every non-empty match of ``pattern`` starts with, or None
    when they are unbounded or the pattern can match the empty string."""
    parsed = parser.parse(pattern)
    if parsed.state.flags & re.IGNORECASE:
        return None
    item = _seq(parsed)
    if item is None or item[1] or not item[0]:
        return None
    return frozenset(item[0])


def with_first_chars(pattern: str) -> str:
    """``pattern`` behind a lookahead for its first characters (:func:`first_chars`);
    the pattern itself when they are unbounded."""
    chars = first_chars(pattern)
    if chars is None:
        return pattern
    return "(?=[" + "".join(re.escape(ch) for ch in sorted(chars)) + "])(?:" + pattern + ")"
