"""Graceful shutdown of a real `roomwatch serve` subprocess under load.

SIGTERM (and SIGINT) must drain what the pipeline holds, flush the recorder
and SQLite, close every WebSocket client with GOING_AWAY (1001) and exit 0
within ``server.shutdown_timeout_s``. The test asserts that the process
exits (the bound, plus start-up slack, is only the test's own timeout), never
how fast.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from _load import (  # noqa: E402
    TOKENS,
    Actor,
    Poster,
    audit_rows,
    free_port,
    integrity,
    recorded_ids,
    start_serve,
    wait_healthy,
    write_config,
)

from .support.wait import wait_for  # noqa: E402

pytestmark = pytest.mark.slow

#: The configured bound; the test waits this plus generous slack for a loaded box.
BOUND_S = 10.0


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_signal_drains_flushes_and_closes_clients_with_going_away(
    tmp_path: Path, sig: signal.Signals
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # A long recorder interval: whatever reaches the files got there through
    # the flush on shutdown, not a timer that happened to fire.
    cfg = write_config(
        tmp_path, port, recorder_flush_s=30.0, server_extra=f"shutdown_timeout_s = {BOUND_S}"
    )
    log = tmp_path / "serve.log"
    with log.open("wb") as err:
        proc = start_serve(cfg, stderr=err, log_level="INFO")
    try:
        async with aiohttp.ClientSession() as session:
            await wait_healthy(session, url, proc)
            stop = asyncio.Event()
            actor = Actor(url)
            alerts = await session.ws_connect(
                f"{url}/ws/alerts?token={TOKENS['comms']}", heartbeat=None
            )
            # A client that stops reading: once its socket buffers fill, every
            # send to it blocks. It must not hold up the shutdown.
            stalled = await session.ws_connect(
                f"{url}/ws/stream?token={TOKENS['moderator']}", heartbeat=None, max_msg_size=0
            )
            clients = [
                asyncio.create_task(actor.host(session, stop)),
                asyncio.create_task(actor.moderator(session, stop)),
            ]
            poster = Poster(url, [f"room-{i}" for i in range(8)], batch=40, interval_s=0.01)
            posting = asyncio.create_task(poster.run(session, stop))
            # Under load: posts acknowledged and actions answered on both channels.
            # (Past the timeout the assert below says which is missing.)
            with contextlib.suppress(AssertionError):
                await wait_for(
                    lambda: len(poster.acked) > 2000 and actor.host_acks and actor.mod_acks,
                    30,
                )
            assert actor.host_acks and actor.mod_acks, "no action was acknowledged under load"
            # Signal while records are still being posted and actions taken.
            proc.send_signal(sig)
            code = await asyncio.to_thread(proc.wait, BOUND_S + 30)
            stop.set()
            await asyncio.wait_for(asyncio.gather(posting, *clients), 30)
            stalled_end = await _last_frame(stalled)
            alerts_end = await _last_frame(alerts)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = log.read_text(errors="replace")
    assert code == 0, text[-3000:]
    assert alerts_end.type == aiohttp.WSMsgType.CLOSE
    assert alerts_end.data == 1001
    # The stalled client's connection ended too (with or without its close
    # frame: it never read far enough to see it).
    assert stalled_end.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert actor.close_codes == {"host": 1001, "stream": 1001}

    # Every acknowledged record is in the recording, and nothing is half-written.
    ids, bad = recorded_ids(tmp_path / "recordings")
    assert bad == 0
    missing = set(poster.acked) - ids
    assert not missing, f"{len(missing)} acknowledged records not recorded"
    # Every record the service took in got its verdict before it stopped.
    m = re.search(r"shutdown: .*?(\d+) comments processed", text)
    assert m, text[-3000:]
    assert int(m.group(1)) == len(ids)
    # Every acknowledged action is in SQLite, and the file is sound.
    db = tmp_path / "rw.sqlite3"
    assert integrity(db) == "ok"
    rows = audit_rows(db)
    for room, item in actor.host_acks:
        assert ("claim", room, item) in rows
    for action, room, item in actor.mod_acks:
        assert (f"moderation.{action}", room, item) in rows


async def _last_frame(ws: aiohttp.ClientWebSocketResponse) -> aiohttp.WSMessage:
    """Read ``ws`` to its end; the message that ended it."""
    while True:
        msg = await ws.receive(timeout=10)
        if msg.type != aiohttp.WSMsgType.TEXT:
            return msg
