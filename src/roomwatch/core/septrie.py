"""Word tries as regexes, and ``re.sub`` with a separator-tolerant trie, cheap to build.

:func:`trie_pattern` factors a word list as a trie (fast to match). The
normaliser's evasion pattern puts a separator run between every two
characters of every spelling (傻 逼, 加_微_信): up to three characters that
are not letters, digits or ideographs, except sentence punctuation
(``_SEP`` in :mod:`roomwatch.core.normalize`). Compiled with ``re.compile``
that pattern (21,000 characters) cost ~0.05 CPU-s of every start: ``re``'s
compiler optimises the separator's character class again at each of its
~1,000 copies, and a class holding characters past U+00FF becomes a 64K-entry
bitmap each time.

:class:`TrieSub` gives what ``re.sub`` gives with that pattern, without
compiling it. It compiles a *loose* pattern instead, the same trie with
:data:`LOOSE_SEP` (``[\\W_]``) as the separator character (a seventh of the
cost): every character the exact separator takes, and the sentence
punctuation marks it refuses (``marks``). Where the loose pattern matches and
the match holds no mark, the exact pattern matches the very same text there.
Where the match holds a mark, the exact pattern decides at that position,
compiled for that position's first character only, when first needed. (On
100,000 real comments no loose match held a mark.)

Why a loose match without marks is the exact match: the two patterns try the
same alternatives in the same order (the trie's branches in character order;
each separator run longest first, then shorter; a longer word before its
prefix), and the exact pattern's alternatives are the loose pattern's whose
separator runs hold no mark. The loose pattern's first successful alternative
holds no mark, so it is one of the exact pattern's; every exact alternative
tried before it is a loose one tried before it, which failed. Where the loose
pattern does not match, no exact alternative can. ``re.sub`` tries positions
left to right and goes on after each match (no match is empty: every word
starts with a character); so does :meth:`TrieSub.sub`. The exact pattern for
one first character ``c`` is the full pattern's branch for ``c``, and at a
position holding ``c`` every other branch fails on its first character.
``tests/core/test_septrie.py`` checks this against ``re.compile`` of the full
pattern on generated strings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

__all__ = ["LOOSE_SEP", "TrieSub", "trie_pattern"]

#: One character of the loose separator: anything that is not a letter, digit
#: or ideograph, and "_".
LOOSE_SEP = r"[\W_]"


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


class TrieSub:
    """``re.compile("(" + trie_pattern(words, sep_char + repeat) + ")").sub``, built cheaply.

    ``sep_char`` matches one character, always one of :data:`LOOSE_SEP`'s;
    ``marks`` holds every character :data:`LOOSE_SEP` takes that ``sep_char``
    does not (more is allowed: a mark only sends a match to the exact pattern);
    ``repeat`` is the separator run's quantifier (``{0,3}``).
    """

    __slots__ = ("_exact", "_loose", "_marks", "_sep", "_words")

    def __init__(self, words: Iterable[str], sep_char: str, repeat: str, marks: str) -> None:
        self._words: dict[str, list[str]] = {}
        for word in words:
            if word:
                self._words.setdefault(word[0], []).append(word)
        self._sep = sep_char + repeat
        self._marks = frozenset(marks)
        self._exact: dict[str, re.Pattern[str]] = {}
        every = [w for ws in self._words.values() for w in ws]
        self._loose = re.compile("(" + trie_pattern(every, LOOSE_SEP + repeat) + ")")

    @property
    def pattern(self) -> str:
        """The exact pattern whose ``sub`` this is."""
        every = [w for ws in self._words.values() for w in ws]
        return "(" + trie_pattern(every, self._sep) + ")"

    def sub(self, repl: Callable[[re.Match[str]], str], text: str) -> str:
        """What ``re.sub`` with the exact pattern gives (``repl`` sees each match)."""
        search = self._loose.search
        found = search(text)
        if found is None:
            return text
        parts: list[str] = []
        last = 0
        marks = self._marks
        while found is not None:
            start = found.start()
            if not marks.isdisjoint(found.group()):
                found = self._exact_for(text[start]).match(text, start)
                if found is None:
                    found = search(text, start + 1)
                    continue
            parts.append(text[last:start])
            parts.append(repl(found))
            last = found.end()
            found = search(text, last)
        parts.append(text[last:])
        return "".join(parts)

    def _exact_for(self, first: str) -> re.Pattern[str]:
        """The exact pattern's branch for words starting with ``first``."""
        exact = self._exact.get(first)
        if exact is None:
            exact = re.compile("(" + trie_pattern(self._words[first], self._sep) + ")")
            self._exact[first] = exact
        return exact
