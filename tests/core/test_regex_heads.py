"""first_chars / with_first_chars: a lookahead for a pattern's first characters
changes no match (roomwatch.core.regex_heads, used by the ask cues and the slot rules)."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

import roomwatch.core.asks as asks
from roomwatch.core.regex_heads import first_chars, with_first_chars

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("pattern", "chars"),
    [
        ("什么|啥", {"什", "啥"}),
        ("(?<!知道)(?:叫|是)谁", {"叫", "是"}),
        ("(?:^|是)我吗", {"是", "我"}),  # ^ is zero-width: 我 may start a match
        ("哈{2,}|h{3,}", {"哈", "h"}),
        ("[a-c]x?", {"a", "b", "c"}),
        ("(?:好)?吧", {"好", "吧"}),
        ("(?=怎么办)怎", {"怎"}),
    ],
)
def test_first_chars(pattern: str, chars: set[str]) -> None:
    assert first_chars(pattern) == chars


@pytest.mark.parametrize(
    "pattern", [r"\S+吗", r".吧", "[^a]b", r"(?:x)?\w", "x?", "(?i)ab", "(?i:a)b", "[一-龥]"]
)
def test_unbounded_or_empty_patterns_get_no_set(pattern: str) -> None:
    assert first_chars(pattern) is None
    assert with_first_chars(pattern) == pattern


def test_whitespace_class_is_the_finite_set() -> None:
    chars = first_chars(r"[\s,]是")
    assert chars is not None and {" ", "\u3000", ",", "\t"} <= chars


def test_the_lookahead_changes_no_match_of_the_ask_cues() -> None:
    # The shipped cue sets, built with and without the lookahead, give the same
    # verdicts on every text of the live corpus and on random mixes of its characters.
    texts = []
    for name in ("test.jsonl", "handwritten.jsonl", "chatter.jsonl"):
        with (ROOT / "corpus" / "live" / name).open(encoding="utf-8") as fh:
            texts += [json.loads(line)["text"].lower() for line in fh]
    rng = random.Random(21)
    alphabet = sorted(set("".join(texts)))
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))) for _ in range(3000)]
    fast = asks.AskCues.from_file(ROOT / "lexicons" / "asks.tsv")
    original = asks.with_first_chars
    try:
        asks.with_first_chars = lambda pattern: pattern  # type: ignore[assignment]
        plain = asks.AskCues.from_file(ROOT / "lexicons" / "asks.tsv")
    finally:
        asks.with_first_chars = original
    for text in texts:
        assert fast.find(text) == plain.find(text), text
        assert fast.anchor(text) == plain.anchor(text), text
        assert fast.has_ask(text) == plain.has_ask(text), text


def test_with_first_chars_keeps_every_match() -> None:
    rx = "(?<!知道)(?:什么|啥)(?:歌|梗)|[不没](?=了)|(?:^|是)我"
    fast, plain = re.compile(with_first_chars(rx)), re.compile(rx)
    for text in ["这是什么歌", "知道什么歌", "没了", "是我", "我", "不是我吗", "啥梗啊"]:
        a, b = fast.search(text), plain.search(text)
        assert (a and a.span()) == (b and b.span()), text
