"""Moderation actions through the real service: HTTP and WebSocket, a real
webhook receiver on loopback, the SQLite store, roles, origins, rate limits,
undo and the feedback export → ``roomwatch train`` round trip."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from roomwatch.cli import main as roomwatch_main
from roomwatch.core.analyze import Analyzer
from roomwatch.moderation import Moderation
from roomwatch.moderation.cli import add_parser
from roomwatch.service import Service

from ..conftest import TOKENS
from ..support.wait import wait_for
from .support import Receiver, dashboard_service, ingest

ROOM = "county-apples-1126"
T0 = 1764115200.0

ABUSE = ["你就是个傻逼", "主播是傻逼吧", "滚吧你这个傻逼"]
RAID = ["加V 123 看片", "加v456看片!!", "加V789 看片"]


def rows(texts: list[str], prefix: str, start: float = T0) -> list[dict[str, Any]]:
    return [
        {
            "room": ROOM,
            "text": t,
            "ts": start + i,
            "id": f"{prefix}-{i}",
            "user": {"id": f"{prefix}-u{i % 2}", "name": f"观众{i % 2}", "level": 3},
        }
        for i, t in enumerate(texts)
    ]


async def post(
    svc: Service, body: Any, token: str | None = None, origin: str | None = None
) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if origin:
        headers["Origin"] = origin
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{svc.url}/moderation/actions", data=json.dumps(body), headers=headers
        ) as resp,
    ):
        text = await resp.text()
        try:
            return resp.status, json.loads(text)
        except ValueError:
            return resp.status, text


@pytest.fixture
async def receiver() -> Any:
    async with Receiver() as r:
        yield r


@pytest.fixture
async def dash(analyzer: Analyzer, tmp_path: Path, receiver: Receiver) -> Any:
    async with dashboard_service(analyzer, tmp_path, receiver, actions_per_minute=200) as pair:
        yield pair


async def queued(mod: Moderation, n: int) -> list[str]:
    await wait_for(lambda: len(mod.queue) >= n)
    return [i.id for i in mod.queue.items(ROOM)]


async def test_hide_mute_undo_reach_the_webhook_store_and_audit(
    dash: tuple[Service, Moderation], receiver: Receiver
) -> None:
    svc, mod = dash
    await ingest(svc, rows(ABUSE, "a"))
    ids = await queued(mod, 3)
    status, reply = await post(
        svc, {"action": "hide", "room": ROOM, "id": ids[0]}, TOKENS["moderator"]
    )
    assert status == 200 and reply["ok"], reply
    decision = reply["decision"]
    assert decision["status"] == "pending"
    await wait_for(lambda: len(receiver.actions("hide")) == 1)
    body = receiver.actions("hide")[0]
    assert body["comment"]["id"] == ids[0] and body["room"] == ROOM
    assert body["actor"] == "moderator-1" and body["user"]["id"]
    assert receiver.headers[0]["Idempotency-Key"] == f"roomwatch-{body['id']}"
    await wait_for(lambda: mod.decisions[decision["id"]].status == "sent")
    assert svc.store is not None
    (row,) = await svc.store.actions(room=ROOM)
    assert (row.action, row.status, row.comment_id) == ("hide", "sent", ids[0])
    assert ids[0] not in {i.id for i in mod.queue.items(ROOM)}

    # mute 1 h: one per user
    status, reply = await post(
        svc,
        {"action": "mute", "room": ROOM, "ids": ids[1:], "duration_s": 3600},
        TOKENS["admin"],
    )
    assert status == 200, reply
    users = {i["user"]["id"] for i in reply["decision"]["items"]}
    await wait_for(lambda: len(receiver.actions("mute")) == len(users))
    assert {m["duration_s"] for m in receiver.actions("mute")} == {3600}

    # undo the hide: unhide goes out, the item is back in the queue, the row is undone
    status, reply = await post(
        svc, {"action": "undo", "decision": decision["id"]}, TOKENS["moderator"]
    )
    assert status == 200, reply
    await wait_for(lambda: len(receiver.actions("unhide")) == 1)
    assert receiver.actions("unhide")[0]["reverses"] == body["id"]
    assert ids[0] in {i.id for i in mod.queue.items(ROOM)}
    assert (await svc.store.action(body["id"])).status == "undone"  # type: ignore[union-attr]
    status, again = await post(
        svc, {"action": "undo", "decision": decision["id"]}, TOKENS["moderator"]
    )
    assert status == 409 and again["error"] == "already_undone"

    audits = await svc.store.audits(room=ROOM)
    actions = [a.action for a in audits if a.ok]
    assert actions.count("moderation.hide") == 1 and actions.count("moderation.undo") == 1
    assert actions.count("moderation.mute") == 2
    hide = next(a for a in audits if a.action == "moderation.hide")
    assert hide.actor == "moderator-1" and hide.role == "moderator" and hide.target_id == ids[0]
    assert hide.detail["text"] == ABUSE[0]

    # history: the user's comments from memory, previous actions from SQLite
    status, hist = await post(
        svc, {"action": "history", "room": ROOM, "user": body["user"]["id"]}, TOKENS["moderator"]
    )
    assert (
        status == 200
        and hist["comments"]
        and {"hide", "unhide"} <= {a.get("action") for a in hist["actions"]}
    )

    # the audit log as CSV
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{svc.url}/moderation/audit.csv",
            headers={"Authorization": f"Bearer {TOKENS['moderator']}"},
        ) as resp,
    ):
        assert resp.status == 200 and resp.content_type == "text/csv"
        csv_text = (await resp.read()).decode("utf-8-sig")
    assert "moderation.hide" in csv_text and ABUSE[0] in csv_text
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{svc.url}/moderation/audit.csv",
            headers={"Authorization": f"Bearer {TOKENS['host']}"},
        ) as resp,
    ):
        assert resp.status == 403


async def test_a_comment_the_model_let_through_can_be_hidden_and_its_writer_banned(
    dash: tuple[Service, Moderation], receiver: Receiver
) -> None:
    # An insult the model missed is on the moderator's stream, not in the
    # review queue: the action names its writer, and goes out like any other.
    svc, mod = dash
    missed = rows(["今天的苹果真甜", "主播的声音好听"], "m")
    await ingest(svc, missed)
    await wait_for(lambda: mod.history.recent(ROOM, "m-u1"))
    assert not mod.queue.items(ROOM)
    # Without the writer it is not found, as before.
    status, reply = await post(
        svc, {"action": "hide", "room": ROOM, "id": "m-1"}, TOKENS["moderator"]
    )
    assert status == 404 and reply["missing"] == ["m-1"]
    # Feedback actions are for the review queue's verdicts only.
    body = {"action": "confirm", "room": ROOM, "id": "m-1", "user": "m-u1"}
    status, reply = await post(svc, body, TOKENS["moderator"])
    assert status == 404
    # What it was may be said (an insult or an ad), and nothing else.
    body = {"action": "hide", "room": ROOM, "id": "m-1", "user": "m-u1", "label": "chatter"}
    status, reply = await post(svc, body, TOKENS["moderator"])
    assert status == 400 and reply["error"] == "bad_request", reply
    body["label"] = "abuse"
    status, reply = await post(svc, body, TOKENS["moderator"])
    assert status == 200 and reply["ok"], reply
    hidden = reply["decision"]
    # ... and is kept as a training example the model missed.
    assert svc.store is not None
    [missed_row] = await svc.store.feedback(room=ROOM)
    assert (missed_row.kind, missed_row.predicted_label, missed_row.label) == (
        "missed",
        "chatter",
        "abuse",
    )
    assert missed_row.comment_id == "m-1" and missed_row.text == missed[1]["text"]
    assert hidden["items"][0]["text"] == missed[1]["text"]
    await wait_for(lambda: len(receiver.actions("hide")) == 1)
    sent = receiver.actions("hide")[0]
    assert sent["comment"]["id"] == "m-1" and sent["user"]["id"] == "m-u1"
    body = {"action": "ban", "room": ROOM, "ids": ["m-1"], "user": "m-u1"}
    status, reply = await post(svc, body, TOKENS["moderator"])
    assert status == 200, reply
    await wait_for(lambda: len(receiver.actions("ban")) == 1)
    assert receiver.actions("ban")[0]["user"]["id"] == "m-u1"
    # An undo takes the hide back and does not put the comment in the review queue.
    status, reply = await post(
        svc, {"action": "undo", "decision": hidden["id"]}, TOKENS["moderator"]
    )
    assert status == 200, reply
    await wait_for(lambda: len(receiver.actions("unhide")) == 1)
    assert not mod.queue.items(ROOM)
    assert await svc.store.feedback(room=ROOM) == []  # the undo took the example back
    audits = await svc.store.audits(room=ROOM)
    assert [a.target_id for a in audits if a.action == "moderation.hide" and a.ok] == ["m-1"]


async def test_a_failed_webhook_is_shown_and_stored_as_failed(
    dash: tuple[Service, Moderation], receiver: Receiver
) -> None:
    svc, mod = dash
    receiver.status = 503
    await ingest(svc, rows(ABUSE[:1], "f"))
    (item,) = await queued(mod, 1)
    status, reply = await post(
        svc, {"action": "ban", "room": ROOM, "id": item}, TOKENS["moderator"]
    )
    assert status == 200
    d = mod.decisions[reply["decision"]["id"]]
    await wait_for(lambda: d.status == "failed")
    assert len(receiver.received) == 3  # first try + 2 retries
    assert d.outbound[0]["error"] == "HTTP 503"
    assert svc.store is not None
    (row,) = await svc.store.actions(room=ROOM)
    assert (row.status, row.attempts, row.last_error) == ("failed", 1, "HTTP 503")


async def test_wrong_roles_foreign_origin_and_rate_limit(
    analyzer: Analyzer, tmp_path: Path
) -> None:
    async with dashboard_service(analyzer, tmp_path, None, actions_per_minute=3) as (svc, mod):
        await ingest(svc, rows(ABUSE + RAID, "r"))
        ids = await queued(mod, 4)
        msg = {"action": "hide", "room": ROOM, "id": ids[0]}
        for role in ("host", "helper", "comms", "ingest"):
            status, _ = await post(svc, msg, TOKENS[role])
            assert status == 403, role
        assert (await post(svc, msg))[0] == 401
        assert (await post(svc, msg, "not-a-token"))[0] == 403
        status, _ = await post(svc, msg, TOKENS["moderator"], origin="https://evil.example")
        assert status == 403
        assert ids[0] in {i.id for i in mod.queue.items(ROOM)}  # nothing happened
        # a form post (CSRF-style content type) is refused too
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                f"{svc.url}/moderation/actions",
                data={"action": "hide"},
                headers={"Authorization": f"Bearer {TOKENS['moderator']}"},
            ) as resp,
        ):
            assert resp.status == 415

        base = svc.url.replace("http", "ws")
        async with aiohttp.ClientSession() as session:
            for role in ("host", "helper", "comms", "ingest"):
                with pytest.raises(aiohttp.WSServerHandshakeError) as exc:
                    await session.ws_connect(f"{base}/ws/stream?token={TOKENS[role]}")
                assert exc.value.status == 403
            with pytest.raises(aiohttp.WSServerHandshakeError) as exc:
                await session.ws_connect(
                    f"{base}/ws/stream?token={TOKENS['moderator']}",
                    headers={"Origin": "https://evil.example"},
                )
            assert exc.value.status == 403
            # the moderator acts over the WebSocket until the bucket is empty
            async with session.ws_connect(f"{base}/ws/stream?token={TOKENS['moderator']}") as ws:
                replies: dict[int, dict[str, Any]] = {}
                for n, item in enumerate(ids[:4]):
                    await ws.send_json({"action": "ignore", "room": ROOM, "ids": [item], "ref": n})
                while len(replies) < 4:
                    m = json.loads((await ws.receive(timeout=10)).data)
                    if "ref" in m:
                        replies[m["ref"]] = m
                assert [replies[n]["ok"] for n in range(3)] == [True, True, True]
                assert replies[3]["error"] == "rate_limited" and replies[3]["retry_after"] > 0
        status, body = await post(svc, msg, TOKENS["moderator"])
        assert status == 429 and body["error"] == "rate_limited"
        assert svc.store is not None
        refused = [a for a in await svc.store.audits() if not a.ok]
        assert {a.error for a in refused} >= {"forbidden", "rate_limited"}
        assert {a.role for a in refused if a.error == "forbidden"} >= {"host", "helper"}


async def test_stream_frames_are_one_per_batch_and_room(
    dash: tuple[Service, Moderation],
) -> None:
    svc, mod = dash
    base = svc.url.replace("http", "ws")
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{base}/ws/stream?token={TOKENS['moderator']}") as ws,
    ):
        hello = json.loads((await ws.receive(timeout=5)).data)
        snap = json.loads((await ws.receive(timeout=5)).data)
        assert hello["type"] == "hello" and snap["type"] == "snapshot" and snap["can_act"]
        many = rows([f"评论{i} 哈哈" for i in range(200)] + ABUSE, "s")
        await ingest(svc, many)
        comments = 0
        frames = 0
        review = 0
        while comments < len(many):
            m = json.loads((await ws.receive(timeout=10)).data)
            if m["type"] == "batch":
                frames += 1
                comments += len(m["comments"])
                review += len(m.get("review", {}).get("added", []))
        assert frames < len(many) / 10  # batched, not per comment
        assert review == len(mod.queue.items(ROOM)) >= 3
        while True:
            m = json.loads((await ws.receive(timeout=5)).data)
            if m["type"] == "stats":
                break
        assert m["room"] == ROOM and m["rate"] > 0 and m["series"]


async def test_undo_retracts_the_feedback_of_a_verdict(dash: tuple[Service, Moderation]) -> None:
    svc, mod = dash
    await ingest(svc, rows(ABUSE + RAID, "f"))
    ids = await queued(mod, 4)
    status, confirmed = await post(
        svc, {"action": "confirm", "room": ROOM, "ids": ids[:2]}, TOKENS["moderator"]
    )
    assert status == 200, confirmed
    fp = {"action": "false_positive", "room": ROOM, "id": ids[2], "label": "chatter"}
    status, corrected = await post(svc, fp, TOKENS["moderator"])
    assert status == 200, corrected
    assert svc.store is not None
    assert {r.comment_id for r in await svc.store.feedback()} == set(ids[:3])

    undo = {"action": "undo", "decision": corrected["decision"]["id"]}
    assert (await post(svc, undo, TOKENS["moderator"]))[0] == 200
    assert {r.comment_id for r in await svc.store.feedback()} == set(ids[:2])
    undo = {"action": "undo", "decision": confirmed["decision"]["id"]}
    assert (await post(svc, undo, TOKENS["moderator"]))[0] == 200
    assert await svc.store.feedback() == []
    # the undone items are back in the review queue
    assert set(ids[:3]) <= {i.id for i in mod.queue.items(ROOM)}


async def test_feedback_export_round_trips_through_train(
    dash: tuple[Service, Moderation], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    svc, mod = dash
    await ingest(svc, rows(ABUSE + RAID, "t"))
    ids = await queued(mod, 4)
    assert (
        await post(svc, {"action": "confirm", "room": ROOM, "ids": ids[:2]}, TOKENS["moderator"])
    )[0] == 200
    fp = {"action": "false_positive", "room": ROOM, "id": ids[2], "label": "chatter"}
    assert (await post(svc, fp, TOKENS["moderator"]))[0] == 200
    assert svc.store is not None
    await svc.store.flush()
    db = Path(svc.store.path)

    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    out = tmp_path / "feedback.jsonl"
    args = parser.parse_args(["feedback", "export", "--db", str(db), "--out", str(out)])
    assert await asyncio.to_thread(args.func, args) == 0
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 3
    labels = {x["comment_id"]: x["label"] for x in lines}
    assert labels[ids[2]] == "chatter"
    assert all(x["source"] == "feedback" and x["text"] for x in lines)

    # `roomwatch train` accepts the file (tiny corpus so it stays fast)
    corpus = tmp_path / "tiny.jsonl"
    root = Path(__file__).resolve().parents[2]
    src = (root / "corpus" / "live" / "handwritten.jsonl").read_text(encoding="utf-8").splitlines()
    corpus.write_text("\n".join(src[:400]) + "\n", encoding="utf-8")
    models = tmp_path / "models"
    argv = [
        "train", "--corpus", str(corpus), "--extra", str(out), "--no-handwritten",
        "--no-public", "--dev", "",
        "--out", str(models), "--lexicons", str(root / "lexicons"), "--min-df", "1",
    ]  # fmt: skip
    code = await asyncio.to_thread(roomwatch_main, argv)
    assert code == 0, capsys.readouterr().err
    assert any(models.iterdir())


async def test_an_action_that_cannot_be_stored_is_answered_not_stored(
    dash: tuple[Service, Moderation],
) -> None:
    """Acknowledged means committed: when the SQLite write fails, the answer
    says so (503 ``not_stored``, as the hub's channels do), never a bare 500."""
    svc, mod = dash
    await ingest(svc, rows(ABUSE, "ns"))
    ids = await queued(mod, 1)
    assert svc.store is not None

    async def disk_failed() -> None:  # the fault: the commit raises
        raise OSError(28, "No space left on device")

    svc.store.flush = disk_failed  # type: ignore[method-assign]
    status, reply = await post(
        svc, {"action": "hide", "room": ROOM, "id": ids[0]}, TOKENS["moderator"]
    )
    assert status == 503, reply
    assert reply["ok"] is False and reply["error"] == "not_stored"
    assert reply["action"] == "hide"


async def test_what_a_moderator_says_a_queue_item_was_corrects_or_confirms_its_label(
    dash: tuple[Service, Moderation], receiver: Receiver
) -> None:
    svc, mod = dash
    await ingest(svc, rows(ABUSE[:2], "q"))
    ids = await queued(mod, 2)
    labels = {i.id: i.label for i in mod.queue.items(ROOM)}
    assert set(labels.values()) == {"abuse"}
    # Hidden as an ad: the model's abuse was wrong, a corrected label.
    body = {"action": "hide", "room": ROOM, "id": ids[0], "label": "spam"}
    status, reply = await post(svc, body, TOKENS["moderator"])
    assert status == 200 and reply["decision"]["label"] == "spam", reply
    # Hidden as an insult: the model said so already; nothing is recorded.
    body = {"action": "hide", "room": ROOM, "id": ids[1], "label": "abuse"}
    status, reply = await post(svc, body, TOKENS["moderator"])
    assert status == 200 and reply["decision"]["label"] is None, reply
    assert svc.store is not None
    feedback = await svc.store.feedback(room=ROOM)
    assert [(f.comment_id, f.kind, f.predicted_label, f.label) for f in feedback] == [
        (ids[0], "false_positive", "abuse", "spam")
    ]
    await wait_for(lambda: len(receiver.actions("hide")) == 2)
