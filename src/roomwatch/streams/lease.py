"""One gateway per deployment: a lease in Redis, taken at start and kept.

The gateway is where the fan-out's consumer group reads the output stream,
where the moderation stage's review queue lives
(:mod:`roomwatch.streams.review`), and where a worker's reply to a client
action comes back to the client that waits for it. Two gateways would
split the output entries between them (one consumer group), each showing
its clients half of the events, and a reply could reach the one whose
client is not waiting. So a gateway holds ``<prefix>:gateway``
(``SET NX PX streams.lease_ttl_s``, renewed every third of it) and a second
one refuses to start:

* at start, a lease held by another gateway is waited for up to its TTL
  (a predecessor that was killed lets it run out), then the start fails
  with :class:`GatewayTaken`, naming the holder;
* with Redis away at start the gateway starts (it spools, as it must), and
  takes the lease once Redis answers;
* a gateway that finds its lease held by another (it was cut off longer
  than the TTL and another one started) logs it and stops itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Final

from redis.asyncio import Redis
from redis.exceptions import RedisError

from roomwatch.streams.scripts import RELEASE, RENEW

__all__ = ["GatewayLease", "GatewayTaken", "gateway_key"]

logger = logging.getLogger(__name__)

_POLL_S: Final = 0.2


def gateway_key(prefix: str) -> str:
    return f"{prefix}:gateway"


class GatewayTaken(RuntimeError):
    """Another gateway holds the lease: this one must not start."""


class GatewayLease:
    def __init__(
        self, redis: Redis, prefix: str, name: str, ttl_s: float, on_lost: Callable[[], None]
    ) -> None:
        self.redis = redis
        self.key = gateway_key(prefix)
        self.name = name
        self._ttl_ms = max(1, int(ttl_s * 1000))
        self._renew = redis.register_script(RENEW)
        self._release = redis.register_script(RELEASE)
        self._on_lost = on_lost
        #: Whether this gateway holds the lease (as of the last answer from Redis).
        self.held = False

    async def acquire(self) -> None:
        """Take the lease, waiting up to its TTL for a dead holder's to run out.

        Raises :class:`GatewayTaken` if another gateway keeps it. With Redis
        unreachable, returns without it (:meth:`keep` takes it later).
        """
        loop = asyncio.get_running_loop()
        end = loop.time() + self._ttl_ms / 1000 + 0.5
        holder: str | None = None
        while True:
            try:
                if await self._take():
                    return
                raw = await self.redis.get(self.key)
            except (RedisError, OSError) as exc:
                logger.warning("gateway: Redis unreachable at start (%r); lease taken later", exc)
                return
            holder = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
            if loop.time() >= end:
                raise GatewayTaken(
                    f"roomwatch gateway: another gateway ({holder}) holds {self.key}: one "
                    "gateway runs per "
                    "deployment (docs/streams.md, 'One gateway')"
                )
            await asyncio.sleep(_POLL_S)

    async def _take(self) -> bool:
        r = self.redis
        if await r.set(self.key, self.name, nx=True, px=self._ttl_ms):
            self.held = True
            return True
        if await self._renew(keys=[self.key], args=[self.name, self._ttl_ms]):
            self.held = True
            return True
        return False

    async def keep(self) -> None:
        """Renew the lease every third of its TTL until cancelled."""
        failing = False
        while True:
            await asyncio.sleep(self._ttl_ms / 3000)
            try:
                ours = await self._take()
            except (RedisError, OSError) as exc:
                if not failing:
                    logger.warning("gateway: renewing the gateway lease failed: %r", exc)
                failing = True
                continue
            failing = False
            if not ours:
                self.held = False
                raw = await self.redis.get(self.key)
                logger.critical(
                    "gateway: another gateway (%r) holds %s; this one stops", raw, self.key
                )
                self._on_lost()
                return

    async def release(self) -> None:
        """Give the lease back (a clean stop: the next gateway starts at once)."""
        with contextlib.suppress(RedisError, OSError):
            await self._release(keys=[self.key], args=[self.name])
        self.held = False
