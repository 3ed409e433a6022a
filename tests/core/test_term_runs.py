"""The lexicon's batch path (term runs for a whole batch, trigger rows by code
points) gives exactly what one comment at a time gives.

``Lexicon.match_batch`` takes the batch path for a batch of 32 comments or
more without room terms; ``Lexicon._match_each`` is the one-at-a-time path it
replaced (still taken for room terms and small batches). The batches here are
made to hit the edge cases: terms split over tokens at every boundary, terms
running into the next comment, allow-listed terms covering blocked ones, empty
tokens, trigger characters and pattern matches, astral characters.
"""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import numpy as np
import pytest

from roomwatch.core.codetable import TokenHasher
from roomwatch.core.lexicon import Lexicon, RoomTerms
from roomwatch.core.termruns import CharSet, TermRuns, TriggerMasks

LEXICONS = Path(__file__).resolve().parents[2] / "lexicons"


@pytest.fixture(scope="module")
def lex() -> Lexicon:
    return Lexicon.from_dir(LEXICONS)


def _split(rnd: random.Random, text: str) -> list[str]:
    """``text`` cut into tokens at random places (an empty token now and then)."""
    cuts = (
        sorted(rnd.sample(range(1, len(text)), rnd.randrange(len(text)))) if len(text) > 1 else []
    )
    parts = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    if rnd.random() < 0.05:
        parts.insert(rnd.randrange(len(parts) + 1), "")
    return parts


def _batch(lex: Lexicon, rnd: random.Random, size: int) -> tuple[list[str], list[tuple[str, ...]]]:
    terms = sorted(lex._terms)
    pieces = [
        *terms,
        *[t[: rnd.randrange(1, len(t) + 1)] for t in terms[:200]],
        *"的了我你他是不一会保祝加微信vx搜网官域¥$./0123456789abcq 　?？吗呢😀𝐬",
        "13812345678",
        "加微信abc123",
        "www.example.com",
        "一二三四五六七八",
        "该不会坏了吧",
        "祝你倒霉",
    ]
    texts: list[str] = []
    tokens: list[tuple[str, ...]] = []
    for _ in range(size):
        toks: list[str] = []
        for _ in range(rnd.randrange(0, 7)):
            toks += _split(rnd, rnd.choice(pieces))
        tokens.append(tuple(toks))
        texts.append("".join(toks))
    return texts, tokens


def test_batch_path_matches_one_at_a_time(lex: Lexicon) -> None:
    rnd = random.Random(14)
    hasher = TokenHasher()
    seen_hits = 0
    for size in (32, 33, 100, 500, 2048):
        texts, tokens = _batch(lex, rnd, size)
        want = lex._match_each(texts, tokens, {})
        assert lex.match_batch(texts, tokens) == want
        assert lex.match_batch(texts, tokens, RoomTerms()) == want
        assert lex.match_batch(texts, tokens, coded=hasher.coded(tokens)) == want
        assert want == [lex.match(t, k) for t, k in zip(texts, tokens, strict=True)]
        seen_hits += sum(map(len, want))
    assert seen_hits > 1000  # the batches do hit terms and patterns


def test_batch_path_on_real_lists_with_allow_and_several_lists() -> None:
    lex = Lexicon(
        {
            "insult": ["傻逼", "逼", "垃圾"],
            "profanity": ["傻逼"],
            "allow": ["傻逼哄哄", "垃圾袋"],
            "ad": ["加微信"],
        },
        {"phone": "1\\d{10}\t0123456789"},
    )
    tokens = [
        ("傻", "逼"),
        ("傻逼", "哄哄"),
        ("垃圾", "袋"),
        ("垃", "圾"),
        ("加", "微", "信", "13812345678"),
        ("逼",),
        (),
        ("傻", "", "逼"),
    ] * 5
    texts = ["".join(t) for t in tokens]
    got = lex.match_batch(texts, tokens)
    assert got == lex._match_each(texts, tokens, {})
    assert [h.reason() for h in got[0]] == [
        "lexicon:insult:傻逼",
        "lexicon:profanity:傻逼",
        "lexicon:insult:逼",
    ]
    assert got[1] == ()  # the allow-listed term covers the blocked one
    assert [h.reason() for h in got[4]] == ["lexicon:ad:加微信", "pattern:phone:13812345678"]


def test_term_runs_check_spelling_against_colliding_codes(lex: Lexicon) -> None:
    # A run whose code matches a term's but whose spelling does not is no hit:
    # give every token the same code, so that every run "spells" every key.
    hasher = TokenHasher()
    runs = TermRuns(["ab"], ["a"], hasher)
    coded = hasher.coded([("a", "b"), ("a", "c"), ("x", "y")])
    first, count, term = runs.find(coded)
    assert (first.tolist(), count.tolist(), term.tolist()) == ([0], [2], [0])
    # Every token coded as "ab": found as the term, and no hit once spelled out.
    forged = np.full_like(coded.codes, hasher.codes(["ab"])[0])
    fake = dataclasses.replace(coded, codes=forged)
    assert runs.find(fake)[0].tolist() == []
    # Every token coded as the prefix "a": runs grow from each, and only the
    # run that does spell "ab" (codes of runs come from the code points) hits.
    fake = dataclasses.replace(coded, codes=np.full_like(coded.codes, hasher.codes(["a"])[0]))
    first, count, term = runs.find(fake)
    assert (first.tolist(), count.tolist(), term.tolist()) == ([0], [2], [0])
    with pytest.raises(ValueError):
        runs.find(TokenHasher().coded([("a",)]))


def test_char_set_rows() -> None:
    chars = CharSet("祝0¥")
    texts = ["", "祝你", "abc", "x0", "😀", "¥", "\U0010ffff", "no"]
    assert chars.rows_with_any(texts) == [1, 3, 5]
    assert chars.rows_with_any(texts) == [
        i for i, t in enumerate(texts) if not chars.chars.isdisjoint(t)
    ]
    assert CharSet("").rows_with_any(texts) == []
    assert np.array_equal(np.zeros(0), np.array(CharSet("a").rows_with_any([])))


def test_trigger_masks_are_the_sets_met() -> None:
    sets = [frozenset("0123456789"), frozenset("祝希"), frozenset(), frozenset("¥9")]
    masks = TriggerMasks(sets)
    rnd = random.Random(3)
    texts = [
        "".join(rnd.choice("ab09祝¥希 😀") for _ in range(rnd.randrange(0, 6))) for _ in range(300)
    ]
    rows, got = masks.masks(texts)
    want = {
        i: sum(1 << k for k, chars in enumerate(sets) if not chars.isdisjoint(t))
        for i, t in enumerate(texts)
    }
    assert dict(zip(rows, got, strict=True)) == {i: m for i, m in want.items() if m}
    assert rows == sorted(rows)
    assert masks.masks([]) == ([], [])
    with pytest.raises(ValueError):
        TriggerMasks([frozenset("a")] * 64)


def test_patterns_without_trigger_characters_run_on_every_text() -> None:
    lex = Lexicon({"insult": ["傻逼"]}, {"url": r"www\.\S+", "digits": "\\d{8,}\t0123456789"})
    texts = ["看 www.example.com", "傻逼 12345678", "无"] * 20
    tokens = [tuple(t.split()) for t in texts]
    got = lex.match_batch(texts, tokens)
    assert got == lex._match_each(texts, tokens, {})
    assert [h.reason() for h in got[0]] == ["pattern:url:www.example.com"]
