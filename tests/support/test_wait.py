"""The shared wait helper: returns what it waited for, fails saying what it was."""

from __future__ import annotations

import asyncio

import pytest

from .wait import wait_for


async def test_returns_the_first_truthy_value() -> None:
    box: list[int] = []
    asyncio.get_running_loop().call_later(0.02, box.append, 7)
    assert await wait_for(lambda: box, 5, what="a value") == [7]


async def test_awaits_a_coroutine_predicate() -> None:
    calls = 0

    async def ready() -> int:
        nonlocal calls
        calls += 1
        return calls if calls >= 3 else 0

    assert await wait_for(ready, 5) == 3


async def test_timeout_names_what_and_the_last_value() -> None:
    with pytest.raises(AssertionError) as err:
        await wait_for(lambda: 0, 0.03, what="the answer")
    assert "waiting for the answer" in str(err.value)
    assert "last seen: 0" in str(err.value)


async def test_timeout_without_what_quotes_the_predicate_and_uses_show() -> None:
    seen = ["m1", "m2"]
    with pytest.raises(AssertionError) as err:
        await wait_for(lambda: "m3" in seen, 0.03, show=lambda: seen[-1:])
    assert '"m3" in seen' in str(err.value)
    assert "last seen: ['m2']" in str(err.value)
