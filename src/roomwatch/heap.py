"""Heap settings for long runs (serve, demo, replay, report, worker).

A library leaves process-wide policy to whoever runs it, so only the
command-line entry points call :func:`settle_heap`, once the model is loaded,
and only the long-lived ones (``serve``, ``worker``) run
:func:`keep_heap_trimmed`.
"""

from __future__ import annotations

import asyncio
import ctypes
import functools
import gc
from collections.abc import Callable
from typing import Final

__all__ = [
    "FULL_AFTER",
    "TRIM_INTERVAL_S",
    "YOUNG_THRESHOLD",
    "keep_heap_trimmed",
    "settle_heap",
    "trim_heap",
]

#: Allocations between young collections (CPython's default is 700).
YOUNG_THRESHOLD: Final = 10_000
#: Middle-generation collections between full ones (default 10). What the
#: service keeps (queues, windows, buffers) dies by reference counting, so
#: full collections find little but pause the loop for 20-90 ms. At 2,000
#: comments/s there are about 15 middle collections a minute, so full ones
#: come every few minutes instead of every few seconds.
FULL_AFTER: Final = 100


def settle_heap(*, collect: bool = True) -> None:
    """Keep the garbage collector's pauses short and rare in a long run.

    CPython's cyclic collector stops the event loop while it walks every
    tracked object, and a full collection's pause is added to every comment
    in flight. Everything loaded at start-up (model, lexicons, jieba's
    dictionary) lives until exit, so it is frozen: moved to a generation the
    collector never walks. A larger young-generation threshold lets a
    batch's short-lived objects die before promotion, and full collections
    are spaced out. Cycles are still collected.

    ``collect=False`` leaves out the full collection before the freeze (15 ms
    after ``classify``'s start, for ~2,000 garbage objects that are then
    frozen with the rest). The collector is enabled again if a command's
    start-up turned it off.
    """
    if collect:
        gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, 10, FULL_AFTER)
    gc.enable()


#: Seconds between :func:`trim_heap` calls in a long run.
TRIM_INTERVAL_S: Final = 60.0


def trim_heap() -> bool:
    """Give the C heap's free pages back to the operating system.

    Objects over 512 bytes (JSON frames, set and dict tables, numpy arrays)
    come from the C allocator, not Python's own. glibc returns memory only
    from its heap's top, so a long run at a steady load leaves more and
    more free but resident pages inside it: in the hour-long soak the heap's
    free space grew from 51 to 77 MB between minutes 30 and 45 while what
    was in use grew by 10 MB, and one ``malloc_trim`` released 44 MB of RSS
    at minute 46 (docs/reliability.md, "Soak"). ``malloc_trim(0)`` hands every whole free page
    back (``madvise``), wherever it lies. It holds the allocator's lock for
    a few to a few tens of milliseconds, so it runs once a minute, not per
    batch, and :func:`keep_heap_trimmed` runs it off the event loop.
    Returns False where there is no glibc (musl, macOS): nothing to do.
    """
    trim = _malloc_trim()
    return bool(trim(0)) if trim is not None else False


async def keep_heap_trimmed(interval: float = TRIM_INTERVAL_S) -> None:
    """Call :func:`trim_heap` every ``interval`` seconds until cancelled."""
    if _malloc_trim() is None:
        return
    while True:
        await asyncio.sleep(interval)
        # In a thread: ctypes lets go of the GIL, so the event loop runs on
        # (it waits only if it needs the C allocator meanwhile).
        await asyncio.to_thread(trim_heap)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        libc = ctypes.CDLL(None)
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim
