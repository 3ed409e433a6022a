"""Knowing when a hub client has everything, instead of sleeping.

Two facts about the hub make this deterministic:

- a message a client sends with a ``ref`` is answered through the same
  per-client queue as published frames, so the answer arrives after every
  frame published to that client before the server read the message;
- the host queue holds an item's later updates back and publishes them on
  a tick, so a client's copy of a room is complete once it shows every item
  as the server's queue holds it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

import aiohttp

from roomwatch.service import Service

from ..conftest import queue_state
from .wait import wait_for

__all__ = ["SETTLED", "queue_lag", "round_trip", "settled", "sync"]

#: What a client's copy of an item must show as the server holds it. (The
#: score moves with the room's clock, so it is left out.)
SETTLED = ("count", "askers", "paid_total", "state")


async def sync(
    ws: aiohttp.ClientWebSocketResponse, messages: list[dict[str, Any]], ref: str
) -> None:
    """Send ``{"ref": ref}`` (no action: the server only answers it) and wait
    until the answer is in ``messages``, the list a reader task fills."""
    await ws.send_str(json.dumps({"ref": ref}))
    await wait_for(
        lambda: any(m.get("ref") == ref for m in messages),
        what=f"the answer to ref {ref!r}",
        show=lambda: messages[-5:],
    )


async def round_trip(
    ws: aiohttp.ClientWebSocketResponse, ref: str, timeout: float = 15.0
) -> list[dict[str, Any]]:
    """Like :func:`sync`, for a socket nothing else reads: send ``{"ref": ref}``
    and read frames up to its answer; returns the frames read before it."""

    async def read() -> list[dict[str, Any]]:
        before: list[dict[str, Any]] = []
        async for msg in ws:
            frame = json.loads(msg.data)
            if frame.get("ref") == ref:
                return before
            before.append(frame)
        raise AssertionError(f"the socket closed before the answer to ref {ref!r}: {before[-5:]}")

    await ws.send_str(json.dumps({"ref": ref}))
    return await asyncio.wait_for(read(), timeout)


def queue_lag(messages: list[dict[str, Any]], svc: Service, room: str) -> list[str]:
    """Ids of ``room``'s items that a host client with ``messages`` doesn't yet
    show as the server's queue holds them."""
    mine = queue_state(messages, room)
    return [
        item.id
        for item in svc.triage.queue(room).snapshot()
        if any(mine.get(item.id, {}).get(k) != getattr(item, k) for k in SETTLED)
    ]


async def settled(
    messages: list[dict[str, Any]],
    svc: Service,
    rooms: Sequence[str],
    processed: int,
    timeout: float = 15.0,
) -> None:
    """Wait until ``processed`` records went through the pipeline and a host
    client with ``messages`` shows every item of ``rooms`` as the server has it."""
    await wait_for(
        lambda: svc.pipeline.processed >= processed,
        timeout,
        what=f"{processed} records to be processed",
        show=lambda: svc.pipeline.processed,
    )
    await wait_for(
        lambda: not any(queue_lag(messages, svc, room) for room in rooms),
        timeout,
        what="the client's copy of the host queue to catch up with the server's",
        show=lambda: {room: queue_lag(messages, svc, room)[:10] for room in rooms},
    )
