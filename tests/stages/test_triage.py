"""The host queue over real WebSockets: folding on the wire, the lifecycle,
claim races, resume by sequence number, room scoping and the audit trail."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from roomwatch.core.flood import FloodControl
from roomwatch.service import Service

from ..conftest import HELPER2, HELPER_B, TOKENS, ingest, queue_state
from ..support.hub import settled, sync
from ..support.wait import wait_for


class Client:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.messages: list[dict[str, Any]] = []
        self.task = asyncio.create_task(self._read())
        self.ref = 0

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                self.messages.append(json.loads(msg.data))

    async def wait(self, predicate, timeout: float = 15.0) -> dict[str, Any]:  # type: ignore[no-untyped-def]
        """The first message so far or to come that ``predicate`` accepts."""
        message: dict[str, Any] = await wait_for(
            lambda: next((m for m in self.messages if predicate(m)), None),
            timeout,
            what="a matching message",
            show=lambda: self.messages[-5:],
        )
        return message

    async def sync(self) -> None:
        """Return once every frame published to this client so far is in ``messages``."""
        self.ref += 1
        await sync(self.ws, self.messages, f"sync-{self.ref}")

    async def act(self, action: str, room: str, item_id: str) -> dict[str, Any]:
        self.ref += 1
        ref = self.ref
        await self.ws.send_str(
            json.dumps({"action": action, "room": room, "id": item_id, "ref": ref})
        )
        return await self.wait(lambda m: m.get("ref") == ref)

    def items(self, room: str) -> dict[str, dict[str, Any]]:
        return queue_state(self.messages, room)

    async def close(self) -> None:
        await self.ws.close()
        await self.task


async def connect(
    session: aiohttp.ClientSession, svc: Service, token: str, query: str = ""
) -> Client:
    ws = await session.ws_connect(f"{svc.url}/ws/host?token={token}{query}")
    return Client(ws)


def asks(
    room: str, texts: list[str], start: float, users: int | None = None, prefix: str = "a"
) -> list[dict[str, Any]]:
    return [
        {
            "room": room,
            "text": t,
            "ts": start + i * 0.5,
            "id": f"{prefix}-{room}-{i}",
            "user": {"id": f"{prefix}u{i if users is None else i % users}", "level": 5},
        }
        for i, t in enumerate(texts)
    ]


PRICE_3 = [
    "3号链接多少钱",
    "三号多少钱？",
    "3号价格",
    "3号链接怎么卖",
    "3号多少钱啊",
    "三号链接多少钱",
]
SHIPPING = ["包邮吗", "包不包邮", "包邮吗？？", "这个包邮吗"]


async def test_lifecycle_claim_race_answer_grace_pin_and_audit(service: Service) -> None:
    room = "room-a"
    t0 = 1764115200.0
    async with aiohttp.ClientSession() as session:
        host = await connect(session, service, TOKENS["host"])
        h1 = await connect(session, service, TOKENS["helper"])
        h2 = await connect(session, service, HELPER2)
        await ingest(service, asks(room, PRICE_3, t0) + asks(room, SHIPPING, t0 + 5, prefix="s"))

        def has_item(slot_link: str | None, min_count: int):  # type: ignore[no-untyped-def]
            def check(m: dict[str, Any]) -> bool:
                item = m.get("item")
                return bool(
                    item
                    and item["room"] == room
                    and item["slots"].get("link") == slot_link
                    and item["count"] >= min_count
                )

            return check

        folded = (await host.wait(has_item("3", len(PRICE_3))))["item"]
        assert folded["askers"] == len(PRICE_3)
        ship = (
            await host.wait(
                lambda m: (
                    m.get("item", {}).get("intent") == "shipping"
                    and m["item"]["count"] >= len(SHIPPING)
                )
            )
        )["item"]
        assert ship["id"] != folded["id"]

        # Two helpers race to claim the same item: exactly one wins, the other is told who.
        r1, r2 = await asyncio.gather(
            h1.act("claim", room, folded["id"]), h2.act("claim", room, folded["id"])
        )
        replies = sorted([r1, r2], key=lambda r: r["type"])
        assert [r["type"] for r in replies] == ["ack", "error"]
        winner = replies[0]["audit"]["actor"]
        assert replies[1]["error"] == "already_claimed" and replies[1]["by"] == winner
        claimed = await host.wait(
            lambda m: (
                m.get("item", {}).get("id") == folded["id"] and m["item"]["state"] == "claimed"
            )
        )
        assert claimed["item"]["claimed_by"] == winner

        # The read-only host token can't act.
        denied = await host.act("answer", room, folded["id"])
        assert denied["type"] == "error" and denied["error"] == "forbidden"
        assert denied["ok"] is False and denied["action"] == "answer" and denied["detail"]
        # An action it doesn't know is a code and words, like every error.
        unknown = await h1.act("frobnicate", room, folded["id"])
        assert unknown["type"] == "error" and unknown["ok"] is False
        assert unknown["error"] == "unknown_action" and "claim" in unknown["detail"]

        # Pin the shipping item: it goes to the top of the order.
        pinned = await h1.act("pin", room, ship["id"])
        assert pinned["type"] == "ack"
        await host.wait(lambda m: m["type"] == "reordered" and m["order"][:1] == [ship["id"]])

        # The winner answers; the host sees it closed.
        by_winner = h1 if winner == "helper-1" else h2
        answered = await by_winner.act("answer", room, folded["id"])
        assert answered["type"] == "ack" and answered["item"]["state"] == "answered"
        await host.wait(
            lambda m: (
                m.get("item", {}).get("id") == folded["id"] and m["item"]["state"] == "answered"
            )
        )
        # New asks within the grace period join the answered item.
        await ingest(service, asks(room, ["3号多少钱", "三号价格"], t0 + 30, prefix="late"))
        again = await host.wait(
            lambda m: m.get("item", {}).get("id") == folded["id"] and m["item"]["asked_again"] >= 2
        )
        assert again["item"]["state"] == "answered"

        for c in (host, h1, h2):
            await c.close()

    # Every attempt is in the SQLite audit trail, allowed or not.
    assert service.store is not None
    rows = await service.store.audits(room=room)
    seen = {(r.actor, r.action, r.ok) for r in rows}
    assert (winner, "claim", True) in seen
    assert ("host-1", "answer", False) in seen
    assert ("helper-1", "pin", True) in seen
    assert (winner, "answer", True) in seen
    assert len([r for r in rows if r.action == "claim"]) == 2


async def test_reconnect_with_sequence_number_gets_what_was_missed(service: Service) -> None:
    room = "room-a"
    t0 = 1764115200.0
    async with aiohttp.ClientSession() as session:
        first = await connect(session, service, TOKENS["host"])
        await ingest(service, asks(room, PRICE_3, t0))
        await first.wait(lambda m: m.get("item", {}).get("count", 0) >= len(PRICE_3))
        last_seq = max(m["seq"] for m in first.messages)
        await first.close()

        # While it is away, more happens.
        await ingest(service, asks(room, SHIPPING, t0 + 10, prefix="s"))
        await wait_for(
            lambda: service.pipeline.processed >= len(PRICE_3) + len(SHIPPING),
            what="the shipping asks to be processed while the client is away",
        )

        back = await connect(session, service, TOKENS["host"], f"&since={last_seq}")
        await back.wait(lambda m: m["type"] == "hello")
        await back.wait(lambda m: m.get("item", {}).get("intent") == "shipping")
        later = [m for m in back.messages if m["type"] != "hello"]
        assert later and all(m["seq"] > last_seq for m in later)
        assert not any(m["type"] == "snapshot" for m in back.messages)
        # Combining what it had with what it got rebuilds the full state.
        state = first.items(room) | back.items(room)
        assert {i["intent"] for i in state.values()} >= {"shipping"}
        assert any(i["slots"].get("link") == "3" for i in state.values())
        await back.close()

        # A sequence number the hub can't serve (e.g. from before a restart)
        # gets a snapshot instead.
        fresh = await connect(session, service, TOKENS["host"], "&since=999999")
        await fresh.wait(lambda m: m["type"] == "snapshot")
        await fresh.close()


async def test_rooms_are_scoped_by_token(service: Service) -> None:
    t0 = 1764115200.0
    async with aiohttp.ClientSession() as session:
        only_b = await connect(session, service, HELPER_B)
        everyone = await connect(session, service, TOKENS["host"])
        await ingest(
            service, asks("room-a", PRICE_3, t0) + asks("room-b", SHIPPING, t0, prefix="b")
        )
        item_b = (await only_b.wait(lambda m: m.get("item", {}).get("room") == "room-b"))["item"]
        # Once a client of both rooms has all of room-a, any room-a frame sent
        # to only_b is queued ahead of the answer to its sync.
        await settled(
            everyone.messages, service, ("room-a", "room-b"), len(PRICE_3) + len(SHIPPING)
        )
        await only_b.sync()
        assert all(m.get("room") in (None, "room-b") for m in only_b.messages)
        # It can act in room-b but not in room-a.
        ok = await only_b.act("claim", "room-b", item_b["id"])
        assert ok["type"] == "ack"
        a_item = next(iter(service.triage.queue("room-a").snapshot()))
        no = await only_b.act("claim", "room-a", a_item.id)
        assert no["type"] == "error" and no["error"] == "no_room"
        await only_b.close()
        await everyone.close()


async def test_one_spammer_counts_once_and_paid_asks_rank_higher(service: Service) -> None:
    room = "room-a"
    t0 = 1764115200.0
    spam = [
        {
            "room": room,
            "text": "5号链接多少钱",
            "ts": t0 + i * 0.1,
            "id": f"sp-{i}",
            "user": {"id": "spammer", "level": 1},
        }
        for i in range(50)
    ]
    fans = asks(room, ["尺码偏大吗", "尺码偏大还是偏小", "码数偏大吗"], t0 + 1, prefix="f")
    paid = [
        {
            "room": room,
            "text": "保质期多久",
            "ts": t0 + 2,
            "id": "sc-1",
            "kind": "superchat",
            "amount": 50,
            "user": {"id": "rich", "level": 40},
        }
    ]
    # Flood control (limits.user_comments_*) sheds the spammer's comments
    # past their rate before triage sees them; the rest still count once.
    limits = service.settings.limits
    flood = FloodControl(limits.user_comments_per_s, limits.user_comments_burst)
    passed = sum(flood.allow(room, "spammer", s["ts"]) for s in spam)  # type: ignore[arg-type]
    assert 0 < passed < 50
    async with aiohttp.ClientSession() as session:
        host = await connect(session, service, TOKENS["host"])
        await ingest(service, spam + fans + paid)
        await host.wait(lambda m: m.get("item", {}).get("count") == passed)
        await host.wait(lambda m: m.get("item", {}).get("paid_total", 0) >= 50)
        await settled(host.messages, service, (room,), passed + len(fans) + len(paid))
        items = host.items(room)
        spammed = next(i for i in items.values() if i["count"] == passed)
        assert spammed["askers"] == 1
        sized = max((i for i in items.values() if i["askers"] == 3), key=lambda i: i["score"])
        assert sized["score"] > spammed["score"]
        rich = next(i for i in items.values() if i["paid_total"] >= 50)
        assert rich["score"] > spammed["score"]
        await host.close()
