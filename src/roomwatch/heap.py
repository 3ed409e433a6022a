"""Garbage-collector settings for long runs (serve, demo, replay, report).

A library leaves process-wide policy to whoever runs it, so only the
command-line entry points call :func:`settle_heap`, once the model is loaded.
"""

from __future__ import annotations

import gc
from typing import Final

__all__ = ["FULL_AFTER", "YOUNG_THRESHOLD", "settle_heap"]

#: Allocations between young collections (CPython's default is 700).
YOUNG_THRESHOLD: Final = 10_000
#: Middle-generation collections between full ones (default 10). What the
#: service keeps (queues, windows, buffers) dies by reference counting, so
#: full collections find little but pause the loop for 20-90 ms. At 2,000
#: comments/s there are about 15 middle collections a minute, so full ones
#: come every few minutes instead of every few seconds.
FULL_AFTER: Final = 100


def settle_heap() -> None:
    """Keep the garbage collector's pauses short and rare in a long run.

    CPython's cyclic collector stops the event loop while it walks every
    tracked object, and a full collection's pause is added to every comment
    in flight. Everything loaded at start-up (model, lexicons, jieba's
    dictionary) lives until exit, so it is frozen: moved to a generation the
    collector never walks. A larger young-generation threshold lets a
    batch's short-lived objects die before promotion, and full collections
    are spaced out. Cycles are still collected.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, 10, FULL_AFTER)
