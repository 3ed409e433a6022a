"""Fuzz the network surfaces against a real service: HTTP ingest, the
WebSocket source (a real upstream sending hostile frames) and the client
channels (/ws/*, lightly: their auth is tested elsewhere).

Hypothesis drives examples synchronously; the service runs on an event loop
in a thread of its own, started once for the module."""

from __future__ import annotations

import asyncio
import io
import json
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from websockets.asyncio.server import ServerConnection, serve

from roomwatch.core.analyze import Analyzer
from roomwatch.core.record import REJECT_REASONS
from roomwatch.service import Service
from roomwatch.sources.websocket import MAX_FRAME_BYTES, Backoff, WebSocketSource
from tests.conftest import TOKENS
from tests.fuzz.support import budget, deep, nasty_text, payloads
from tests.hardening.support import limited_service
from tests.sources.test_websocket import Collector
from tests.support.wait import wait_for

# Hypothesis warns when it prints a megabyte-long failing example; that is
# the point of some examples here.
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")


T = TypeVar("T")


class Live:
    """A service on its own loop thread; ``run(coro)`` runs on that loop."""

    def __init__(self, analyzer: Analyzer, tmp: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self._cm = limited_service(analyzer, tmp, recorder=True)
        self.svc: Service = self.run(self._cm.__aenter__())
        self.session: aiohttp.ClientSession = self.run(self._session())

    async def _session(self) -> aiohttp.ClientSession:
        return aiohttp.ClientSession()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.run(self.session.close())
        self.run(self._cm.__aexit__(None, None, None))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    async def healthy(self) -> None:
        async with self.session.get(f"{self.svc.url}/healthz") as resp:
            assert resp.status == 200
            assert (await resp.json())["status"] == "ok"


@pytest.fixture(scope="module")
def live(analyzer: Analyzer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    live = Live(analyzer, tmp_path_factory.mktemp("fuzz-live"))
    yield live
    live.close()


CONTENT_TYPES = ["application/json", "application/x-ndjson", "text/plain", "", "application/xml"]


@budget(80)
@given(payloads(), st.sampled_from(CONTENT_TYPES), st.booleans())
@example(b'{"room":"r","text":"x","user":{"level":1e999}}', "application/json", True)
@example(deep(50_000).encode(), "application/json", True)
def test_http_ingest(live: Live, body: bytes, ctype: str, header_token: bool) -> None:
    async def go() -> None:
        url = f"{live.svc.url}/ingest"
        headers = {"Content-Type": ctype} if ctype else {}
        if header_token:
            headers["Authorization"] = f"Bearer {TOKENS['ingest']}"
        else:
            url += f"?token={TOKENS['ingest']}"
        async with live.session.post(url, data=io.BytesIO(body), headers=headers) as resp:
            status = resp.status
            text = await resp.text()
        assert status in (200, 400, 403, 413, 415), (status, text[:300])
        if status in (200, 400):
            result = json.loads(text)
            listed = len(result["errors"]) + result.get("errors_truncated", 0)
            assert result["rejected"] == listed
            assert all(e["reason"] in REJECT_REASONS for e in result["errors"])
        if status == 415:
            assert not header_token and ctype not in ("application/json", "application/x-ndjson")
        await live.healthy()

    live.run(go())


frames = st.one_of(
    payloads(),
    payloads().map(lambda b: b.decode("utf-8", "replace")),
    st.binary(max_size=512),
)


@budget(60)
@given(st.lists(frames, min_size=1, max_size=6))
def test_websocket_source(live: Live, batch: list[bytes | str]) -> None:
    oversize = any(
        len(f.encode("utf-8", "surrogatepass") if isinstance(f, str) else f) > MAX_FRAME_BYTES
        for f in batch
    )
    connections = 0

    async def go() -> None:
        async def upstream(conn: ServerConnection) -> None:
            nonlocal connections
            connections += 1
            # A frame over the limit closes the connection (1009); the
            # source reconnects, and then only the sentinel is sent.
            for frame in batch if connections == 1 else []:
                await conn.send(frame)
            await conn.send(json.dumps({"room": "r", "text": "sentinel", "id": "end"}))
            await conn.wait_closed()

        sink = Collector()
        async with serve(upstream, "127.0.0.1", 0, max_size=None) as server:
            port = server.sockets[0].getsockname()[1]
            source = WebSocketSource(
                f"ws://127.0.0.1:{port}",
                live.svc.metrics,
                name="fuzz",
                backoff=Backoff(initial=0.01, maximum=0.05),
            )
            task = asyncio.create_task(source.run(sink))
            try:
                await wait_for(lambda: any(c.id == "end" for c in sink.comments), 20.0)
                assert not task.done()
                # Reconnected only after a frame over the limit.
                assert source.connections == (2 if oversize else 1)
                assert all(e.reason in REJECT_REASONS for e in sink.rejects)
            finally:
                source.close()
                await task

    live.run(go())


@budget(60)
@given(
    st.sampled_from([("stream", "moderator"), ("host", "helper"), ("alerts", "comms")]),
    st.lists(
        st.one_of(
            payloads().map(lambda b: b.decode("utf-8", "replace")),
            st.fixed_dictionaries(
                {"action": st.sampled_from(["hide", "undo", "history", "claim", "ack", "x"])},
                optional={
                    "room": nasty_text,
                    "ids": st.lists(nasty_text, max_size=4) | nasty_text,
                    "ref": nasty_text | st.integers(),
                    "seconds": st.integers() | st.floats(allow_nan=True),
                },
            ).map(lambda d: json.dumps(d, allow_nan=True)),
            st.binary(max_size=64),
        ),
        min_size=1,
        max_size=5,
    ),
)
def test_client_channels(live: Live, channel_role: tuple[str, str], msgs: list[Any]) -> None:
    channel, role = channel_role

    async def go() -> None:
        url = f"{live.svc.url}/ws/{channel}?token={TOKENS[role]}"
        async with live.session.ws_connect(url, max_msg_size=0) as ws:
            hello = await ws.receive_json(timeout=10)
            assert hello["type"] == "hello"
            replies = 0
            for m in msgs:
                if ws.closed:
                    break
                try:
                    if isinstance(m, bytes):
                        await ws.send_bytes(m)
                    else:
                        await ws.send_str(m)
                    reply = await ws.receive(timeout=10)
                except (ConnectionError, aiohttp.ClientError):
                    break  # the server closed it (a frame over 64 KiB)
                if reply.type != aiohttp.WSMsgType.TEXT:
                    break
                # Every message is answered: an ack, or an error saying why.
                answer = json.loads(reply.data)
                assert isinstance(answer, dict)
                # "internal error" means a handler raised: a bug, not an answer.
                assert answer.get("error") != "internal_error", (m, answer)
                replies += 1
            await ws.close()
        big = any(
            len(m.encode("utf-8", "surrogatepass") if isinstance(m, str) else m) > 65536
            for m in msgs
        )
        if not big:
            assert replies == len(msgs)
        await live.healthy()

    live.run(go())
