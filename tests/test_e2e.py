"""End to end: the real service on a free port, fed over real HTTP and a real
upstream WebSocket, watched by real WebSocket clients."""

from __future__ import annotations

import asyncio
import io
import json
from collections import Counter
from typing import Any

import aiohttp
import pytest
import websockets
from websockets.asyncio.server import serve

from roomwatch.compose.sources import build_source
from roomwatch.config import WebSocketSourceSettings
from roomwatch.service import Service

from .conftest import SAMPLES, TOKENS, queue_state, read_recording, read_truth
from .support.hub import queue_lag, sync
from .support.wait import wait_for

COMMERCE = "beauty-live-1126"
ZHUNONG = "county-apples-1126"


class Watcher:
    """A WebSocket client of one hub channel that keeps everything it gets."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url
        self.messages: list[dict[str, Any]] = []
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Watcher:
        self.ws = await self.session.ws_connect(self.url)
        self._task = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        assert self.ws is not None
        async for msg in self.ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                self.messages.append(json.loads(msg.data))

    async def __aexit__(self, *exc: object) -> None:
        assert self.ws is not None and self._task is not None
        await self.ws.close()
        await self._task

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("type") == kind]


async def test_sample_recording_over_http_and_websocket(service: Service) -> None:
    records = read_recording(SAMPLES / "demo.jsonl.gz")
    truth = read_truth(SAMPLES / "demo.truth.jsonl.gz")
    over_ws = [r for r in records if r["room"] == COMMERCE]
    over_http = [r for r in records if r["room"] == ZHUNONG]
    assert over_ws and over_http

    # An upstream that sends the commerce room in frames of 50 records,
    # alternating JSON arrays and NDJSON, as a platform bridge would.
    sent = asyncio.Event()

    async def upstream(conn: websockets.asyncio.server.ServerConnection) -> None:
        for i in range(0, len(over_ws), 50):
            chunk = over_ws[i : i + 50]
            if (i // 50) % 2:
                frame = "\n".join(json.dumps(r, ensure_ascii=False) for r in chunk)
            else:
                frame = json.dumps(chunk, ensure_ascii=False)
            await conn.send(frame)
        sent.set()
        await conn.wait_closed()

    base = service.url
    async with serve(upstream, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        async with aiohttp.ClientSession() as session:
            host_url = f"{base}/ws/host?token={TOKENS['host']}"
            mod_url = f"{base}/ws/moderator?token={TOKENS['moderator']}"
            async with Watcher(session, host_url) as host, Watcher(session, mod_url) as mod:
                spec = WebSocketSourceSettings(f"ws://127.0.0.1:{port}/", name="bridge")
                service.run_source(build_source(spec, service.settings, service.graph))
                headers = {"Authorization": f"Bearer {TOKENS['ingest']}"}
                for i in range(0, len(over_http), 500):
                    body = "\n".join(
                        json.dumps(r, ensure_ascii=False) for r in over_http[i : i + 500]
                    )
                    async with session.post(
                        f"{base}/ingest", data=body.encode(), headers=headers
                    ) as resp:
                        assert resp.status == 200
                        answer = await resp.json()
                        assert answer["rejected"] == 0
                        assert answer["accepted"] + answer["duplicates"] == len(
                            over_http[i : i + 500]
                        )
                await asyncio.wait_for(sent.wait(), 60)
                # Let the last frames reach the clients: the moderator's are
                # published with each batch, the host's held-back updates on a
                # tick. A host client that fell behind and lost frames (told
                # by a "dropped" message) can't catch up, so stop there.
                await wait_for(
                    lambda: service.pipeline.processed >= len(records),
                    60,
                    what="every record to be processed",
                    show=lambda: service.pipeline.processed,
                )
                await sync(mod.ws, mod.messages, "e2e-last")
                await wait_for(
                    lambda: (
                        host.of_type("dropped")
                        or not any(
                            queue_lag(host.messages, service, r) for r in (COMMERCE, ZHUNONG)
                        )
                    ),
                    60,
                    what="the host client's queue to catch up with the server's",
                )

    assert service.pipeline.processed == len(records)

    # Moderator: flagged verdicts with their comment; the scripted abuse is there.
    verdicts = [m["verdict"] for m in mod.of_type("verdict")]
    assert {v["label"] for v in verdicts} <= {"abuse", "spam", "grievance"}
    flagged_abuse = {v["id"] for v in verdicts if v["label"] == "abuse"}
    true_abuse = {i for i, label in truth.items() if label == "abuse"}
    assert len(flagged_abuse & true_abuse) >= 0.6 * len(true_abuse)
    assert all(v["text"] and v["reasons"] is not None for v in verdicts)
    # Nothing the moderator sees should be a plain question.
    true_question = {i for i, label in truth.items() if label == "question"}
    assert len(flagged_abuse & true_question) <= 0.02 * len(true_question)

    # Host: questions folded into items; rebuilt state is ranked by askers.
    for room in (COMMERCE, ZHUNONG):
        state = queue_state(host.messages, room)
        assert state, f"no questions reached the host for {room}"
        top = max(state.values(), key=lambda i: i["askers"])
        assert top["count"] >= 10 and top["askers"] >= 5
        assert any(len(i["wordings"]) >= 2 for i in state.values()), "nothing was folded"

    # A host client connecting now gets a snapshot ranked best first.
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(
            f"{base}/ws/host?token={TOKENS['host']}&rooms={COMMERCE}"
        ) as ws:
            hello = json.loads((await ws.receive()).data)
            assert hello["type"] == "hello"
            snap = json.loads((await ws.receive()).data)
            assert snap["type"] == "snapshot" and snap["room"] == COMMERCE
            scores = [i["score"] for i in snap["items"] if not i["pinned"]]
            assert scores == sorted(scores, reverse=True)
            # 3号 and 5号 price questions stay apart.
            links = Counter(i["slots"].get("link") for i in snap["items"] if i["slots"].get("link"))
            assert len(links) >= 2

    # Metrics saw both sources.
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base}/metrics") as resp:
            text = await resp.text()
    sent = "roomwatch_component_sent_events_total"
    assert f'{sent}{{component_id="http",component_kind="source"}}' in text
    assert f'{sent}{{component_id="bridge",component_kind="source"}}' in text
    assert "roomwatch_stage_duration_seconds_bucket" in text


async def test_slow_host_client_does_not_stall_the_pipeline(service: Service) -> None:
    records = read_recording(SAMPLES / "demo.jsonl.gz")[:6000]
    base = service.url
    async with aiohttp.ClientSession() as session:
        # A client that connects and then never reads a byte.
        slow = await session.ws_connect(f"{base}/ws/host?token={TOKENS['host']}")
        async with Watcher(session, f"{base}/ws/host?token={TOKENS['helper']}") as fast:
            headers = {"Authorization": f"Bearer {TOKENS['ingest']}"}
            body = "\n".join(json.dumps(r, ensure_ascii=False) for r in records)
            async with session.post(
                f"{base}/ingest", data=io.BytesIO(body.encode()), headers=headers
            ) as resp:
                assert resp.status == 200
            await wait_for(lambda: service.pipeline.processed >= len(records), 60)
            await wait_for(lambda: len(fast.messages) > 10, 60)
        # The pipeline finished without waiting for the slow reader ...
        assert service.pipeline.processed == len(records)
        # ... and its buffer stayed bounded: what it can't take is dropped and counted.
        clients = [c for c in service.hub._channels["host"].clients]
        assert all(len(c.queue) <= service.settings.hub.client_queue for c in clients)
        await slow.close()


async def test_bad_records_rejected_with_reasons_good_ones_pass(service: Service) -> None:
    base = service.url
    body = (
        "\n".join(
            [
                json.dumps(
                    {"room": "r1", "text": "你们这个主播是傻逼吧", "id": "ok-1"}, ensure_ascii=False
                ),
                "{not json",
                json.dumps({"room": "r1"}),
                json.dumps({"room": "r1", "text": 42}),
                json.dumps({"room": "r1", "text": "x" * 20_000}),
                json.dumps(
                    {"room": "r1", "text": "加v看主页 wx123456 便宜", "id": "ok-2"},
                    ensure_ascii=False,
                ),
                json.dumps(
                    {"room": "r1", "text": "加v看主页 wx123456 便宜", "id": "ok-2"},
                    ensure_ascii=False,
                ),
            ]
        ).encode()
        + b"\n\xff\xfe\n"
    )
    async with aiohttp.ClientSession() as session:
        async with Watcher(session, f"{base}/ws/moderator?token={TOKENS['moderator']}") as mod:
            async with session.post(
                f"{base}/ingest", data=body, headers={"Authorization": f"Bearer {TOKENS['ingest']}"}
            ) as resp:
                assert resp.status == 200
                answer = await resp.json()
            await wait_for(lambda: len(mod.of_type("verdict")) >= 2, 20)
    assert answer["accepted"] == 2
    assert answer["duplicates"] == 1
    assert answer["rejected"] == 5
    reasons = [(e["index"], e["reason"], e.get("field")) for e in answer["errors"]]
    assert reasons == [
        (1, "not_json", None),
        (2, "missing_field", "text"),
        (3, "wrong_type", "text"),
        (4, "too_large", "text"),
        (7, "invalid_utf8", None),
    ]
    labels = {m["verdict"]["id"]: m["verdict"]["label"] for m in mod.of_type("verdict")}
    assert labels == {"ok-1": "abuse", "ok-2": "spam"}
    # And the service is still up and counting.
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base}/metrics") as resp:
            text = await resp.text()
    discarded = "roomwatch_component_discarded_events_total"
    assert (
        f'{discarded}{{component_id="http",component_kind="source",reason="not_json"}} 1.0' in text
    )
    assert (
        f'{discarded}{{component_id="pipeline",component_kind="transform",reason="duplicate"}} 1.0'
        in text
    )


async def test_all_rejected_is_a_400_with_reasons(service: Service) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{service.url}/ingest",
            data=b'[{"room": "r"}, 3]',
            headers={"Authorization": f"Bearer {TOKENS['ingest']}"},
        ) as resp:
            assert resp.status == 400
            answer = await resp.json()
    assert answer["accepted"] == 0 and answer["rejected"] == 2
    assert [e["reason"] for e in answer["errors"]] == ["missing_field", "not_object"]


@pytest.mark.parametrize(
    ("channel", "query", "status"),
    [
        ("host", "", 401),
        ("host", "?token=wrong-token-1234", 403),
        ("host", f"?token={TOKENS['moderator']}", 403),
        ("moderator", f"?token={TOKENS['host']}", 403),
        ("moderator", f"?token={TOKENS['ingest']}", 403),
        ("alerts", f"?token={TOKENS['helper']}", 403),
        ("nope", f"?token={TOKENS['admin']}", 404),
    ],
)
async def test_wrong_and_missing_tokens_are_refused(
    service: Service, channel: str, query: str, status: int
) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as info:
            await session.ws_connect(f"{service.url}/ws/{channel}{query}")
        assert info.value.status == status


@pytest.mark.parametrize(
    ("channel", "role"),
    [
        ("host", "host"),
        ("host", "helper"),
        ("moderator", "moderator"),
        ("alerts", "comms"),
        ("alerts", "admin"),
    ],
)
async def test_right_tokens_are_accepted(service: Service, channel: str, role: str) -> None:
    async with aiohttp.ClientSession() as session:
        headers = {"Authorization": f"Bearer {TOKENS[role]}"}
        async with session.ws_connect(f"{service.url}/ws/{channel}", headers=headers) as ws:
            hello = json.loads((await ws.receive()).data)
            assert hello["type"] == "hello" and hello["role"] == role


async def test_ingest_needs_an_ingest_token(service: Service) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{service.url}/ingest", data=b"{}") as resp:
            assert resp.status == 401
        async with session.post(
            f"{service.url}/ingest",
            data=b"{}",
            headers={"Authorization": f"Bearer {TOKENS['host']}"},
        ) as resp:
            assert resp.status == 403


async def test_foreign_origin_is_refused(service: Service) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as info:
            await session.ws_connect(
                f"{service.url}/ws/host?token={TOKENS['host']}",
                headers={"Origin": "https://evil.example"},
            )
        assert info.value.status == 403


async def test_healthz_and_pages(service: Service) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{service.url}/healthz") as resp:
            body = await resp.json()
            assert body["status"] == "ok" and body["model"]
        for path in ("/", "/host", "/moderator", "/static/rw.js"):
            async with session.get(f"{service.url}{path}") as resp:
                assert resp.status == 200, path
                csp = resp.headers["Content-Security-Policy"]
                assert "script-src 'self'" in csp and "unsafe-inline" not in csp
