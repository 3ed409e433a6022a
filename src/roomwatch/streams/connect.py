"""The one place the roles open a Redis connection."""

from __future__ import annotations

from redis.asyncio import Redis

__all__ = ["connect"]


def connect(url: str) -> Redis:
    """A client for ``url``; a dead server fails a command within seconds, not minutes."""
    client: Redis = Redis.from_url(
        url,
        socket_timeout=5.0,
        socket_connect_timeout=2.0,
        health_check_interval=10,
        retry_on_timeout=False,
    )
    return client
