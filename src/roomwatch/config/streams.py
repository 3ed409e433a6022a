"""``[streams]``: scaling out over Redis Streams (``roomwatch gateway`` / ``worker``).

``roomwatch serve`` never reads this table: it runs the whole pipeline in one
process with in-process queues. ``docs/streams.md`` explains the layout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Final

from msgspec import Meta

from roomwatch.config.types import NonNegativeInt, PositiveFloat, PositiveInt

__all__ = ["StreamsSettings"]


#: The shortest ``action_secret`` a gateway or worker starts with.
MIN_SECRET_CHARS: Final = 32


@dataclass(frozen=True, slots=True)
class StreamsSettings:
    """The Redis Streams that join a gateway to its workers (docs/streams.md)."""

    #: The Redis server, e.g. ``redis://127.0.0.1:6379/0``. Only the gateway
    #: and worker roles connect; ``serve`` ignores it.
    redis_url: str = "redis://127.0.0.1:6379/0"
    #: Prefix of every key roomwatch writes, so several deployments can share a server.
    prefix: Annotated[str, Meta(pattern=r"^[A-Za-z0-9_.:-]+$")] = "roomwatch"
    #: Input shards. A room always goes to shard ``crc32(room) % shards``;
    #: change it only with empty streams. At most this many workers share
    #: the work; rooms should far outnumber shards (docs/running-at-scale.md).
    shards: Annotated[int, Meta(ge=1, le=1024)] = 16
    #: A shard's owner renews its lease this often; a dead owner's lease
    #: runs out after ``lease_ttl_s`` and another worker takes the shard over.
    #: The gateway's lease (one gateway per deployment) has the same TTL.
    lease_ttl_s: PositiveFloat = 5.0
    #: Pending entries idle this long are claimed (XAUTOCLAIM) by the shard's new owner.
    claim_idle_s: PositiveFloat = 2.0
    #: Most entries a worker reads from one shard per batch.
    batch_max: PositiveInt = 512
    #: How long one XREADGROUP waits for new entries.
    block_ms: PositiveInt = 100
    #: Input entries are kept this long after they were acknowledged: a new
    #: owner rebuilds a shard's per-room state from what is kept, so this is
    #: the state rebuild window.
    retain_s: PositiveFloat = 3600.0
    #: ... and at most this many per shard (never trimming an unacknowledged
    #: entry or one after the last processed one).
    max_len: PositiveInt = 1_000_000
    #: Output entries (verdicts, stage events) kept: the gateway trims the output
    #: stream to this many, never past one it has not handed on, and the dead
    #: letters to the newest this many.
    out_max_len: PositiveInt = 100_000
    #: How often each worker trims its shards (and the gateway the output stream).
    trim_interval_s: PositiveFloat = 5.0
    #: Records the gateway holds while Redis is unreachable; past it, new
    #: records are refused (HTTP 429, counted), never dropped silently.
    spool_max: PositiveInt = 100_000
    #: The spool's append-only file (kept across a gateway restart); empty: memory only.
    spool_path: str = "var/spool/gateway.jsonl"
    #: The worker's ``/metrics`` and ``/healthz`` port (0: any free port, logged).
    worker_port: Annotated[int, Meta(ge=0, le=65535)] = 8687
    #: The worker's name in leases and the consumer group; empty: host and pid.
    worker_name: str = ""
    #: Record ids (or content hashes) remembered per shard to drop redelivered copies.
    idempotency_window: NonNegativeInt = 200_000
    #: The key that signs client actions (HMAC-SHA256) from the gateway to
    #: the workers, so that only a gateway can act for a role: a worker sends
    #: an entry without a good signature to the dead letters. The gateway and
    #: every worker need the same one, at least 32 characters (say,
    #: `openssl rand -hex 32`); neither starts without it. Left empty here, it
    #: is read from the environment variable ROOMWATCH_ACTION_SECRET (what
    #: docker-compose.yml passes from .env); it may also be "env:NAME".
    action_secret: str = field(default="", repr=False, metadata={"secret": True, "env": True})
