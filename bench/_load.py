"""Load and fault drivers shared by `crash_repeat.py`, `soak.py` and the
reliability tests: a `roomwatch serve` subprocess on its own state folder,
an HTTP poster that remembers which records were acknowledged, and
dashboard clients that take actions and remember which were acknowledged.

Everything runs on loopback; nothing here reads `/work/shared`.
"""

from __future__ import annotations

import asyncio
import gzip
import itertools
import json
import random
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from _serve import free_port, start_serve, wait_healthy

ROOT = Path(__file__).resolve().parents[1]

TOKENS = {
    "ingest": "rel-ingest-token-0001",
    "host": "rel-host-token-0001",
    "helper": "rel-helper-token-0001",
    "moderator": "rel-moderator-token-0001",
    "comms": "rel-comms-token-0001",
}

#: Comments the load sends: questions (host queue), abuse and spam (review
#: queue), chatter. Written for these tools; never taken from real traffic.
TEXTS = (
    "3号链接多少钱",
    "五号多少钱？",
    "包邮吗",
    "尺码怎么选",
    "保质期多久",
    "你是傻逼吧",
    "加v 123456789 看主页",
    "主播好美啊啊啊啊",
    "苹果甜不甜",
    "拍了五天还不发货，客服也不回",
    "今天的苹果是哪里产的",
    "哈哈哈哈哈",
)


def write_config(
    state: Path,
    port: int,
    *,
    upstream_port: int | None = None,
    recorder_flush_s: float = 1.0,
    server_extra: str = "",
    extra: str = "",
) -> Path:
    """A serve config whose whole state (SQLite, recordings) lives in ``state``."""
    state.mkdir(parents=True, exist_ok=True)
    tokens = "".join(
        f'[[tokens]]\nrole = "{role}"\ntoken = "{token}"\nname = "{role}-rel"\n'
        for role, token in TOKENS.items()
    )
    upstream = (
        f'[[sources.websocket]]\nname = "bench"\nurl = "ws://127.0.0.1:{upstream_port}/"\n'
        if upstream_port
        else ""
    )
    cfg = state / "serve.toml"
    cfg.write_text(
        f"""
[server]
host = "127.0.0.1"
port = {port}
{server_extra}
[store]
path = "{state / "rw.sqlite3"}"
[recorder]
dir = "{state / "recordings"}"
flush_interval_s = {recorder_flush_s}
{extra}
{tokens}
{upstream}
""",
        encoding="utf-8",
    )
    return cfg


# -- load -------------------------------------------------------------------


@dataclass
class Poster:
    """Posts NDJSON batches to /ingest; remembers the ids of acknowledged records."""

    url: str
    rooms: list[str]
    batch: int = 50
    interval_s: float = 0.02
    prefix: str = "p"
    acked: list[str] = field(default_factory=list)
    sent: int = 0
    errors: int = 0
    _n: itertools.count[int] = field(default_factory=itertools.count)

    def records(self) -> list[dict[str, Any]]:
        rows = []
        for _ in range(self.batch):
            i = next(self._n)
            rows.append(
                {
                    "room": self.rooms[i % len(self.rooms)],
                    "text": TEXTS[i % len(TEXTS)],
                    "id": f"{self.prefix}{i}",
                    "ts": time.time(),
                    "user": {"id": f"u{i % 97}"},
                }
            )
        return rows

    async def run(self, session: aiohttp.ClientSession, stop: asyncio.Event) -> None:
        headers = {"Authorization": f"Bearer {TOKENS['ingest']}"}
        while not stop.is_set():
            rows = self.records()
            body = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()
            self.sent += len(rows)
            try:
                async with session.post(f"{self.url}/ingest", data=body, headers=headers) as r:
                    answer = await r.json() if r.status == 200 else None
            except (TimeoutError, aiohttp.ClientError, ValueError):
                self.errors += 1
                return  # the server went away: nothing after this was acknowledged
            if answer is not None and answer.get("accepted") == len(rows):
                self.acked.extend(r["id"] for r in rows)
            else:
                self.errors += 1
            await asyncio.sleep(self.interval_s)


@dataclass
class Actor:
    """A helper on the host channel that claims queue items and a moderator that ignores or
    hides review items, over real WebSockets; remembers acknowledged actions."""

    url: str
    host_acks: list[tuple[str, str]] = field(default_factory=list)  # (room, item id)
    mod_acks: list[tuple[str, str, str]] = field(default_factory=list)  # (action, room, id)
    close_codes: dict[str, int | None] = field(default_factory=dict)

    async def host(self, session: aiohttp.ClientSession, stop: asyncio.Event) -> None:
        ws = await session.ws_connect(
            f"{self.url}/ws/host?token={TOKENS['helper']}", max_msg_size=0, heartbeat=None
        )
        pending: dict[str, tuple[str, str]] = {}
        claimed: set[tuple[str, str]] = set()
        refs = itertools.count()
        try:
            async for data in _frames(ws, self.close_codes, "host"):
                if data.get("type") == "ack" and data.get("ref") in pending:
                    self.host_acks.append(pending.pop(data["ref"]))
                item = data.get("item")
                if data.get("type") == "added" and item and not stop.is_set():
                    key = (data["room"], item["id"])
                    if key not in claimed and len(claimed) < 200:
                        claimed.add(key)
                        ref = f"h{next(refs)}"
                        pending[ref] = key
                        await ws.send_json(
                            {"action": "claim", "room": key[0], "id": key[1], "ref": ref}
                        )
        except (aiohttp.ClientError, ConnectionResetError):
            pass

    async def moderator(self, session: aiohttp.ClientSession, stop: asyncio.Event) -> None:
        ws = await session.ws_connect(
            f"{self.url}/ws/stream?token={TOKENS['moderator']}", max_msg_size=0, heartbeat=None
        )
        pending: dict[str, tuple[str, str, str]] = {}
        refs = itertools.count()
        last = 0.0
        try:
            async for data in _frames(ws, self.close_codes, "stream"):
                if data.get("type") == "ack" and data.get("ref") in pending:
                    self.mod_acks.append(pending.pop(data["ref"]))
                added = (data.get("review") or {}).get("added") or []
                # The per-token limit allows bursts; a few actions a second stay under it.
                if added and not stop.is_set() and time.monotonic() - last > 0.25:
                    last = time.monotonic()
                    item = added[0]
                    n = next(refs)
                    action = "hide" if n % 2 else "ignore"
                    ref = f"m{n}"
                    pending[ref] = (action, data["room"], item["id"])
                    await ws.send_json(
                        {"action": action, "room": data["room"], "ids": [item["id"]], "ref": ref}
                    )
        except (aiohttp.ClientError, ConnectionResetError):
            pass


async def _frames(
    ws: aiohttp.ClientWebSocketResponse, close_codes: dict[str, int | None], name: str
) -> Any:
    """JSON text frames until the connection ends; the server's close code (the
    code in its CLOSE frame, None if the connection just dropped) goes to
    ``close_codes[name]``. (``ws.close_code`` would say 1006 when our reply to
    the server's close frame finds the socket already gone.)"""
    close_codes[name] = None
    while True:
        msg = await ws.receive()
        if msg.type == aiohttp.WSMsgType.TEXT:
            yield json.loads(msg.data)
            continue
        if msg.type == aiohttp.WSMsgType.CLOSE:
            close_codes[name] = int(msg.data)
        return


# -- checking the state folder ---------------------------------------------------


def recorded_lines(recordings: Path) -> Iterable[bytes]:
    """Every complete line of every recording file (plain or gzip) under ``recordings``."""
    for path in sorted(recordings.rglob("*.jsonl*")):
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rb") as f:
            data = f.read()
        for line in data.split(b"\n"):
            if line.strip():
                yield line


def recorded_ids(recordings: Path) -> tuple[set[str], int]:
    """(ids of the parseable recorded records, number of unparseable lines)."""
    ids: set[str] = set()
    bad = 0
    for line in recorded_lines(recordings):
        try:
            ids.add(str(json.loads(line)["id"]))
        except (ValueError, KeyError, TypeError):
            bad += 1
    return ids, bad


def audit_rows(db: Path) -> set[tuple[str, str, str]]:
    """(action, room, target id) of every successful audit row."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT action, room, target_id FROM audit WHERE ok = 1").fetchall()
    return {(a, r, t) for a, r, t in rows}


def integrity(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def pick_rooms(n: int, seed: int = 0) -> list[str]:
    rnd = random.Random(seed)
    return [f"room-{rnd.randrange(10**6):06d}-{i}" for i in range(n)]


__all__ = [
    "ROOT",
    "TEXTS",
    "TOKENS",
    "Actor",
    "Poster",
    "audit_rows",
    "free_port",
    "integrity",
    "pick_rooms",
    "recorded_ids",
    "recorded_lines",
    "start_serve",
    "wait_healthy",
    "write_config",
]
