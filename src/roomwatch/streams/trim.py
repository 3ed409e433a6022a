"""Trimming the streams: bounded memory, never an entry that is still needed.

**Input shards** (a worker trims the shards it owns, :func:`trim_shard`).

An input entry may go once it is (a) acknowledged, (b) at or before the
shard's last processed id, and (c) older than ``retain_s`` or beyond the
newest ``max_len`` entries. (a) and (b) are the hard floor: the new owner of
a shard needs every unprocessed entry, and an unacknowledged one is work in
flight. (c) keeps the rebuild window: a new owner rebuilds per-room state
from what is kept. ``XTRIM MINID`` with an exact bound removes exactly the
entries before it, and the count it returns is what was trimmed.

**The output stream** (the gateway trims it, :func:`trim_output`): an
output entry may go once the gateway's fan-out group has acknowledged it
and the stream holds more than ``out_max_len`` entries. The floor is the
group's oldest pending entry, or the entry after the last one delivered to
it; a stream no gateway group reads yet is not trimmed at all. So a gateway
that is down or behind makes the stream grow (``roomwatch_stream_length_entries``)
rather than lose what it has not handed on. **The dead letters** nobody
consumes: they are kept to the newest ``out_max_len`` (exact, counted).
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from roomwatch.streams.layout import GROUP

__all__ = ["trim_capped", "trim_floor", "trim_output", "trim_shard"]

#: The most entries looked at per trim to find the MAXLEN bound.
_CAP_SCAN = 10_000


def _key(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def trim_floor(*bounds: str | None) -> str | None:
    """The lowest of the bounds given (stream ids); None if there are none."""
    present = [b for b in bounds if b]
    return min(present, key=_key) if present else None


async def trim_shard(
    redis: Redis, stream: str, *, done: str, retain_ms: int, max_len: int, now_ms: int
) -> int:
    """Trim ``stream`` as far as allowed; the number of entries removed."""
    if done == "0-0":
        return 0
    summary: dict[str, Any] = await redis.xpending(stream, GROUP)
    oldest_pending = _text(summary.get("min")) if int(summary.get("pending") or 0) else None
    # The wanted bound: older than the retention window, or past the length cap.
    wanted = f"{max(0, now_ms - retain_ms)}-0"
    length = int(await redis.xlen(stream))
    if length > max_len:
        excess = min(length - max_len, _CAP_SCAN)
        head = await redis.xrange(stream, "-", "+", count=excess)
        if head:
            last = _text(head[-1][0])
            ms, _, seq = last.partition("-")
            cap = f"{ms}-{int(seq) + 1}"
            wanted = max(wanted, cap, key=_key)
    # Never past the oldest unacknowledged entry, nor past the last processed one.
    floor = trim_floor(wanted, oldest_pending, done)
    assert floor is not None  # (``done`` itself stays: MINID keeps its bound)
    return int(await redis.xtrim(stream, minid=floor, approximate=False))


async def trim_output(redis: Redis, stream: str, group: str, *, max_len: int) -> int:
    """Trim ``stream`` to ``max_len`` entries, never past what ``group`` has
    not acknowledged; the number of entries removed."""
    length = int(await redis.xlen(stream))
    if length <= max_len:
        return 0
    groups = await redis.xinfo_groups(stream)
    info = next((g for g in groups if _text(g.get("name")) == group), None)
    if info is None:
        return 0  # nobody has read it yet: nothing is consumed
    summary: dict[str, Any] = await redis.xpending(stream, group)
    consumed = _next_id(_text(info.get("last-delivered-id") or "0-0"))
    oldest_pending = _text(summary.get("min")) if int(summary.get("pending") or 0) else None
    excess = min(length - max_len, _CAP_SCAN)
    head = await redis.xrange(stream, "-", "+", count=excess)
    if not head:
        return 0
    cap = _next_id(_text(head[-1][0]))
    floor = trim_floor(cap, consumed, oldest_pending)
    assert floor is not None
    return int(await redis.xtrim(stream, minid=floor, approximate=False))


async def trim_capped(redis: Redis, stream: str, *, max_len: int) -> int:
    """Keep the newest ``max_len`` entries of a stream nobody consumes (exact)."""
    return int(await redis.xtrim(stream, maxlen=max_len, approximate=False))


def _next_id(entry_id: str) -> str:
    ms, _, seq = entry_id.partition("-")
    return f"{ms}-{int(seq or 0) + 1}"


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
