"""One way for a test to wait: poll a condition on the running loop.

Use :func:`wait_for` instead of a loop around ``asyncio.sleep`` or a fixed
sleep. It returns as soon as the condition holds, so a test is as fast as
the code under test; when the condition never holds it fails with what it
waited for and the last value it saw, not a bare ``timed out``.

A fixed sleep is no proof that "nothing else arrives": wait for something
that must come *after* what must not, then assert (for a hub client, a
``{"ref": ...}`` round trip: the reply is queued behind every frame
published before it).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import TypeVar

__all__ = ["wait_for"]

T = TypeVar("T")


async def wait_for(
    predicate: Callable[[], T | Awaitable[T]],
    timeout: float = 15.0,
    *,
    what: str = "",
    show: Callable[[], object] | None = None,
    interval: float = 0.01,
) -> T:
    """Poll ``predicate()`` until it returns a truthy value, and return that value.

    ``predicate`` may be a coroutine function. After ``timeout`` seconds this
    fails with an ``AssertionError`` that names ``what`` (or, without it, the
    predicate's source line) and shows the last value seen, or ``show()``
    when that says more (e.g. the last messages a client got).
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if loop.time() >= deadline:
            seen = show() if show is not None else value
            raise AssertionError(
                f"timed out after {timeout:g} s waiting for {what or _describe(predicate)};"
                f" last seen: {seen!r}"
            )
        await asyncio.sleep(interval)


def _describe(predicate: Callable[..., object]) -> str:
    try:
        source = inspect.getsource(predicate).strip()
    except (OSError, TypeError):
        return repr(predicate)
    return source if len(source) <= 200 else source[:197] + "..."
