"""The characters a regular expression's matches can start with.

:mod:`roomwatch.core.slots` tries each intent rule only on texts holding one
of the rule's first characters, which skips most of the 45 rules for a
typical question. This is a small reader for the syntax those rule tables
use (literals, alternation, ``(?:…)`` groups, lookarounds, optional
quantifiers, simple character classes); anything else gives ``None``, and
the rule is then always tried.
"""

from __future__ import annotations

from collections.abc import Iterator

__all__ = ["first_chars"]


def _structure(pattern: str, start: int = 0) -> Iterator[tuple[int, str, int]]:
    """Each unescaped ``(``, ``)`` and ``|`` outside character classes, from
    ``start``: its index, the character, and the group depth after it."""
    depth = 0
    i = start
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":
            i = pattern.index("]", i + 1) + 1
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        if c in "()|":
            yield i, c, depth
        i += 1


def _split_top(pattern: str) -> list[str]:
    """``pattern`` split at its top-level ``|``."""
    parts: list[str] = []
    start = 0
    for i, c, depth in _structure(pattern):
        if c == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
    parts.append(pattern[start:])
    return parts


def _group_end(pattern: str, i: int) -> int:
    """Index of the ``)`` closing the group that opens at ``i``."""
    for j, c, depth in _structure(pattern, i):
        if c == ")" and depth == 0:
            return j
    raise ValueError(f"unbalanced group in {pattern!r}")


def _skip_optional(pattern: str, i: int) -> int | None:
    """End of an optional quantifier (``?``, ``*``, ``{0,n}``) at ``i``, else None."""
    if i < len(pattern) and pattern[i] in "?*":
        i += 1
    elif pattern.startswith("{0", i):
        i = pattern.index("}", i) + 1
    else:
        return None
    return i + 1 if pattern.startswith("?", i) else i


def _heads_of(pattern: str) -> tuple[set[str], bool] | None:
    """Characters a match of ``pattern`` can start with, and whether it can be
    empty; None when the pattern is beyond this small reader."""
    heads: set[str] = set()
    nullable = False
    for alternative in _split_top(pattern):
        part = _alternative_heads(alternative)
        if part is None:
            return None
        heads |= part[0]
        nullable = nullable or part[1]
    return heads, nullable


def _alternative_heads(a: str) -> tuple[set[str], bool] | None:
    heads: set[str] = set()
    i = 0
    while i < len(a):
        c = a[i]
        if c in "^$":
            i += 1
            continue
        if c == "(":
            j = _group_end(a, i)
            inner = a[i + 1 : j]
            if inner.startswith(("?<!", "?<=", "?=", "?!")):
                i = j + 1
                continue
            if inner.startswith("?:"):
                inner = inner[2:]
            elif inner.startswith("?"):
                return None
            part = _heads_of(inner)
            if part is None:
                return None
            chars, empty = part
            i = j + 1
        elif c == "[":
            j = a.index("]", i + 1)
            body = a[i + 1 : j]
            if not body or body[0] == "^" or "-" in body or "\\" in body:
                return None
            chars, empty = set(body), False
            i = j + 1
        elif c in "\\.)*+?{":
            return None
        else:
            chars, empty = {c}, False
            i += 1
        heads |= chars
        after = _skip_optional(a, i)
        if after is None and not empty:
            return heads, False
        i = after if after is not None else i
    return heads, True


def first_chars(pattern: str) -> frozenset[str] | None:
    """Characters one of which a text must hold for ``pattern`` to match in it
    (None: no such set is known)."""
    part = _heads_of(pattern)
    return None if part is None or part[1] else frozenset(part[0])
