"""The moderator's dashboard (``stream`` channel) in gateway mode is serve's.

Real redis-server, a real worker process, the gateway and ``serve`` in this
process, real WebSocket clients: the same recording gives a moderator the
same review queue (flagged comments with their evidence) on both, and a
one-click decision round-trips through the gateway with its audit row
committed before the ack, as in ``serve``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from roomwatch.config import settings_from_dict
from roomwatch.core.result import Result
from roomwatch.core.verdict import Verdict
from roomwatch.service import Service
from tests.streams.conftest import (
    RECORDING,
    Outcome,
    RedisServer,
    deployment,
    stream_config,
)
from tests.streams.test_actions import WsClient, connect
from tests.support.wait import wait_for

ROOM = "county-apples-1126"
MODERATOR = "moderator-token-0123456789abcd"
MODERATOR2 = "moderator2-token-0123456789ab"
ELSEWHERE = "moderator3-token-0123456789ab"
TOKENS = [
    {"token": "ingest-token-0123456789abcdef", "role": "ingest", "name": "t"},
    {"token": MODERATOR, "role": "moderator", "name": "mod-1"},
    {"token": MODERATOR2, "role": "moderator", "name": "mod-2"},
    {"token": ELSEWHERE, "role": "moderator", "name": "mod-3", "rooms": ["elsewhere"]},
]


def review(frames: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The review queue as a dashboard knows it: its snapshot, then the changes."""
    held: dict[str, dict[str, Any]] = {}
    for f in frames:
        if f.get("type") == "snapshot":
            held = {i["id"]: i for i in f.get("review", ())}
        changes = f.get("review") if f.get("type") == "batch" else f
        if f.get("type") in ("batch", "review") and isinstance(changes, dict):
            for item in changes.get("added", ()):
                held[item["id"]] = item
            for gone in changes.get("removed", ()):
                held.pop(gone["id"], None)
    return held


async def snapshot(base: str) -> dict[str, dict[str, Any]]:
    async with connect(base, "stream", MODERATOR2) as client:

        def first() -> list[dict[str, Any]]:
            return [f for f in client.frames if f.get("type") == "snapshot"][:1]

        await wait_for(first, 30, what="the stream channel's snapshot")
        return review(first())


async def decide(client: WsClient, item: str) -> dict[str, Any]:
    return await client.call(action="hide", room=ROOM, ids=[item])


async def test_the_moderator_sees_the_same_review_queue_on_the_gateway_as_on_serve(
    tmp_path: Path, redis_server: RedisServer, rclient: Redis, analyzer: Any, embedded: Outcome
) -> None:
    expected = len(embedded.verdicts)
    assert expected > 1000, expected

    # serve, fed the recording by a replay source.
    served: list[int] = [0]

    def count(results: list[Result]) -> None:
        served[0] += sum(isinstance(r, Verdict) for r in results)

    raw = stream_config(tmp_path, redis_server.url, replay=RECORDING)
    raw["tokens"] = TOKENS
    serve_raw = {k: v for k, v in raw.items() if k != "streams"}
    serve_raw["store"] = {"path": str(tmp_path / "serve.sqlite3")}
    # The replay source floods serve; compare every verdict, as workers give
    # one per record (they never degrade), so no overload shedding here.
    serve_raw["pipeline"] = {**serve_raw.get("pipeline", {}), "overload_degrade": False}
    serve_settings = settings_from_dict(serve_raw, environ={})
    async with Service(
        serve_settings, analyzer=analyzer, registry=CollectorRegistry(), extra_outputs=[count]
    ) as svc:
        await wait_for(lambda: served[0] >= expected, 120, what="serve's verdicts")
        on_serve = await snapshot(svc.url)
        async with connect(svc.url, "stream", MODERATOR) as mod:
            first = sorted(on_serve)[0]
            served_reply = await decide(mod, first)
    assert on_serve, "the recording should flag comments (else this compares nothing)"
    assert served_reply["type"] == "ack", served_reply

    # The gateway and a worker, fed the same recording.
    async with deployment(tmp_path, rclient, raw) as d:
        gateway = d.gateway
        await wait_for(lambda: gateway.review.fed >= expected, 120, what="the gateway's verdicts")
        assert gateway.review.fed == expected
        on_gateway = await snapshot(gateway.url)
        assert on_gateway == on_serve

        async with (
            connect(gateway.url, "stream", MODERATOR) as mod,
            connect(gateway.url, "stream", MODERATOR2) as other,
            connect(gateway.url, "stream", ELSEWHERE) as elsewhere,
        ):
            await wait_for(
                lambda: any(f.get("type") == "snapshot" for f in other.frames),
                30,
                what="the second dashboard's snapshot",
            )
            # The gate is serve's: a moderator of other rooms can't act here.
            refused = await decide(elsewhere, first)
            assert refused["type"] == "error", refused
            reply = await decide(mod, first)
            assert reply["type"] == "ack", reply
            decision = reply["decision"]
            served_decision = served_reply["decision"]
            assert decision["ids"] == [first]
            for key in ("action", "room", "actor", "ids", "items", "count", "status"):
                assert decision[key] == served_decision[key], key
            # Every dashboard sees the item go.
            await wait_for(
                lambda: first not in review(other.frames),
                30,
                what="the hidden item leaving the other dashboard",
            )
            # The ack came after the audit row was committed (the hub waits for it).
            assert gateway.store is not None
            rows = await gateway.store.audits(room=ROOM)
            assert any(
                r.action == "moderation.hide" and r.target_id == first and r.actor == "mod-1"
                for r in rows
            ), rows
            again = await decide(mod, first)
            assert again["type"] == "error" and again["error"] == "not_found", again
