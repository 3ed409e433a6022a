"""The hub over real WebSocket connections (aiohttp test server)."""

import asyncio
import gc
import json
import random
import string

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry

from roomwatch.config import HubSettings, Token
from roomwatch.metrics import Metrics
from roomwatch.sinks.hub import Hub
from tests.support.wait import wait_for

HOST = Token(token="host-token-123", role="host", name="host")
ONLY_A = Token(token="helper-a-token", role="helper", name="helper-a", rooms=("room-a",))


async def start(settings: HubSettings) -> tuple[Hub, Metrics, TestClient]:
    metrics = Metrics(CollectorRegistry())
    hub = Hub(settings, metrics)

    async def handler(request: web.Request) -> web.StreamResponse:
        token = ONLY_A if request.query.get("who") == "a" else HOST
        since = request.query.get("since")
        rooms = request.query.get("rooms")
        return await hub.serve(
            request,
            request.match_info["channel"],
            token,
            rooms=frozenset(rooms.split(",")) if rooms else None,
            since=int(since) if since is not None else None,
            epoch=request.query.get("epoch"),
        )

    app = web.Application()
    app.router.add_get("/ws/{channel}", handler)
    client = TestClient(TestServer(app))
    await client.start_server()
    return hub, metrics, client


async def recv(ws: aiohttp.ClientWebSocketResponse) -> dict:
    msg = await asyncio.wait_for(ws.receive(), 5)
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    return json.loads(msg.data)


async def test_snapshot_then_live_messages_with_sequence_numbers():
    hub, _, client = await start(HubSettings())
    hub.set_snapshot("host", lambda c: [{"room": "room-a", "items": [1, 2]}])
    hub.publish("host", "room-a", {"type": "added", "n": 1})
    async with client.ws_connect("/ws/host") as ws:
        hello = await recv(ws)
        assert hello["type"] == "hello" and hello["seq"] == 1
        snap = await recv(ws)
        assert snap == {
            "type": "snapshot",
            "room": "room-a",
            "items": [1, 2],
            "seq": 1,
            "channel": "host",
        }
        hub.publish("host", "room-a", {"type": "updated", "n": 2})
        live = await recv(ws)
        assert live["type"] == "updated" and live["seq"] == 2 and live["room"] == "room-a"
    await hub.close()
    await client.close()


async def test_token_rooms_and_requested_rooms_filter_messages():
    hub, _, client = await start(HubSettings())
    async with (
        client.ws_connect("/ws/host?who=a") as ws_a,
        client.ws_connect("/ws/host?rooms=room-b") as ws_b,
    ):
        assert (await recv(ws_a))["type"] == "hello"
        assert (await recv(ws_b))["type"] == "hello"
        hub.publish("host", "room-b", {"type": "added", "x": "b"})
        hub.publish("host", "room-a", {"type": "added", "x": "a"})
        assert (await recv(ws_a))["x"] == "a"  # room-b was filtered out for the helper
        assert (await recv(ws_b))["x"] == "b"
    await hub.close()
    await client.close()


async def test_resume_with_since_gets_only_missed_messages():
    hub, _, client = await start(HubSettings(resume_buffer=10))
    hub.set_snapshot("host", lambda c: [{"room": "room-a", "items": []}])
    for i in range(5):
        hub.publish("host", "room-a", {"type": "added", "i": i})
    async with client.ws_connect(f"/ws/host?since=3&epoch={hub.epoch}") as ws:
        hello = await recv(ws)
        # resumed: the client keeps its state (a page must not clear its queue),
        # and its place is still 3 until the missed frames arrive.
        assert hello["type"] == "hello" and hello["resumed"] is True and hello["seq"] == 3
        missed = [await recv(ws), await recv(ws)]
        assert [m["seq"] for m in missed] == [4, 5]
    # A seq from another process (sequence numbers start again in each): a snapshot.
    async with client.ws_connect("/ws/host?since=3&epoch=0000dead") as ws:
        hello = await recv(ws)
        assert hello["resumed"] is False and hello["seq"] == 5
        assert (await recv(ws))["type"] == "snapshot"
    # Too old for the buffer: a fresh snapshot instead.
    for i in range(20):
        hub.publish("host", "room-a", {"type": "added", "i": i})
    async with client.ws_connect("/ws/host?since=2") as ws:
        hello = await recv(ws)
        assert hello["type"] == "hello" and hello["resumed"] is False
        assert (await recv(ws))["type"] == "snapshot"
    await hub.close()
    await client.close()


async def test_slow_client_loses_oldest_and_never_blocks_publish():
    hub, metrics, client = await start(HubSettings(client_queue=10))
    ws = await client.ws_connect("/ws/moderator")
    assert (await recv(ws))["type"] == "hello"
    # The client reads nothing while we publish a flood, all synchronously.
    for i in range(5000):
        hub.publish("moderator", "room-a", {"type": "verdict", "i": i, "pad": "x" * 200})
    # publish() is synchronous and only appends to a bounded buffer.
    reader = next(iter(hub._channels["moderator"].clients))
    assert len(reader.queue) <= 10
    dropped = metrics.registry.get_sample_value(
        "roomwatch_component_discarded_events_total",
        {"component_kind": "sink", "component_id": "hub/moderator", "reason": "oldest_dropped"},
    )
    assert dropped is not None and dropped > 0
    # What it eventually reads ends with the newest message.
    seen = []
    while True:
        m = await recv(ws)
        seen.append(m)
        if m.get("i") == 4999:
            break
    assert any(m["type"] == "dropped" for m in seen)
    await ws.close()
    await hub.close()
    await client.close()


async def test_disconnect_policy_closes_slow_clients():
    hub, metrics, client = await start(HubSettings(client_queue=5, slow_client="disconnect"))
    ws = await client.ws_connect("/ws/alerts")
    for i in range(100):
        hub.publish("alerts", None, {"type": "open", "i": i})
    closed = None
    for _ in range(200):
        msg = await asyncio.wait_for(ws.receive(), 5)
        if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
            closed = msg
            break
    assert closed is not None
    assert ws.close_code == 1013
    assert (
        metrics.registry.get_sample_value(
            "roomwatch_component_discarded_events_total",
            {"component_kind": "sink", "component_id": "hub/alerts", "reason": "disconnected"},
        )
        > 0
    )
    await hub.close()
    await client.close()


async def test_actions_get_replies_and_bad_messages_errors():
    hub, _, client = await start(HubSettings())

    async def handler(c, message):
        return {"type": "ack", "action": message["action"], "by": c.token.label}

    hub.set_handler("host", handler)
    async with client.ws_connect("/ws/host") as ws:
        await recv(ws)
        await ws.send_str(json.dumps({"action": "claim", "ref": 7}))
        reply = await recv(ws)
        assert reply == {"type": "ack", "action": "claim", "by": "host", "ref": 7}
        await ws.send_str("not json")
        err = await recv(ws)
        assert err["type"] == "error" and err["ok"] is False and err["error"] == "bad_request"
        assert "bad message" in err["detail"]
    async with client.ws_connect("/ws/moderator") as ws:
        await recv(ws)
        await ws.send_str(json.dumps({"action": "x", "ref": 1}))
        err = await recv(ws)
        assert err["type"] == "error" and err["ref"] == 1
    await hub.close()
    await client.close()


async def test_close_sends_going_away():
    hub, _, client = await start(HubSettings())
    ws = await client.ws_connect("/ws/host")
    await recv(ws)
    await hub.close()
    msg = await asyncio.wait_for(ws.receive(), 5)
    # The code in the server's close frame. (ws.close_code turns into 1006
    # when the client's reply finds the server already gone, which is
    # timing, not what the server sent.)
    assert msg.type == aiohttp.WSMsgType.CLOSE
    assert msg.data == 1001
    await client.close()


@pytest.mark.parametrize("channel", ["host", "moderator", "alerts"])
def test_channels_exist(channel):
    hub = Hub(HubSettings(), Metrics(CollectorRegistry()))
    assert hub.publish(channel, None, {"type": "x"}) == 1


async def test_a_client_dropping_mid_send_leaves_no_failed_task():
    """Large frames go out compressed in a task aiohttp shields; a peer that
    vanishes while one is in flight must not leave that task failing unseen."""
    loop = asyncio.get_running_loop()
    errors: list[str] = []
    loop.set_exception_handler(lambda _loop, ctx: errors.append(str(ctx.get("message"))))
    hub, _, client = await start(HubSettings())
    before = asyncio.all_tasks()
    rng = random.Random(7)
    big = "".join(rng.choice(string.ascii_letters) for _ in range(200_000))
    for attempt in range(10):
        ws = await client.ws_connect("/ws/host", compress=15)
        await ws.receive()
        for i in range(20):
            hub.publish("host", "room-a", {"type": "added", "blob": big + str(i)})
        await asyncio.sleep(0.001 * (attempt % 5))
        assert ws._response.connection is not None
        ws._response.connection.transport.abort()  # the peer vanishes, no close frame
        await wait_for(lambda: hub.clients("host") == 0, what="the hub to drop the client")
    # Every task the sends started (relays, aiohttp's shielded compressed
    # sends) has ended, so any failure among them has happened by now.
    await wait_for(
        lambda: not [t for t in asyncio.all_tasks() - before if t is not asyncio.current_task()],
        what="the tasks of the aborted connections to end",
        show=lambda: asyncio.all_tasks() - before,
    )
    gc.collect()  # unretrieved task exceptions are reported when tasks are freed
    await client.close()
    assert errors == []
