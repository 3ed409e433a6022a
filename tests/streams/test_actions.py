"""Client actions through the gateway: admitted there, applied by the room's worker.

Real redis-server, real worker processes, a real WebSocket client on the
gateway: a helper claims and answers queue items and every host client sees
them change; a read-only role is refused; the claim survives a ``kill -9``
of the worker (the new owner replays it from the stream's history); an
alert is acknowledged through the gateway.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
from redis.asyncio import Redis

from roomwatch.authz import Authz, Gate, RefusalLog
from roomwatch.config import Token
from roomwatch.core.errors import RecordError
from roomwatch.sinks.hub import Client
from roomwatch.streams.actions import ActionForwarder, Control, ControlCheck, encode_control
from roomwatch.streams.fanout import Views
from roomwatch.streams.layout import decode_entry, shard_of
from roomwatch.streams.spool import SpoolFull
from tests.streams.conftest import (
    INGEST,
    RECORDING,
    SECRET,
    RedisServer,
    deployment,
    post_ingest,
    stream_config,
)
from tests.support.wait import wait_for

HELPER = "helper-token-0123456789abcdef"
HELPER2 = "helper2-token-0123456789abcde"
HOST = "host-token-0123456789abcdefgh"
COMMS = "comms-token-0123456789abcdefg"
COMMS_ELSEWHERE = "comms2-token-0123456789abcdef"
TOKENS = [
    {"token": INGEST, "role": "ingest", "name": "t"},
    {"token": HELPER, "role": "helper", "name": "helper-1"},
    {"token": HELPER2, "role": "helper", "name": "helper-2"},
    {"token": HOST, "role": "host", "name": "host-1"},
    {"token": COMMS, "role": "comms", "name": "comms-1"},
    {"token": COMMS_ELSEWHERE, "role": "comms", "name": "comms-2", "rooms": ["elsewhere"]},
]
ROOM = "room-actions"


class WsClient:
    """A hub client that keeps every frame it gets; ``call`` waits for the reply to ``ref``."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.frames: list[dict[str, Any]] = []
        self._ref = 0
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                self.frames.append(json.loads(msg.data))

    async def call(self, **message: Any) -> dict[str, Any]:
        self._ref += 1
        ref = f"r{self._ref}"
        await self.ws.send_str(json.dumps({**message, "ref": ref}))

        def reply() -> dict[str, Any] | None:
            return next((f for f in self.frames if f.get("ref") == ref), None)

        got = await wait_for(reply, 30, what=f"the reply to {message}", show=lambda: self.frames)
        assert got is not None
        return got

    async def close(self) -> None:
        await self.ws.close()
        await asyncio.gather(self._task, return_exceptions=True)


@asynccontextmanager
async def connect(base: str, channel: str, token: str) -> AsyncIterator[WsClient]:
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{base}/ws/{channel}?token={token}") as ws,
    ):
        client = WsClient(ws)
        try:
            yield client
        finally:
            await client.close()


async def ingest(base: str, text: str, n: int) -> None:
    body = json.dumps({"room": ROOM, "text": text, "ts": time.time(), "id": f"c{n}"})
    await post_ingest(base, body)


def items(frames: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The host queue items as a client following the channel knows them."""
    held: dict[str, dict[str, Any]] = {}
    for f in frames:
        if f.get("type") == "snapshot":
            held.update({i["id"]: i for i in f.get("items", ())})
        elif f.get("type") in ("added", "updated") and isinstance(f.get("item"), dict):
            held[f["item"]["id"]] = f["item"]
    return held


async def test_host_actions_go_through_the_worker_and_survive_a_take_over(
    tmp_path: Path, redis_server: RedisServer, rclient: Redis
) -> None:
    raw = stream_config(tmp_path, redis_server.url)
    raw["tokens"] = TOKENS
    async with deployment(tmp_path, rclient, raw) as d:
        gateway = d.gateway
        base = gateway.url
        async with (
            connect(base, "host", HELPER) as helper,
            connect(base, "host", HOST) as host,
        ):
            await ingest(base, "3号链接多少钱", 1)
            await ingest(base, "请问这个衣服有没有大码", 2)
            await wait_for(lambda: len(items(host.frames)) >= 2, 60, what="two questions")
            a, b = sorted(items(host.frames))[:2]

            # A read-only role is refused at the gateway, as in serve.
            refused = await host.call(action="claim", room=ROOM, id=a)
            assert refused["type"] == "error" and refused["error"] == "forbidden", refused

            claimed = await helper.call(action="claim", room=ROOM, id=a)
            assert claimed["type"] == "ack" and claimed["action"] == "claim", claimed
            await wait_for(
                lambda: items(host.frames)[a].get("claimed_by") == "helper-1",
                30,
                what="the claim on the host channel",
                show=lambda: items(host.frames)[a],
            )
            answered = await helper.call(action="answer", room=ROOM, id=b)
            assert answered["type"] == "ack", answered
            await wait_for(
                lambda: items(host.frames)[b]["state"] == "answered",
                30,
                what="the answer on the host channel",
                show=lambda: items(host.frames)[b],
            )
            # An action the queue refuses is the stage's own error, through the worker.
            again = await helper.call(action="answer", room=ROOM, id=b)
            assert again["type"] == "error" and again["action"] == "answer", again

        assert gateway.store is not None
        await gateway.store.flush()
        rows = await gateway.store.audits(room=ROOM)
        audited = {(r.actor, r.action, r.target_id, r.ok) for r in rows}
        assert ("helper-1", "claim", a, True) in audited, rows
        assert ("helper-1", "answer", b, True) in audited, rows
        # The refusal is audited by the gateway, as serve's gate does.
        assert any(
            r.actor == "host-1" and r.target_kind == "refused" and r.error == "forbidden"
            for r in rows
        ), rows

        # kill -9: the next owner rebuilds the room from the stream, claim included.
        d.workers["w1"].kill()
        d.workers["w1"].wait(10)
        d.start_worker("w2")
        await d.held_by({"w2"}, "the second worker to take every shard over")
        async with connect(base, "host", HELPER2) as helper2:
            taken = await helper2.call(action="claim", room=ROOM, id=a)
        assert taken["type"] == "error" and taken["error"] == "already_claimed", taken
        log = (tmp_path / "w2.log").read_text()
        assert "rebuilt from" in log, log[-2000:]


async def test_an_alert_is_acknowledged_through_the_gateway(
    tmp_path: Path, redis_server: RedisServer, rclient: Redis
) -> None:
    raw = stream_config(tmp_path, redis_server.url, replay=RECORDING)
    raw["tokens"] = TOKENS
    async with deployment(tmp_path, rclient, raw) as d:
        gateway = d.gateway
        async with (
            connect(gateway.url, "alerts", COMMS) as comms,
            connect(gateway.url, "alerts", COMMS_ELSEWHERE) as elsewhere,
        ):

            def an_alert() -> dict[str, Any] | None:
                """The first alert the channel showed (it may have resolved since:
                an ack of a recently resolved alert is taken, as in serve)."""
                for f in comms.frames:
                    if isinstance(f.get("alert"), dict):
                        return dict(f["alert"])
                    if f.get("type") == "snapshot" and f.get("alerts"):
                        return dict(f["alerts"][0])
                return None

            alert = await wait_for(an_alert, 120, what="an alert on the alerts channel")
            assert alert is not None
            # A token for other rooms: another room's alert is "not found", as in serve.
            refused = await elsewhere.call(action="ack", id=alert["id"])
            assert refused["type"] == "error" and refused["error"] == "not_found", refused
            acked = await comms.call(action="ack", id=alert["id"])
            assert acked["type"] == "ack", acked
            assert acked["alert"]["id"] == alert["id"], acked
            assert acked["alert"]["acked_by"] == "comms-1", acked
            await wait_for(
                lambda: any(
                    f.get("type") == "ack" and f.get("alert", {}).get("id") == alert["id"]
                    for f in comms.frames
                ),
                30,
                what="the ack on the alerts channel",
            )
        assert gateway.store is not None
        await gateway.store.flush()
        rows = await gateway.store.audits()
        assert any(
            r.action == "ack" and r.target_id == alert["id"] and r.actor == "comms-1" for r in rows
        ), rows


def test_a_control_entry_decodes_and_a_bad_one_is_a_clear_error() -> None:
    helper = Token(token=HELPER, role="helper", name="helper-1")
    client = Client("host", helper, None, 10)
    message = {"action": "claim", "room": ROOM, "id": "q1"}
    good = encode_control("host", message, client, ROOM, "run:1", gateway="g1", secret=SECRET)
    got = decode_entry("1-0", {"e": json.dumps(good)})
    assert isinstance(got, Control)
    assert (got.channel, got.label, got.key, got.sees) == ("host", "helper-1", "run:1", None)
    assert got.gateway == "g1"
    assert ControlCheck(SECRET)(got) is got
    # stream is moderation's channel, which runs at the gateway: a dead letter, not a crash.
    bad = decode_entry("2-0", {"e": json.dumps({**good, "c": "stream"})})
    assert isinstance(bad, RecordError) and bad.reason == "malformed_entry"
    missing = decode_entry("3-0", {"e": json.dumps({"c": "host", "a": "k"})})
    assert isinstance(missing, RecordError) and missing.reason == "malformed_entry"


async def test_a_full_spool_answers_spool_full_and_a_late_reply_is_counted() -> None:
    helper = Token(token=HELPER, role="helper", name="helper-1")
    gate = Gate(Authz([helper]), RefusalLog())
    sent: list[tuple[str, dict[str, Any]]] = []

    def full(room: str, entry: dict[str, Any]) -> None:
        raise SpoolFull("the gateway's spool holds 1 records")

    client = Client("host", helper, None, 10)
    fwd = ActionForwarder(gate, full, lambda _id: None, gateway="g1", secret=SECRET)
    reply = await fwd.forward("host", client, {"action": "claim", "room": ROOM, "id": "q1"})
    assert reply["error"] == "spool_full" and reply["action"] == "claim", reply

    # A worker's reply to an action whose client gave up waiting is dropped and counted.
    fwd = ActionForwarder(
        gate, lambda room, e: sent.append((room, e)), lambda _id: None, gateway="g1", secret=SECRET
    )
    fwd.timeout_s = 0.01
    reply = await fwd.forward("host", client, {"action": "pin", "room": ROOM, "id": "q1"})
    assert reply["error"] == "timeout", reply
    ((room, entry),) = sent
    signed = json.loads(entry["p"])
    assert room == ROOM and signed["u"]["label"] == "helper-1" and signed["m"]["action"] == "pin"
    assert signed["g"] == "g1"
    fwd.resolve(signed["a"], {"type": "ack"})
    assert fwd.late == 1


def test_the_gateway_routes_an_ack_of_a_resolved_alert_to_its_room() -> None:
    views = Views()
    alert = {"id": "al-1", "room": ROOM, "state": "open"}
    views.event("alerts", ROOM, {"type": "open", "alert": alert})
    views.event("alerts", ROOM, {"type": "resolve", "alert": {**alert, "state": "resolved"}})
    assert views.alert_room("al-1") == ROOM  # serve takes an ack of a recently resolved alert
    assert views.alert_room("al-never") is None


async def test_a_forged_action_is_a_dead_letter_and_is_not_applied(
    tmp_path: Path, redis_server: RedisServer, rclient: Redis
) -> None:
    """Anyone who can write to Redis can add a control entry; only the gateway's
    signature makes a worker apply it."""
    raw = stream_config(tmp_path, redis_server.url)
    raw["tokens"] = TOKENS
    prefix = raw["streams"]["prefix"]
    async with deployment(tmp_path, rclient, raw) as d:
        gateway = d.gateway
        async with connect(gateway.url, "host", HELPER) as helper:
            await ingest(gateway.url, "3号链接多少钱", 1)
            await wait_for(lambda: items(helper.frames), 60, what="a question")
            (item,) = items(helper.frames)
            claim = {"action": "claim", "room": ROOM, "id": item}
            mallory = Client("host", Token(token="-", role="admin", name="mallory"), None, 10)
            unsigned = {
                "c": "host",
                "m": claim,
                "u": {"role": "admin", "label": "mallory", "rooms": ["*"], "sees": None},
                "a": "forged:1",
                "room": ROOM,
            }
            wrong = encode_control(
                "host", claim, mallory, ROOM, "forged:2", gateway="x", secret="not-the-secret" * 3
            )
            shard = f"{prefix}:in:{shard_of(ROOM, 4)}"
            for entry in (unsigned, wrong):
                await rclient.xadd(shard, {"e": json.dumps(entry)})
            # After those (same shard, in order): the helper's own claim applies.
            claimed = await helper.call(**claim)
            assert claimed["type"] == "ack", claimed
            assert claimed["item"]["claimed_by"] == "helper-1", claimed
        dead = [json.loads(f[b"d"]) for _, f in await rclient.xrange(f"{prefix}:dead", "-", "+")]
        assert [d["error"]["reason"] for d in dead] == ["unsigned", "bad_signature"], dead
        log = (tmp_path / "w1.log").read_text()
        port = re.search(r"metrics on http://[\d.]+:(\d+)", log)
        assert port is not None, log
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port.group(1)}/metrics") as resp,
        ):
            text = await resp.text()
        for reason in ("unsigned", "bad_signature"):
            line = f'roomwatch_stream_control_refused_entries_total{{reason="{reason}"}} 1.0'
            assert line in text, text
