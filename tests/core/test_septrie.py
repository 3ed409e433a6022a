"""TrieSub gives re.sub's result with the exact separator-tolerant trie pattern.

The reference is the old way: ``re.compile`` of the full pattern, ``.sub``.
Each comparison also checks every match handed to ``repl`` (start, end, text,
group), since the normaliser's fold reads them.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from roomwatch.core import normalize
from roomwatch.core.normalize import Normalizer
from roomwatch.core.septrie import LOOSE_SEP, TrieSub, trie_pattern

LEXICONS = Path(__file__).resolve().parents[2] / "lexicons"
SEP_CHAR = normalize._SEP[: -len("{0,3}")]
#: Separators of every kind the exact class takes (space, ASCII and CJK
#: symbols, "_", emoji, other whitespace), the marks it refuses, and word
#: characters that are neither.
TAKEN = list(" _.*-·~/|@#¥$%^&+=<>\t\u3000\u00a0😀🐶❤\ufe0f\u200d—「」《》")
MARKS = list(normalize._SEP_MARKS)
WORDISH = list("ab09好的是我你他了吗傻逼加微信垃圾ＡＢ①ⅱ")


def _cjk_words() -> list[str]:
    norm = Normalizer.from_dir(LEXICONS)
    return [w for w in norm._rules if not w.isascii()]


def _every_code_point() -> str:
    return "".join(map(chr, range(0x110000)))  # (lone surrogates too)


def test_the_loose_separator_takes_all_the_exact_one_does_and_only_marks_more() -> None:
    chars = _every_code_point()
    exact = {m.start() for m in re.finditer(SEP_CHAR, chars)}
    loose = {m.start() for m in re.finditer(LOOSE_SEP, chars)}
    assert exact <= loose
    assert {chr(c) for c in loose - exact} == set(normalize._SEP_MARKS)


def _subs(pattern: re.Pattern[str] | TrieSub, text: str) -> tuple[str, list[tuple[object, ...]]]:
    seen: list[tuple[object, ...]] = []

    def repl(m: re.Match[str]) -> str:
        seen.append((m.start(), m.end(), m.group(0), m.group(1), m.string is text))
        return f"<{len(seen)}>"

    return pattern.sub(repl, text), seen


def _spelled(rng: random.Random, word: str) -> str:
    """``word`` with 0-4 separators (of any kind, marks too) in some of its gaps."""
    out = [word[0]]
    for ch in word[1:]:
        if rng.random() < 0.6:
            pool = rng.choice((TAKEN, TAKEN, MARKS, WORDISH))
            out.append("".join(rng.choice(pool) for _ in range(rng.randint(0, 4))))
        out.append(ch)
    return "".join(out)


def _texts(rng: random.Random, words: list[str], n: int) -> list[str]:
    texts = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(1, 4)):
            word = rng.choice(words)
            if rng.random() < 0.2:
                word = word[: rng.randint(1, len(word))]  # a prefix only
            parts.append(_spelled(rng, word))
            filler = rng.choice((TAKEN, MARKS, WORDISH))
            parts.append("".join(rng.choice(filler) for _ in range(rng.randint(0, 3))))
        texts.append("".join(parts))
    return texts


def test_the_lexicons_evasion_pattern_on_generated_strings() -> None:
    words = _cjk_words()
    fast = TrieSub(words, SEP_CHAR, "{0,3}", normalize._SEP_MARKS)
    exact = re.compile("(" + trie_pattern(words, normalize._SEP) + ")")
    assert fast.pattern == exact.pattern
    rng = random.Random(14)
    texts = _texts(rng, words, 20_000)
    with_marks = 0
    for text in texts:
        got = _subs(fast, text)
        assert got == _subs(exact, text), text
        with_marks += any(m in text for m in MARKS) and bool(got[1])
    assert with_marks > 1_000  # (the exact fallback was taken often)


@pytest.mark.parametrize("seed", range(6))
def test_small_tries_with_prefixes_marks_and_separators_in_words(seed: int) -> None:
    # Words that hold separators and marks themselves, share prefixes, or are
    # one character: every path of the fallback.
    rng = random.Random(seed)
    alphabet = list("傻逼加微信好") + TAKEN[:6] + MARKS[:6]
    words = sorted(
        {
            "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 4)))
            for _ in range(rng.randint(3, 25))
        }
    )
    words = [w for w in words if not normalize._is_sep(w[0])] or ["傻逼"]
    fast = TrieSub(words, SEP_CHAR, "{0,3}", normalize._SEP_MARKS)
    exact = re.compile(fast.pattern)
    for text in _texts(rng, words, 3_000):
        assert _subs(fast, text) == _subs(exact, text), (words, text)


def test_no_match_gives_the_text_itself() -> None:
    fast = TrieSub(["傻逼"], SEP_CHAR, "{0,3}", normalize._SEP_MARKS)
    text = "主播好"
    assert fast.sub(lambda m: "x", text) is text
    assert fast.sub(lambda m: "x", "傻，逼 傻 逼") == "傻，逼 x"


def test_long_phrases_and_laughter_initial_terms_are_not_rejoined() -> None:
    # Stop 21: rejoining is for short terms; 有娘生没娘养 (every 有) and 哈批 (every
    # 哈 of laughter) would cost the search more than they could catch.
    norm = Normalizer.from_dir(LEXICONS)
    assert "废物" in norm._rules and "有娘生没娘养" not in norm._rules and "哈批" not in norm._rules
    assert norm("废·物").text == "废物"
