"""The SQLite store, on real files."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from roomwatch.core.alerts import Alert
from roomwatch.core.errors import RoomwatchError
from roomwatch.core.queue import AuditRecord
from roomwatch.metrics import StoreMetrics
from roomwatch.store import (
    AUDIT_CSV_COLUMNS,
    SCHEMA_VERSION,
    Store,
    StoreError,
)
from roomwatch.training.data import read_corpus
from tests.support.wait import wait_for

T0 = 1764158400.0
SRC = Path(__file__).resolve().parents[2] / "src"


def _value(registry: CollectorRegistry, name: str, **labels: str) -> float:
    value = registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


#: The store's component labels (see roomwatch.metrics).
_STORE = {"component_kind": "sink", "component_id": "store"}


def _dropped(registry: CollectorRegistry) -> float:
    """Fire-and-forget rows the store lost, whatever the reason."""
    return sum(
        s.value
        for m in registry.collect()
        if m.name == "roomwatch_component_discarded_events"
        for s in m.samples
        if s.name.endswith("_total") and s.labels["component_id"] == "store"
    )


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "var" / "roomwatch.sqlite3"


@pytest.fixture
async def store(db: Path, registry: CollectorRegistry) -> AsyncIterator[Store]:
    s = await Store.open(db, registry=registry)
    yield s
    await s.close()


def _audit(i: int, **over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "ts": T0 + i,
        "actor": "helper-1",
        "role": "helper",
        "action": "claim",
        "target_kind": "queue_item",
        "target_id": f"q{i}",
        "room": "room-a",
    }
    row.update(over)
    return row


def _alert(aid: str = "a1", **over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": aid,
        "room": "room-a",
        "detector": "negative_spike",
        "key": "",
        "severity": "warning",
        "state": "open",
        "started_at": T0,
        "updated_at": T0,
        "resolved_at": None,
        "acked_by": None,
        "acked_at": None,
        "summary": "差评激增",
        "evidence": {"count": 12, "window_seconds": 60.0, "samples": []},
    }
    row.update(over)
    return row


# -- opening -----------------------------------------------------------------


async def test_open_creates_folder_and_sets_pragmas(db: Path, registry: CollectorRegistry) -> None:
    async with await Store.open(db, registry=registry) as store:
        assert db.is_file()
        assert store.path == db
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"audit", "alerts", "actions", "feedback"} <= tables
    finally:
        conn.close()


async def test_path_under_a_file_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(StoreError) as info:
        await Store.open(blocker / "roomwatch.sqlite3", registry=CollectorRegistry())
    assert isinstance(info.value, RoomwatchError)
    assert "not-a-folder" in str(info.value)


async def test_folder_as_path_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="not a file"):
        await Store.open(tmp_path, registry=CollectorRegistry())


async def test_uncreatable_folder_is_a_store_error() -> None:
    # A path on /proc cannot be created, even by root.
    with pytest.raises(StoreError):
        await Store.open(Path("/proc/roomwatch-test/db.sqlite3"), registry=CollectorRegistry())


async def test_garbage_file_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "garbage.sqlite3"
    path.write_bytes(b"this is not a database at all\n" * 200)
    registry = CollectorRegistry()
    with pytest.raises(StoreError) as info:
        await Store.open(path, registry=registry)
    assert info.value.type == "corrupt"
    assert _value(registry, "roomwatch_component_errors_total", **_STORE, error_type="corrupt") == 1


async def test_corrupt_pages_are_a_store_error(db: Path, registry: CollectorRegistry) -> None:
    async with await Store.open(db, registry=registry) as store:
        for i in range(300):
            store.submit_audit(**_audit(i, detail={"pad": "x" * 500}))
    data = bytearray(db.read_bytes())
    page = 4096
    assert len(data) > 8 * page
    for offset in range(2 * page, len(data), page):  # keep the header page intact
        data[offset : offset + 64] = b"\xff" * 64
    db.write_bytes(bytes(data))
    with pytest.raises(StoreError):
        await Store.open(db, registry=CollectorRegistry())


async def test_newer_schema_is_refused(db: Path) -> None:
    db.parent.mkdir(parents=True)
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer roomwatch"):
        await Store.open(db, registry=CollectorRegistry())


async def test_empty_existing_file_is_migrated(db: Path) -> None:
    db.parent.mkdir(parents=True)
    db.touch()
    async with await Store.open(db, registry=CollectorRegistry()) as store:
        assert await store.add_audit(**_audit(1)) == 1


async def test_close_is_idempotent_and_later_calls_fail_cleanly(
    db: Path, registry: CollectorRegistry
) -> None:
    store = await Store.open(db, registry=registry)
    await asyncio.gather(store.close(), store.close())
    await store.close()
    assert store.closed
    with pytest.raises(StoreError, match="closed"):
        await store.audits()
    assert store.submit_audit(**_audit(1)) is False
    assert _dropped(registry) == 1


# -- audit -------------------------------------------------------------------


async def test_audit_round_trip_and_filters(store: Store, registry: CollectorRegistry) -> None:
    first = await store.add_audit(**_audit(1, detail={"note": "置顶"}))
    await store.add_audit(
        **_audit(
            2, actor="mod-1", role="moderator", action="hide", target_kind="comment", target_id="c9"
        )
    )
    await store.add_audit(**_audit(3, room="room-b", ok=False, error="already_claimed"))
    await store.add_audit(**_audit(4))
    assert first == 1

    rows = await store.audits()
    assert [r.ts for r in rows] == [T0 + 4, T0 + 3, T0 + 2, T0 + 1]  # newest first
    oldest = rows[-1]
    assert oldest.id == first
    assert oldest.detail == {"note": "置顶"}
    assert oldest.ok is True and oldest.error is None
    assert oldest.to_dict() == {
        "id": 1,
        "ts": T0 + 1,
        "actor": "helper-1",
        "role": "helper",
        "action": "claim",
        "target_kind": "queue_item",
        "target_id": "q1",
        "room": "room-a",
        "ok": True,
        "error": None,
        "detail": {"note": "置顶"},
    }
    json.dumps(oldest.to_dict())
    failed = rows[1]
    assert failed.ok is False and failed.error == "already_claimed"

    assert [r.ts for r in await store.audits(room="room-a")] == [T0 + 4, T0 + 2, T0 + 1]
    assert [r.action for r in await store.audits(actor="mod-1")] == ["hide"]
    assert [r.ts for r in await store.audits(since=T0 + 2, until=T0 + 4)] == [T0 + 3, T0 + 2]
    assert [r.ts for r in await store.audits(limit=2)] == [T0 + 4, T0 + 3]
    assert await store.audits(room="nowhere") == []
    assert _value(registry, "roomwatch_store_written_rows_total", table="audit") == 4


async def test_bad_audit_arguments_raise_store_error(store: Store) -> None:
    with pytest.raises(StoreError, match="actor"):
        await store.add_audit(**_audit(1, actor=""))
    with pytest.raises(StoreError, match="ts"):
        await store.add_audit(**_audit(1, ts="yesterday"))
    with pytest.raises(StoreError, match="ts"):
        await store.add_audit(**_audit(1, ts=float("nan")))


async def test_sql_looking_values_are_just_data(store: Store) -> None:
    nasty = "x'); DROP TABLE audit; --"
    await store.add_audit(**_audit(1, actor=nasty, room=nasty))
    rows = await store.audits(room=nasty, actor=nasty)
    assert [r.actor for r in rows] == [nasty]


async def test_csv_export_to_path(store: Store, tmp_path: Path) -> None:
    await store.add_audit(**_audit(1, detail={"text": "这个多少钱"}))
    await store.add_audit(
        **_audit(
            2, actor='=HYPERLINK("http://x")', target_id="+1", error="-2+3", ok=False, room="@room"
        )
    )
    await store.add_audit(**_audit(3, room="room-b"))
    out = tmp_path / "exports" / "audit.csv"
    n = await store.export_audits_csv(out)
    assert n == 3
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert tuple(rows[0]) == AUDIT_CSV_COLUMNS
    assert len(rows) == 4
    by_id = {r[0]: dict(zip(AUDIT_CSV_COLUMNS, r, strict=True)) for r in rows[1:]}
    first = by_id["1"]
    assert json.loads(first["detail"]) == {"text": "这个多少钱"}
    assert first["ok"] == "true"
    assert first["time_utc"] == "2025-11-26T12:00:01.000Z"
    assert float(first["ts"]) == T0 + 1
    evil = by_id["2"]
    assert evil["actor"] == '\'=HYPERLINK("http://x")'
    assert evil["target_id"] == "'+1"
    assert evil["error"] == "'-2+3"
    assert evil["room"] == "'@room"
    assert evil["ok"] == "false"
    assert "\r\n" in raw.decode("utf-8-sig")

    only_b = tmp_path / "b.csv"
    assert await store.export_audits_csv(only_b, room="room-b") == 1
    assert await store.export_audits_csv(tmp_path / "none.csv", since=T0 + 100) == 0
    assert (tmp_path / "none.csv").read_bytes().startswith(b"\xef\xbb\xbf")


async def test_csv_export_to_handle(store: Store) -> None:
    await store.add_audit(**_audit(1, actor="主播助理"))
    buf = io.StringIO(newline="")
    assert await store.export_audits_csv(buf) == 1
    text = buf.getvalue()
    assert text.startswith("\ufeffid,time_utc,")
    assert "主播助理" in text


async def test_export_to_unwritable_path_raises_store_error(
    store: Store, tmp_path: Path, registry: CollectorRegistry
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError):
        await store.export_audits_csv(blocker / "audit.csv")
    assert _value(registry, "roomwatch_component_errors_total", **_STORE, error_type="io") == 1
    assert await store.add_audit(**_audit(1)) == 1  # the store still works


# -- batched writes ------------------------------------------------------------


async def test_submitted_audits_flush_on_close(db: Path, registry: CollectorRegistry) -> None:
    store = await Store.open(db, registry=registry, flush_interval_s=60, batch_rows=10_000)
    for i in range(1234):
        assert store.submit_audit(**_audit(i)) is True
    assert store.backlog == 1234
    assert _value(registry, "roomwatch_store_backlog_rows") == 1234
    await store.close()
    assert _value(registry, "roomwatch_store_written_rows_total", table="audit") == 1234
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT COUNT(*) FROM audit").fetchone()[0] == 1234
    conn.close()


async def test_submitted_rows_flush_on_timer_and_on_size(
    db: Path, registry: CollectorRegistry
) -> None:
    async with await Store.open(
        db, registry=registry, flush_interval_s=0.05, batch_rows=100
    ) as store:
        store.submit_audit(**_audit(1))
        await wait_for(
            lambda: _value(registry, "roomwatch_store_written_rows_total", table="audit") == 1,
            5,
            what="the timer to flush the audit row",
        )
        assert _value(registry, "roomwatch_store_written_rows_total", table="audit") == 1

    async with await Store.open(
        db, registry=CollectorRegistry(), flush_interval_s=60, batch_rows=100
    ) as store:
        for i in range(250):
            store.submit_audit(**_audit(i))
        await wait_for(
            lambda: store.backlog < 100,
            5,
            what="size-triggered flushes",
            show=lambda: store.backlog,
        )
        assert store.backlog < 100  # size-triggered flushes, the timer is 60 s away
        conn = sqlite3.connect(db)
        try:
            assert conn.execute("SELECT COUNT(*) FROM audit").fetchone()[0] >= 201
        finally:
            conn.close()


async def test_reads_see_submitted_rows(store: Store) -> None:
    store.submit_audit(**_audit(1))
    store.submit_alert(_alert())
    assert len(await store.audits()) == 1
    assert [a["id"] for a in await store.open_alerts()] == ["a1"]


async def test_backlog_cap_drops_and_counts(db: Path, registry: CollectorRegistry) -> None:
    async with await Store.open(
        db, registry=registry, flush_interval_s=60, batch_rows=1000, max_backlog=50
    ) as store:
        results = [store.submit_audit(**_audit(i)) for i in range(80)]
        assert results.count(True) == 50
        assert _dropped(registry) == 30
        await store.flush()
        assert len(await store.audits()) == 50


async def test_bad_submissions_never_raise(store: Store, registry: CollectorRegistry) -> None:
    assert store.submit_audit(**_audit(1, ts=None)) is False
    assert store.submit_alert({"id": "x"}) is False
    assert store.submit_alert(_alert(state="maybe")) is False
    assert store.submit_alert(_alert(evidence={"obj": object()})) is True  # str() fallback
    assert _value(registry, "roomwatch_component_errors_total", **_STORE, error_type="invalid") == 3
    assert _dropped(registry) == 3
    await store.flush()
    assert _value(registry, "roomwatch_store_written_rows_total", table="alerts") == 1


async def test_locked_database_is_counted_not_raised(db: Path, registry: CollectorRegistry) -> None:
    async with await Store.open(
        db, registry=registry, busy_timeout_s=0.05, flush_interval_s=60
    ) as store:
        other = sqlite3.connect(db, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # hold the write lock
        try:
            for i in range(5):
                store.submit_audit(**_audit(i))
            await store.flush()  # does not raise
            assert (
                _value(registry, "roomwatch_component_errors_total", **_STORE, error_type="busy")
                == 1
            )
            assert _dropped(registry) == 5
            with pytest.raises(StoreError) as info:
                await store.add_audit(**_audit(9))
            assert info.value.type == "busy"
        finally:
            other.execute("ROLLBACK")
            other.close()
        store.submit_audit(**_audit(10))
        assert [r.ts for r in await store.audits()] == [T0 + 10]


async def test_submit_queue_audit_takes_core_audit_records(store: Store) -> None:
    record = AuditRecord(
        ts=T0,
        room="room-a",
        actor="helper-1",
        action="answer",
        item_id="q7",
        ok=False,
        error="not_claimed",
    )
    assert store.submit_queue_audit(record, role="helper") is True
    (row,) = await store.audits()
    assert (row.action, row.target_kind, row.target_id, row.ok, row.error, row.role) == (
        "answer",
        "queue_item",
        "q7",
        False,
        "not_claimed",
        "helper",
    )


async def test_event_loop_keeps_ticking_during_a_large_batch(
    db: Path, registry: CollectorRegistry
) -> None:
    async with await Store.open(
        db, registry=registry, flush_interval_s=60, batch_rows=10**9, max_backlog=10**9
    ) as store:
        for i in range(40_000):
            store.submit_audit(**_audit(i, detail={"text": "主播这个怎么买" * 4}))
        lags: list[float] = []
        done = False

        async def ticker() -> None:
            while not done:
                before = time.perf_counter()
                await asyncio.sleep(0.01)
                lags.append(time.perf_counter() - before - 0.01)

        task = asyncio.create_task(ticker())
        await asyncio.sleep(0.02)
        started = time.perf_counter()
        await store.flush()
        took = time.perf_counter() - started
        done = True
        await task
        assert _value(registry, "roomwatch_store_written_rows_total", table="audit") == 40_000
        # The loop kept ticking through the write (it runs in a thread). How
        # smoothly it ticked is a speed question for bench/store_bench.py.
        assert len(lags) >= 3, (lags, took)


# -- alerts ------------------------------------------------------------------


async def test_alert_upsert_ack_and_history(store: Store, registry: CollectorRegistry) -> None:
    await store.upsert_alert(_alert("a1"))
    await store.upsert_alert(_alert("a2", room="room-b", started_at=T0 + 5, updated_at=T0 + 5))
    assert [a["id"] for a in await store.open_alerts()] == ["a1", "a2"]
    assert [a["id"] for a in await store.open_alerts(room="room-b")] == ["a2"]

    assert await store.ack_alert("a1", "comms-1", T0 + 10) is True
    assert await store.ack_alert("missing", "comms-1", T0 + 10) is False
    # The detector's next update does not know about the ack; the ack stays.
    await store.upsert_alert(_alert("a1", updated_at=T0 + 20, severity="critical"))
    (a1,) = [a for a in await store.open_alerts() if a["id"] == "a1"]
    assert a1["acked_by"] == "comms-1" and a1["acked_at"] == T0 + 10
    assert a1["state"] == "acknowledged"
    assert a1["severity"] == "critical" and a1["updated_at"] == T0 + 20
    assert a1["summary"] == "差评激增" and a1["evidence"]["count"] == 12
    restored = Alert.from_dict(a1)  # the core can take it back
    assert restored.acked_by == "comms-1" and restored.state == "acknowledged"

    await store.upsert_alert(
        _alert("a1", state="resolved", updated_at=T0 + 30, resolved_at=T0 + 30)
    )
    assert [a["id"] for a in await store.open_alerts()] == ["a2"]
    history = await store.alert_history()
    assert [a["id"] for a in history] == ["a1", "a2"]  # most recently updated first
    assert history[0]["state"] == "resolved" and history[0]["resolved_at"] == T0 + 30
    assert history[0]["acked_by"] == "comms-1"
    assert [a["id"] for a in await store.alert_history(room="room-b")] == ["a2"]
    assert [a["id"] for a in await store.alert_history(since=T0 + 25)] == ["a1"]
    assert len(await store.alert_history(limit=1)) == 1
    json.dumps(history)
    assert _value(registry, "roomwatch_store_written_rows_total", table="alerts") == 4


async def test_ack_uses_the_injected_clock(db: Path) -> None:
    async with await Store.open(db, registry=CollectorRegistry(), clock=lambda: T0 + 99) as s:
        await s.upsert_alert(_alert())
        assert await s.ack_alert("a1", "admin-1")
        (a,) = await s.open_alerts()
        assert a["acked_at"] == T0 + 99


async def test_open_alerts_survive_a_restart(db: Path) -> None:
    async with await Store.open(db, registry=CollectorRegistry()) as store:
        await store.upsert_alert(_alert("a1"))
        store.submit_alert(_alert("a2", detector="abuse_raid", severity="critical"))
        store.submit_alert(_alert("a3", state="resolved", resolved_at=T0 + 1))
    async with await Store.open(db, registry=CollectorRegistry()) as store:
        alerts = await store.open_alerts()
        assert [a["id"] for a in alerts] == ["a1", "a2"]
        assert alerts[1]["detector"] == "abuse_raid"
        assert [Alert.from_dict(a).id for a in alerts] == ["a1", "a2"]


async def test_bad_alert_is_a_store_error(store: Store) -> None:
    with pytest.raises(StoreError, match="state"):
        await store.upsert_alert(_alert(state="exploded"))
    with pytest.raises(StoreError, match="started_at"):
        await store.upsert_alert({k: v for k, v in _alert().items() if k != "started_at"})


# -- actions -----------------------------------------------------------------


async def test_action_lifecycle(store: Store, registry: CollectorRegistry) -> None:
    aid = await store.add_action(
        ts=T0,
        room="room-a",
        actor="mod-1",
        action="hide",
        comment_id="c1",
        user_id="u1",
        params={"reason": "广告"},
    )
    mute = await store.add_action(
        ts=T0 + 1,
        room="room-a",
        actor="mod-1",
        action="mute",
        user_id="u1",
        params={"seconds": 600},
    )
    await store.add_action(ts=T0 + 2, room="room-b", actor="mod-2", action="ban", user_id="u2")
    row = await store.action(aid)
    assert row is not None
    assert (row.status, row.attempts, row.params, row.updated_at) == (
        "pending",
        0,
        {"reason": "广告"},
        T0,
    )

    assert await store.set_action_status(aid, "failed", "HTTP 502", ts=T0 + 5)
    row = await store.action(aid)
    assert row is not None
    assert (row.status, row.attempts, row.last_error, row.updated_at) == (
        "failed",
        1,
        "HTTP 502",
        T0 + 5,
    )
    assert await store.set_action_status(aid, "sent", ts=T0 + 6)
    row = await store.action(aid)
    assert row is not None
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)
    assert await store.set_action_status(aid, "undone", ts=T0 + 7)
    row = await store.action(aid)
    assert row is not None and (row.status, row.attempts) == ("undone", 2)
    json.dumps(row.to_dict())

    assert await store.set_action_status(9999, "sent") is False
    with pytest.raises(StoreError, match="status"):
        await store.set_action_status(aid, "teleported")
    with pytest.raises(StoreError, match="status"):
        await store.add_action(ts=T0, room="r", actor="a", action="hide", status="done")

    assert [a.action for a in await store.actions()] == ["ban", "mute", "hide"]
    assert [a.action for a in await store.actions(room="room-a")] == ["mute", "hide"]
    assert [a.id for a in await store.actions(status="pending")] == [3, mute]
    assert [a.action for a in await store.actions(limit=1)] == ["ban"]
    assert [a.action for a in await store.actions(user_id="u2")] == ["ban"]
    assert await store.action(12345) is None
    assert _value(registry, "roomwatch_store_written_rows_total", table="actions") == 6


# -- feedback ----------------------------------------------------------------


async def test_feedback_round_trip_and_default_labels(store: Store) -> None:
    fp = await store.add_feedback(
        ts=T0,
        room="room-a",
        comment_id="c1",
        user_id="u1",
        text="主播你好棒",
        predicted_label="abuse",
        kind="false_positive",
        actor="mod-1",
    )
    await store.add_feedback(
        ts=T0 + 1,
        room="room-a",
        comment_id="c2",
        user_id="u2",
        text="加我微信领券",
        predicted_label="spam",
        kind="confirm",
        actor="mod-1",
    )
    await store.add_feedback(
        ts=T0 + 2,
        room="room-a",
        comment_id="c3",
        text="发货太慢了",
        predicted_label="abuse",
        label="grievance",
        kind="false_positive",
        actor="mod-2",
    )
    rows = await store.feedback()
    assert [r.id for r in rows] == [fp, 2, 3]
    assert [(r.kind, r.predicted_label, r.label) for r in rows] == [
        ("false_positive", "abuse", "chatter"),
        ("confirm", "spam", "spam"),
        ("false_positive", "abuse", "grievance"),
    ]
    assert rows[0].to_dict()["text"] == "主播你好棒"
    assert [r.id for r in await store.feedback(since=T0 + 1)] == [2, 3]

    with pytest.raises(StoreError, match="label"):
        await store.add_feedback(
            ts=T0,
            room="r",
            text="x",
            predicted_label="abuse",
            label="toxic",
            kind="false_positive",
            actor="m",
        )
    with pytest.raises(StoreError, match="kind"):
        await store.add_feedback(
            ts=T0, room="r", text="x", predicted_label="abuse", kind="maybe", actor="m"
        )
    with pytest.raises(StoreError, match="false positive"):
        await store.add_feedback(
            ts=T0,
            room="r",
            text="x",
            predicted_label="spam",
            label="spam",
            kind="false_positive",
            actor="m",
        )


async def test_feedback_links_to_an_existing_action_only(store: Store) -> None:
    aid = await store.add_action(
        ts=T0, room="room-a", actor="mod-1", action="hide", comment_id="c1"
    )
    fid = await store.add_feedback(
        ts=T0,
        room="room-a",
        comment_id="c1",
        text="滚",
        predicted_label="abuse",
        kind="confirm",
        actor="mod-1",
        action_id=aid,
    )
    (row,) = await store.feedback()
    assert (row.id, row.action_id) == (fid, aid)
    with pytest.raises(StoreError) as info:  # foreign keys are on
        await store.add_feedback(
            ts=T0,
            room="room-a",
            comment_id="c2",
            text="滚",
            predicted_label="abuse",
            kind="confirm",
            actor="mod-1",
            action_id=777,
        )
    assert info.value.type == "constraint"


async def test_feedback_export_is_a_training_corpus(store: Store, tmp_path: Path) -> None:
    await store.add_feedback(
        ts=T0,
        room="room-a",
        comment_id="c1",
        text="主播你好棒",
        predicted_label="abuse",
        kind="false_positive",
        actor="mod-1",
    )
    await store.add_feedback(
        ts=T0 + 1,
        room="room-a",
        comment_id="c2",
        text='带 "引号" 的\n广告',
        predicted_label="spam",
        kind="confirm",
        actor="mod-1",
    )  # no sentiment recorded: exported as null, not as "neutral"
    # A second verdict on c1: the latest one wins.
    await store.add_feedback(
        ts=T0 + 2,
        room="room-a",
        comment_id="c1",
        text="主播你好棒",
        predicted_label="abuse",
        label="question",
        kind="false_positive",
        actor="mod-2",
        sentiment=0.62,  # what the moderator saw
    )
    await store.add_feedback(
        ts=T0 + 3,
        room="room-b",
        comment_id="c1",
        text="退款!",
        predicted_label="abuse",
        label="grievance",
        kind="false_positive",
        actor="mod-2",
        sentiment=-0.9,
    )
    out = tmp_path / "feedback.jsonl"
    assert await store.export_feedback_jsonl(out) == 3
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert lines == [
        {
            "text": '带 "引号" 的\n广告',
            "label": "spam",
            "sentiment": None,
            "sentiment_score": None,
            "source": "feedback",
            "comment_id": "c2",
            "room": "room-a",
        },
        {
            "text": "主播你好棒",
            "label": "question",
            "sentiment": 1,
            "sentiment_score": 0.62,
            "source": "feedback",
            "comment_id": "c1",
            "room": "room-a",
        },
        {
            "text": "退款!",
            "label": "grievance",
            "sentiment": -1,
            "sentiment_score": -0.9,
            "source": "feedback",
            "comment_id": "c1",
            "room": "room-b",
        },
    ]
    examples = read_corpus(out, source="feedback")  # the training reader accepts it
    assert [e.label for e in examples] == ["spam", "question", "grievance"]
    assert [e.sentiment for e in examples] == [None, 1, -1]

    buf = io.StringIO()
    assert await store.export_feedback_jsonl(buf, since=T0 + 3) == 1
    assert json.loads(buf.getvalue())["room"] == "room-b"


async def test_user_history_mixes_actions_and_feedback(store: Store) -> None:
    await store.add_action(
        ts=T0, room="room-a", actor="mod-1", action="hide", comment_id="c1", user_id="u1"
    )
    await store.add_feedback(
        ts=T0 + 1,
        room="room-a",
        comment_id="c1",
        user_id="u1",
        text="垃圾",
        predicted_label="abuse",
        kind="confirm",
        actor="mod-1",
    )
    await store.add_action(ts=T0 + 2, room="room-a", actor="mod-1", action="mute", user_id="u1")
    await store.add_action(ts=T0 + 3, room="room-b", actor="mod-1", action="ban", user_id="u1")
    await store.add_action(ts=T0 + 4, room="room-a", actor="mod-1", action="ban", user_id="u2")
    history = await store.user_history("room-a", "u1")
    assert [(h["type"], h["ts"]) for h in history] == [
        ("action", T0 + 2),
        ("feedback", T0 + 1),
        ("action", T0),
    ]
    assert history[0]["action"] == "mute" and history[1]["label"] == "abuse"
    assert len(await store.user_history("room-a", "u1", limit=2)) == 2
    assert await store.user_history("room-a", "nobody") == []
    json.dumps(history)


# -- two stores, one file ------------------------------------------------------


async def test_a_second_store_reads_what_the_first_wrote(db: Path) -> None:
    shared = CollectorRegistry()
    metrics = StoreMetrics(shared)  # two stores may share one metrics set
    async with await Store.open(db, metrics=metrics) as service:
        await service.add_audit(**_audit(1))
        await service.upsert_alert(_alert())
        await service.add_feedback(
            ts=T0,
            room="room-a",
            comment_id="c1",
            text="好评",
            predicted_label="abuse",
            kind="false_positive",
            actor="mod-1",
        )
        async with await Store.open(db, metrics=metrics) as cli:
            assert [r.target_id for r in await cli.audits()] == ["q1"]
            assert [a["id"] for a in await cli.open_alerts()] == ["a1"]
            # and both write while both are open
            await cli.ack_alert("a1", "cli", T0 + 1)
            service.submit_audit(**_audit(2))
            await service.flush()
            assert len(await cli.audits()) == 2
            assert await cli.export_feedback_jsonl(io.StringIO()) == 1
        (alert,) = await service.open_alerts()
        assert alert["acked_by"] == "cli"
    assert _value(shared, "roomwatch_store_written_rows_total", table="audit") == 2


_EXPORT_SCRIPT = """
import asyncio, sys
from prometheus_client import CollectorRegistry
from roomwatch.store import Store

async def main():
    async with await Store.open(sys.argv[1], registry=CollectorRegistry()) as store:
        n = await store.export_feedback_jsonl(sys.argv[2])
        await store.add_audit(ts=1.0, actor="cli", role="admin", action="export",
                              target_kind="feedback", target_id="*", room="", detail={"n": n})
    print(n)

asyncio.run(main())
"""


async def test_another_process_exports_while_the_service_writes(db: Path, tmp_path: Path) -> None:
    async with await Store.open(db, registry=CollectorRegistry()) as service:
        for i in range(3):
            await service.add_feedback(
                ts=T0 + i,
                room="room-a",
                comment_id=f"c{i}",
                text=f"第{i}条",
                predicted_label="spam",
                kind="confirm",
                actor="mod-1",
            )
        for i in range(200):
            service.submit_audit(**_audit(i))  # the service keeps writing meanwhile
        out = tmp_path / "export.jsonl"
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _EXPORT_SCRIPT,
            str(db),
            str(out),
            env={"PYTHONPATH": str(SRC)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for i in range(200, 400):
            service.submit_audit(**_audit(i))
            if i % 50 == 0:
                await asyncio.sleep(0.01)
        stdout, stderr = await proc.communicate()
        assert proc.returncode == 0, stderr.decode()
        assert stdout.decode().strip() == "3"
        assert [json.loads(line)["text"] for line in out.read_text("utf-8").splitlines()] == [
            "第0条",
            "第1条",
            "第2条",
        ]
        rows = await service.audits(limit=10_000)
        assert len(rows) == 401
        assert "cli" in {r.actor for r in rows}
