"""Rooms added, fed, kept over a restart and removed at run time, over real HTTP.

A real service on a real SQLite file: ``PUT /admin/rooms/{room}`` with its
own terms, products, queue and alert keys and a room token; comments posted
to ``/ingest`` show the effect (an extra abuse term flags only in that room,
a product becomes a question slot in its host queue) and the metric
``roomwatch_room_comments_total``; a second service on the same file still
has the room; ``DELETE`` removes it, its queue and its token.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from roomwatch.core.analyze import Analyzer
from roomwatch.core.record import Comment
from roomwatch.service import Service

from ..conftest import TOKENS, make_settings
from ..support.wait import wait_for

T0 = 1764115200.0
ROOM = "apples-0601"
ROOM_TOKEN = "apples-helper-secret-1"
SECTION: dict[str, Any] = {
    "title": "Apples from the county",
    "tags": ["livecommerce", "apples"],
    "block_abuse": ["土豆精"],
    "products": ["冰糖心"],
    "queue": {"window_s": 300, "max_items": 50},
    "alerts": {"negative_min_count": 6, "watch_terms": ["烂果"]},
    "tokens": [{"token": ROOM_TOKEN, "role": "helper", "name": "apples-helper"}],
}


def _auth(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


@asynccontextmanager
async def running(analyzer: Analyzer, db: Path, **sections: object) -> AsyncIterator[Service]:
    settings = make_settings(store={"path": str(db)}, **sections)
    async with Service(settings, analyzer=analyzer, registry=CollectorRegistry()) as svc:
        yield svc


async def call(
    svc: Service, method: str, path: str, token: str | None = TOKENS["admin"], **kw: Any
) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session:
        async with session.request(method, svc.url + path, headers=_auth(token), **kw) as resp:
            text = await resp.text()
            try:
                return resp.status, json.loads(text)
            except ValueError:
                return resp.status, text


async def feed(svc: Service, rows: list[tuple[str, str]], start: int) -> None:
    """Post ``(room, text)`` rows and wait until every one has its verdict."""
    before = svc.pipeline.processed
    records = [
        {"room": room, "text": text, "ts": T0 + start + i, "id": f"m-{start + i}"}
        | {"user": {"id": f"u{start + i}"}}
        for i, (room, text) in enumerate(rows)
    ]
    status, body = await call(
        svc,
        "POST",
        "/ingest",
        TOKENS["ingest"],
        data="\n".join(json.dumps(r, ensure_ascii=False) for r in records).encode(),
    )
    assert status == 200, body
    assert body["accepted"] == len(rows), body
    await wait_for(
        lambda: svc.pipeline.processed >= before + len(rows),
        what="every posted comment's verdict",
        show=lambda: svc.pipeline.processed,
    )


async def room_counts(svc: Service) -> dict[tuple[str, str], float]:
    status, text = await call(svc, "GET", "/metrics")
    assert status == 200
    out = {}
    for family in text_string_to_metric_families(text):
        if family.name == "roomwatch_room_comments":
            for s in family.samples:
                if s.name.endswith("_total"):
                    out[s.labels["room"], s.labels["label"]] = s.value
    return out


async def host_snapshot(svc: Service, token: str, room: str) -> list[dict[str, Any]] | int:
    """The host channel's snapshot of ``room`` as ``token`` sees it (or the refusal status)."""
    url = svc.url.replace("http", "ws") + "/ws/host"
    async with aiohttp.ClientSession() as session:
        try:
            ws = await session.ws_connect(url, params={"token": token, "rooms": room})
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status
        async with ws:
            while True:
                msg = json.loads((await ws.receive(timeout=10)).data)
                if msg["type"] == "snapshot" and msg.get("room") == room:
                    return list(msg["items"])
                if msg["type"] == "hello" and room not in svc.triage.rooms:
                    return []


async def test_a_room_added_over_http_is_fed_kept_and_removed(
    analyzer: Analyzer, tmp_path: Path
) -> None:
    db = tmp_path / "rw.sqlite3"
    async with running(analyzer, db) as svc:
        # Nothing configured: every room is "other" on the metric.
        await feed(svc, [(ROOM, "这个主播土豆精"), ("pears", "这个主播土豆精")], 0)
        counts = await room_counts(svc)
        assert counts.get(("other", "chatter")) == 2
        assert not any(room == ROOM for room, _ in counts)

        status, body = await call(svc, "PUT", f"/admin/rooms/{ROOM}", json=SECTION)
        assert status == 200, body
        assert body["created"] is True and body["from"] == "admin"
        assert body["settings"]["title"] == SECTION["title"]
        assert body["settings"]["queue"] == {"window_s": 300.0, "max_items": 50}
        assert body["settings"]["tokens"] == [
            {"token": "***", "role": "helper", "name": "apples-helper"}
        ]

        await feed(
            svc,
            [
                (ROOM, "这个主播土豆精"),
                ("pears", "这个主播土豆精"),
                (ROOM, "冰糖心多少钱"),
                (ROOM, "冰糖心多少钱啊"),
            ],
            10,
        )
        counts = await room_counts(svc)
        # The extra abuse term flags only in its room; the other room is "other".
        assert counts[ROOM, "abuse"] == 1
        assert counts[ROOM, "question"] == 2
        assert counts["other", "chatter"] == 3
        assert ("other", "abuse") not in counts

        # The room's token sees its room's queue, where the product is a slot...
        items = await host_snapshot(svc, ROOM_TOKEN, ROOM)
        assert isinstance(items, list) and len(items) == 1, items
        assert items[0]["slots"] == {"product": "冰糖心"}
        assert items[0]["count"] == 2
        # ... and no other room's.
        assert await host_snapshot(svc, ROOM_TOKEN, "pears") == 403
        assert svc.triage.queue(ROOM).config.window_s == 300.0
        assert svc.alerts.get("no-such-alert") is None

        status, body = await call(svc, "GET", "/admin/rooms")
        assert status == 200
        assert [r["room"] for r in body["rooms"]] == [ROOM]

    # A restart on the same SQLite file: the room is still there, and works.
    async with running(analyzer, db) as svc:
        status, body = await call(svc, "GET", "/admin/rooms")
        assert status == 200
        assert [(r["room"], r["from"]) for r in body["rooms"]] == [(ROOM, "admin")]
        assert body["rooms"][0]["settings"]["products"] == ["冰糖心"]
        await feed(svc, [(ROOM, "这个主播土豆精")], 20)
        assert (await room_counts(svc))[ROOM, "abuse"] == 1
        assert await host_snapshot(svc, ROOM_TOKEN, ROOM) == []

        await feed(svc, [(ROOM, "冰糖心多少钱")], 25)
        status, body = await call(svc, "DELETE", f"/admin/rooms/{ROOM}")
        assert status == 200, body
        assert body == {"room": ROOM, "removed": True}
        status, body = await call(svc, "GET", "/admin/rooms")
        assert body == {"rooms": []}
        # Its queue is gone, its token no longer opens anything, its series
        # are gone, and its comments are refused (until it is added again).
        assert ROOM not in svc.triage.rooms
        assert await host_snapshot(svc, ROOM_TOKEN, ROOM) == 403
        status, body = await call(
            svc,
            "POST",
            "/ingest",
            TOKENS["ingest"],
            data=json.dumps({"room": ROOM, "text": "这个主播土豆精", "ts": T0 + 30}).encode(),
        )
        assert status == 400 and body["errors"][0]["reason"] == "room_removed", body
        counts = await room_counts(svc)
        assert not any(room == ROOM for room, _ in counts)
        status, body = await call(svc, "DELETE", f"/admin/rooms/{ROOM}")
        assert status == 404

        assert svc.store is not None
        audits = await svc.store.audits(room=ROOM)
        deletes = sorted((a for a in audits if a.action == "room.delete"), key=lambda a: a.id)
        assert [(a.ok, a.error) for a in deletes] == [(True, None), (False, "not_found")]
        assert deletes[0].actor == "admin-1" and deletes[0].role == "admin"

    # Removed stays removed after a restart.
    async with running(analyzer, db) as svc:
        status, body = await call(svc, "GET", "/admin/rooms")
        assert body == {"rooms": []}
        assert svc.store is not None
        actions = [a.action for a in await svc.store.audits(room=ROOM)]
        assert actions.count("room.put") == 1
        assert ROOM in svc.pipeline.refused_rooms


async def test_the_store_wins_over_the_file(analyzer: Analyzer, tmp_path: Path) -> None:
    db = tmp_path / "rw.sqlite3"
    rooms = {"file-room": {"title": "from the file"}, "kept": {"block_abuse": ["土豆精"]}}
    async with running(analyzer, db, rooms=rooms) as svc:
        status, body = await call(svc, "GET", "/admin/rooms")
        assert [(r["room"], r["from"]) for r in body["rooms"]] == [
            ("file-room", "file"),
            ("kept", "file"),
        ]
        status, _ = await call(svc, "PUT", "/admin/rooms/file-room", json={"title": "changed"})
        assert status == 200
        status, _ = await call(svc, "DELETE", "/admin/rooms/kept")
        assert status == 200
    async with running(analyzer, db, rooms=rooms) as svc:
        status, body = await call(svc, "GET", "/admin/rooms")
        assert [(r["room"], r["from"], r["settings"]["title"]) for r in body["rooms"]] == [
            ("file-room", "admin", "changed")
        ]
        # Removed stays removed: its comments are still refused.
        status, body = await call(
            svc,
            "POST",
            "/ingest",
            TOKENS["ingest"],
            data=json.dumps({"room": "kept", "text": "这个主播土豆精", "ts": T0}).encode(),
        )
        assert status == 400 and body["errors"][0]["reason"] == "room_removed", body
        await feed(svc, [("never-configured", "这个主播土豆精")], 0)
        assert (await room_counts(svc)) == {("other", "chatter"): 1.0}


@pytest.mark.parametrize("role", ["host", "helper", "moderator", "comms", "ingest"])
async def test_only_admin_tokens_change_rooms(
    analyzer: Analyzer, tmp_path: Path, role: str
) -> None:
    async with running(analyzer, tmp_path / "rw.sqlite3") as svc:
        for method in ("PUT", "DELETE"):
            kw: dict[str, Any] = {"json": {"title": "x"}} if method == "PUT" else {}
            status, _ = await call(svc, method, f"/admin/rooms/{ROOM}", TOKENS[role], **kw)
            assert status == 403
        status, _ = await call(svc, "PUT", f"/admin/rooms/{ROOM}", None, json={})
        assert status == 401
        status, _ = await call(svc, "GET", "/admin/rooms", TOKENS[role])
        assert status == 403
        assert ROOM not in svc.graph.rooms
        assert svc.store is not None
        assert await svc.store.saved_rooms() == {}


BAD_BODIES: list[tuple[Any, str]] = [
    ({"queue": {"window_s": -1}}, "rooms.apples-0601.queue.window_s must be a number at least 0"),
    ({"queue": {"windw_s": 3}}, "rooms.apples-0601.queue.windw_s is not a known key"),
    ({"alerts": {"negative_min_count": 0}}, "rooms.apples-0601.alerts.negative_min_count"),
    ({"titel": "x"}, "rooms.apples-0601.titel is not a known key (did you mean 'title'?)"),
    ({"tokens": [{"token": "short", "role": "helper"}]}, "is too short"),
    ({"tokens": [{"token": TOKENS["host"], "role": "helper"}]}, "is already another token"),
    ({"tokens": [{"token": "room-token-0001", "role": "king"}]}, "role must be one of"),
    ({"queue": {"fold_conflict": 0.9}}, "fold_conflict must be at most queue.fold_threshold"),
    (["not", "an", "object"], "must be a JSON object"),
]


async def test_bad_bodies_are_refused_and_change_nothing(
    analyzer: Analyzer, tmp_path: Path
) -> None:
    async with running(analyzer, tmp_path / "rw.sqlite3") as svc:
        status, _ = await call(svc, "PUT", f"/admin/rooms/{ROOM}", json={"title": "good"})
        assert status == 200
        for body, problem in BAD_BODIES:
            status, answer = await call(svc, "PUT", f"/admin/rooms/{ROOM}", json=body)
            assert status == 400, (body, answer)
            assert answer["error"] == "invalid"
            assert any(problem in p for p in answer["problems"]), (problem, answer)
        status, answer = await call(svc, "PUT", f"/admin/rooms/{ROOM}", data=b"{not json")
        assert status == 400 and answer["error"] == "bad_request"
        status, answer = await call(svc, "PUT", "/admin/rooms/" + "x" * 200, json={})
        assert status == 400 and "longer than 128" in answer["detail"]

        status, answer = await call(svc, "GET", "/admin/rooms")
        assert [r["settings"]["title"] for r in answer["rooms"]] == ["good"]
        assert svc.graph.rooms.queue_config(ROOM) is svc.settings.queue
        assert svc.store is not None
        assert await svc.store.saved_rooms() == {ROOM: {"title": "good"}}
        # Every attempt is audited, the refused ones with what was wrong.
        audits = await svc.store.audits(room=ROOM)
        refused = [a for a in audits if not a.ok]
        assert len(refused) == len(BAD_BODIES) and all(a.error == "invalid" for a in refused)


async def test_a_new_queue_setting_starts_the_queue_again_and_a_new_title_does_not(
    analyzer: Analyzer, tmp_path: Path
) -> None:
    async with running(analyzer, tmp_path / "rw.sqlite3") as svc:
        section = {"products": ["冰糖心"], "queue": {"max_items": 50}}
        status, _ = await call(svc, "PUT", f"/admin/rooms/{ROOM}", json=section)
        assert status == 200
        await feed(svc, [(ROOM, "冰糖心多少钱")], 0)
        items = await host_snapshot(svc, TOKENS["helper"], ROOM)
        assert isinstance(items, list) and len(items) == 1

        # Only the title changes: the queue and its item stay.
        status, body = await call(
            svc, "PUT", f"/admin/rooms/{ROOM}", json={**section, "title": "Apples"}
        )
        assert status == 200 and body["created"] is False
        again = await host_snapshot(svc, TOKENS["helper"], ROOM)
        assert isinstance(again, list)
        # (Scores decay with the room's time: compare what is asked, not the score.)
        assert [(i["id"], i["count"]) for i in again] == [(i["id"], i["count"]) for i in items]

        # A queue key changes: the queue starts again, on the new settings.
        status, _ = await call(
            svc, "PUT", f"/admin/rooms/{ROOM}", json={**section, "queue": {"max_items": 60}}
        )
        assert status == 200
        assert ROOM not in svc.triage.rooms
        await feed(svc, [(ROOM, "冰糖心多少钱呀")], 10)
        assert svc.triage.queue(ROOM).config.max_items == 60
        [item] = await host_snapshot(svc, TOKENS["helper"], ROOM)  # type: ignore[misc]
        assert item["count"] == 1 and item["slots"] == {"product": "冰糖心"}


async def test_removing_a_room_stops_its_bilibili_source_and_adding_it_starts_it_again(
    analyzer: Analyzer, tmp_path: Path
) -> None:
    """A [[sources.bilibili]] feeding one room, against the local Bilibili test
    server: DELETE closes its connection and refuses the room's records; PUT
    connects it again."""
    import asyncio
    from collections.abc import Sequence

    from websockets.asyncio.server import ServerConnection

    from roomwatch.core.result import Result
    from roomwatch.core.verdict import Verdict

    from ..sources.bilibili.server import BiliServer, command, danmu

    room = "bili-shop"
    outbox: dict[int, asyncio.Queue[bytes]] = {}
    closed: list[int] = []

    async def script(conn: ServerConnection, n: int) -> None:
        queue = outbox.setdefault(n, asyncio.Queue())
        conn_closed = asyncio.ensure_future(conn.wait_closed())
        conn_closed.add_done_callback(lambda _: closed.append(n))
        while True:
            get = asyncio.ensure_future(queue.get())
            await asyncio.wait({get, conn_closed}, return_when=asyncio.FIRST_COMPLETED)
            if not get.done():
                get.cancel()
                return
            await conn.send(get.result())

    def say(n: int, text: str) -> None:
        outbox.setdefault(n, asyncio.Queue()).put_nowait(command(danmu(text, uid=7, name="阿花")))

    verdicts: list[Verdict] = []

    def collect(results: Sequence[Result]) -> None:
        verdicts.extend(r for r in results if isinstance(r, Verdict))

    def texts() -> list[str]:
        return [v.comment.text for v in verdicts if v.comment.room == room]

    async with BiliServer(script) as server:
        settings = make_settings(
            store={"path": str(tmp_path / "rw.sqlite3")},
            rooms={room: {"title": "Bilibili shop"}},
            sources={
                "bilibili": [
                    {
                        "room_id": 2233,
                        "room": room,
                        "url": server.url,
                        "heartbeat_s": 0.5,
                        "api_url": "",
                    }
                ]
            },
        )
        async with Service(
            settings, analyzer=analyzer, registry=CollectorRegistry(), extra_outputs=[collect]
        ) as svc:
            await wait_for(lambda: server.auths, what="the source entering the room")
            say(1, "主播今天真好看")
            await wait_for(lambda: texts() == ["主播今天真好看"], show=texts)

            status, body = await call(svc, "DELETE", f"/admin/rooms/{room}")
            assert (status, body) == (200, {"room": room, "removed": True})
            # The source's connection is closed, and the source reports it stopped.
            await wait_for(lambda: closed == [1], what="the connection closed", show=lambda: closed)
            assert svc.source_health.to_dict()["bilibili-2233"]["state"] == "stopped"
            # The room's records are refused (counted); other rooms' are not.
            status, body = await call(
                svc,
                "POST",
                "/ingest",
                TOKENS["ingest"],
                data="\n".join(
                    json.dumps(r, ensure_ascii=False)
                    for r in (
                        {"room": room, "text": "还在吗", "ts": T0, "id": "x1"},
                        {"room": "elsewhere", "text": "你好", "ts": T0, "id": "x2"},
                    )
                ).encode(),
            )
            assert status == 200 and (body["accepted"], body["rejected"]) == (1, 1), body
            assert body["errors"][0]["reason"] == "room_removed"
            await wait_for(lambda: any(v.comment.room == "elsewhere" for v in verdicts))
            assert texts() == ["主播今天真好看"]
            assert server.connections == 1  # no reconnect while removed
            _, metrics = await call(svc, "GET", "/metrics")
            assert 'reason="room_removed"' in metrics

            status, body = await call(svc, "PUT", f"/admin/rooms/{room}", json={"title": "back"})
            assert status == 200 and body["created"] is True, body
            await wait_for(lambda: server.connections == 2, what="the source connecting again")
            assert svc.source_health.to_dict()["bilibili-2233"]["state"] == "running"
            say(2, "又开播啦")
            await wait_for(lambda: texts() == ["主播今天真好看", "又开播啦"], show=texts)


async def test_a_room_has_review_labels_and_a_review_cap_of_its_own(
    analyzer: Analyzer, tmp_path: Path
) -> None:
    """``review_labels`` and ``review_max`` in a room's section (over HTTP):
    that room's review queue holds abuse only, at most one item; another
    room keeps the global [moderation] settings (abuse and spam)."""
    spam, abuse1, abuse2 = "加微信 abc12345 领红包", "你是傻逼吧", "滚吧你这个傻逼"
    labels = [
        v.label
        for v in analyzer.analyze(
            [Comment(room="r", text=t, ts=T0) for t in (spam, abuse1, abuse2)]
        )
    ]
    assert labels == ["spam", "abuse", "abuse"]
    async with running(analyzer, tmp_path / "rw.sqlite3") as svc:
        status, body = await call(
            svc, "PUT", "/admin/rooms/calm", json={"review_labels": ["abuse"], "review_max": 1}
        )
        assert status == 200, body
        assert body["settings"]["review_labels"] == ["abuse"]
        status, body = await call(
            svc, "PUT", "/admin/rooms/bad", json={"review_labels": ["chatter"]}
        )
        assert status == 400 and "review_labels" in str(body["problems"]), body
        rows = [(room, t) for room in ("calm", "busy") for t in (spam, abuse1, abuse2)]
        await feed(svc, rows, 40)

        def queued(room: str) -> list[tuple[str, str]]:
            return [(i.label, i.text) for i in svc.moderation.queue.items(room)]

        assert queued("calm") == [("abuse", abuse2)]  # abuse only, one kept
        assert queued("busy") == [("spam", spam), ("abuse", abuse1), ("abuse", abuse2)]
        # Removing the room gives it the global settings back.
        status, _ = await call(svc, "DELETE", "/admin/rooms/calm")
        assert status == 200
        assert svc.moderation.queue.wants(
            analyzer.analyze([Comment(room="calm", text=spam, ts=T0)])[0]
        )
