"""The ``rooms`` table: run-time room sections kept over a restart, and the migration to it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from prometheus_client import CollectorRegistry

from roomwatch.store import MIGRATIONS, SCHEMA_VERSION, Store


async def test_saved_rooms_survive_reopening(tmp_path: Path) -> None:
    db = tmp_path / "rw.sqlite3"
    async with await Store.open(db, registry=CollectorRegistry()) as store:
        assert await store.saved_rooms() == {}
        await store.save_room(
            "apples", {"title": "苹果", "products": ["冰糖心"]}, ts=1.0, actor="a"
        )
        await store.save_room("pears", {"title": "pears"}, ts=2.0, actor="a")
        await store.save_room("pears", None, ts=3.0, actor="b")  # removed
        await store.save_room("apples", {"title": "苹果 2"}, ts=4.0, actor="a")
    async with await Store.open(db, registry=CollectorRegistry()) as store:
        assert await store.saved_rooms() == {"apples": {"title": "苹果 2"}, "pears": None}
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(
            "SELECT room, updated_at, updated_by FROM rooms ORDER BY room"
        ).fetchall()
    finally:
        conn.close()
    assert rows == [("apples", 4.0, "a"), ("pears", 3.0, "b")]


async def test_a_version_2_store_gains_the_rooms_table(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        for step in MIGRATIONS[:2]:
            for statement in step:
                conn.execute(statement)
        conn.execute("PRAGMA user_version = 2")
        conn.execute(
            "INSERT INTO audit (ts, actor, role, action, target_kind, target_id, room, ok)"
            " VALUES (1.0, 'a', 'admin', 'claim', 'item', 'q1', 'r', 1)"
        )
    finally:
        conn.close()
    async with await Store.open(db, registry=CollectorRegistry()) as store:
        assert await store.saved_rooms() == {}
        await store.save_room("r", {}, ts=2.0, actor="a")
        assert len(await store.audits()) == 1
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
    finally:
        conn.close()
