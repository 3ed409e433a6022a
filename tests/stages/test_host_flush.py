"""A held host update leaves when its hold ends, not at the ticker's next step (issue #14).

The ticker is put to sleep for an hour, so the only thing that can send a
held update is :class:`roomwatch.compose.host_flush.HostFlush`'s timer. On a
real service with a real host WebSocket: a second ask of an item inside
``queue.update_interval_s`` is held, then sent with both asks counted.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client import CollectorRegistry

from roomwatch.compose import serve as compose_serve
from roomwatch.compose.host_flush import HostFlush
from roomwatch.core.analyze import Analyzer
from roomwatch.service import Service

from ..conftest import TOKENS, ingest, make_settings
from .test_triage import connect

ROOM = "room-a"
T0 = 1764115200.0


def price_ask(n: int, ts: float) -> dict[str, object]:
    return {"room": ROOM, "text": "3号链接多少钱", "ts": ts, "id": f"p{n}", "user": {"id": f"u{n}"}}


async def test_a_held_update_is_sent_when_its_hold_ends_without_a_tick(
    analyzer: Analyzer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(compose_serve, "TICK_S", 3600.0)
    settings = make_settings(
        store={"path": str(tmp_path / "rw.sqlite3")},
        queue={"update_interval_s": 0.3},
    )
    async with (
        Service(settings, analyzer=analyzer, registry=CollectorRegistry()) as svc,
        aiohttp.ClientSession() as session,
    ):
        host = await connect(session, svc, TOKENS["host"])
        await ingest(svc, [price_ask(1, T0)])
        added = (await host.wait(lambda m: m.get("type") == "added"))["item"]
        assert added["count"] == 1
        # Asked again 0.1 s of record time later: inside the hold.
        await ingest(svc, [price_ask(2, T0 + 0.1)])
        update = await host.wait(lambda m: m.get("type") == "updated" and m["item"]["count"] == 2)
        assert update["item"]["id"] == added["id"] and update["item"]["askers"] == 2
        await host.close()


class _StandingStill:
    """A triage stage whose next wake-up is always now and sends nothing
    (a room whose record time stands still behind a deadline)."""

    def __init__(self) -> None:
        self.ticks = 0

    def wake_in(self) -> float:
        return 0.0

    def tick_wall(self) -> list[Any]:
        self.ticks += 1
        return []


class _Graph:
    def __init__(self) -> None:
        self.triage = _StandingStill()

    def forward(self, events: list[Any]) -> None:
        assert events == []


async def test_a_wake_up_that_sends_nothing_is_left_to_the_ticker() -> None:
    graph = _Graph()
    flush = HostFlush(graph)  # type: ignore[arg-type]
    flush.arm()
    await asyncio.sleep(0.2)
    flush.close()
    # Once, not every MIN_GAP_S (2 ms: about 100 times in 0.2 s).
    assert graph.triage.ticks == 1
