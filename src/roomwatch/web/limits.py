"""Limits on what one client may send: body sizes and open connections.

Message and frame rates are token buckets (:mod:`roomwatch.core.token_bucket`)
kept by the hub and the websocket source. Every limit is listed in
``docs/limits.md``. Exceeding one gives an HTTP 413 or 429, or a WebSocket
close code with a reason, and counts ``roomwatch_limit_exceeded_total{limit}``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Final

from aiohttp import web

from roomwatch.metrics import Metrics

__all__ = ["ConnectionLimiter", "Lease", "read_body", "too_large"]

_CHUNK: Final = 64 * 1024


def too_large(metrics: Metrics | None, limit: str, max_size: int, actual: int) -> web.HTTPException:
    if metrics is not None:
        metrics.limit_exceeded.labels(limit).inc()
    return web.HTTPRequestEntityTooLarge(
        max_size=max_size,
        actual_size=actual,
        text=f"the body is over the limit of {max_size} bytes",
    )


async def read_body(
    request: web.Request, limit: int, *, metrics: Metrics | None = None, name: str = "body_bytes"
) -> bytes:
    """The request body, refused with 413 as soon as it passes ``limit`` bytes.

    Holds whether or not the client sent ``Content-Length``: a chunked body
    is counted as it arrives, so it can never make us hold more than
    ``limit`` plus one chunk.
    """
    declared = request.content_length
    if declared is not None and declared > limit:
        raise too_large(metrics, name, limit, declared)
    parts: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise too_large(metrics, name, limit, size)
        parts.append(chunk)
    return b"".join(parts)


@dataclass(slots=True)
class Lease:
    limiter: ConnectionLimiter
    ip: str
    token: str
    released: bool = False

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.limiter._release(self.ip, self.token)


class ConnectionLimiter:
    """Counts open WebSocket clients per IP address and per token."""

    def __init__(self, per_ip: int, per_token: int, metrics: Metrics) -> None:
        self.per_ip = per_ip
        self.per_token = per_token
        self._metrics = metrics
        self._ips: Counter[str] = Counter()
        self._tokens: Counter[str] = Counter()

    def acquire(self, ip: str, token: str) -> Lease:
        """A lease on one connection; raises 429 when either count is full."""
        if self._ips[ip] >= self.per_ip:
            self._metrics.limit_exceeded.labels("connections_per_ip").inc()
            raise web.HTTPTooManyRequests(
                text=f"too many connections from this address (limit {self.per_ip})",
                headers={"Retry-After": "5"},
            )
        if self._tokens[token] >= self.per_token:
            self._metrics.limit_exceeded.labels("connections_per_token").inc()
            raise web.HTTPTooManyRequests(
                text=f"too many connections with this token (limit {self.per_token})",
                headers={"Retry-After": "5"},
            )
        self._ips[ip] += 1
        self._tokens[token] += 1
        return Lease(self, ip, token)

    def _release(self, ip: str, token: str) -> None:
        for counts, key in ((self._ips, ip), (self._tokens, token)):
            counts[key] -= 1
            if counts[key] <= 0:
                del counts[key]
