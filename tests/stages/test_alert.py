"""Alerts through the real service: the channel, acks, persistence across a
restart, webhook delivery from config, and ``replay --alerts``."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from prometheus_client import CollectorRegistry

from roomwatch.core.analyze import Analyzer
from roomwatch.service import Service

from ..conftest import SAMPLES, TOKENS, ingest, make_settings, read_recording
from ..support.wait import wait_for

SCENARIO = SAMPLES / "scenario-alerts.jsonl.gz"
TRUTH = json.loads((SAMPLES / "scenario-alerts.truth.json").read_text(encoding="utf-8"))


def until(kind: str) -> float:
    event = next(e for e in TRUTH["events"] if e["kind"] == kind)
    return float(event["end"])


async def test_raid_alert_on_channel_ack_audit_restart_and_webhook(
    analyzer: Analyzer, tmp_path: Path
) -> None:
    # A real local receiver standing in for a chat bot.
    received: list[dict[str, Any]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    db = tmp_path / "rw.sqlite3"
    settings = make_settings(
        store={"path": str(db)},
        webhooks=[{"name": "ops", "url": f"http://127.0.0.1:{port}/hook", "min_severity": "info"}],
    )
    rows = [r for r in read_recording(SCENARIO) if r["ts"] < until("abuse_raid") - 30]
    messages: list[dict[str, Any]] = []
    async with Service(settings, analyzer=analyzer, registry=CollectorRegistry()) as svc:
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(f"{svc.url}/ws/alerts?token={TOKENS['comms']}")

            async def read() -> None:
                async for msg in ws:
                    messages.append(json.loads(msg.data))

            reader = asyncio.create_task(read())
            await ingest(svc, rows)
            await wait_for(
                lambda: any(
                    m.get("type") == "open" and m["alert"]["detector"] == "abuse_raid"
                    for m in messages
                ),
                30,
                what="an abuse_raid alert to open",
            )
            opened = [m for m in messages if m.get("type") == "open"]
            raid = next(m for m in opened if m["alert"]["detector"] == "abuse_raid")["alert"]
            # One incident, one alert: later news about it are updates of the same id.
            assert [m["alert"]["id"] for m in opened if m["alert"]["detector"] == "abuse_raid"] == [
                raid["id"]
            ]
            assert raid["evidence"]["accounts"] and raid["summary"]
            assert messages[0]["type"] == "hello" and messages[1]["type"] == "snapshot"

            # Acknowledge over the channel; everyone sees it; it's audited.
            await ws.send_str(json.dumps({"action": "ack", "id": raid["id"], "ref": 1}))
            await wait_for(lambda: any(m.get("ref") == 1 for m in messages), 30)
            reply = next(m for m in messages if m.get("ref") == 1)
            assert reply["type"] == "ack" and reply["alert"]["acked_by"] == "comms-1"
            # A reply says which action it answers and how; the broadcast doesn't.
            assert reply["action"] == "ack" and reply["ok"] is True
            await wait_for(
                lambda: any(m.get("type") == "ack" and "ref" not in m for m in messages), 30
            )
            # A second ack of the same alert is answered, but not broadcast again
            # (nor sent to the webhooks, nor audited twice).
            broadcasts = sum(1 for m in messages if m.get("type") == "ack" and "ref" not in m)
            await ws.send_str(json.dumps({"action": "ack", "id": raid["id"], "ref": 2}))
            await ws.send_str(json.dumps({"action": "frobnicate", "ref": 3}))
            await wait_for(lambda: any(m.get("ref") == 3 for m in messages), 30)
            again = next(m for m in messages if m.get("ref") == 2)
            assert again["ok"] is True and again["alert"]["acked_by"] == "comms-1"
            unknown = next(m for m in messages if m.get("ref") == 3)
            assert unknown["type"] == "error" and unknown["ok"] is False
            assert unknown["error"] == "unknown_action" and "'ack'" in unknown["detail"]
            assert (
                sum(1 for m in messages if m.get("type") == "ack" and "ref" not in m) == broadcasts
            )
            await ws.close()
            await reader
        # The webhook got the open alert.
        await wait_for(lambda: any(r.get("type") == "open" for r in received), 30)
        assert any(r["alert"]["id"] == raid["id"] for r in received)
        assert svc.store is not None
        audits = await svc.store.audits(actor="comms-1")
        assert [(a.action, a.target_id) for a in audits] == [("ack", raid["id"])]

    # Restart on the same SQLite file: the open alert is still there.
    async with Service(
        make_settings(store={"path": str(db)}), analyzer=analyzer, registry=CollectorRegistry()
    ) as svc2:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(f"{svc2.url}/ws/alerts?token={TOKENS['comms']}") as ws2:
                await ws2.receive()  # hello
                snap = json.loads((await ws2.receive()).data)
        ids = {a["id"]: a for a in snap["alerts"]}
        assert raid["id"] in ids
        assert ids[raid["id"]]["acked_by"] == "comms-1"
    await runner.cleanup()


async def test_wrong_role_cannot_ack(service: Service) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(f"{service.url}/ws/alerts?token={TOKENS['moderator']}") as ws:
            await ws.receive()
            await ws.receive()
            await ws.send_str(json.dumps({"action": "ack", "id": "al-nope", "ref": 9}))
            reply = json.loads((await ws.receive()).data)
    assert reply["type"] == "error" and reply["error"] == "not_found" and reply["ok"] is False


def test_replay_alerts_finds_each_incident_once_and_nothing_when_calm(tmp_path: Path) -> None:
    out = tmp_path / "alerts.jsonl"
    result = subprocess.run(
        [sys.executable, "-m", "roomwatch", "replay", str(SCENARIO), "--alerts", str(out)],
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    events = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    opens = [e for e in events if e["type"] == "open"]
    quiet = [e for e in TRUTH["events"] if e["expect"] is None]
    for e in opens:
        started = e["alert"]["started_at"]
        assert not any(q["onset"] + 5 <= started < q["end"] for q in quiet), e["alert"]["summary"]
    for incident in (e for e in TRUTH["events"] if e["expect"]):
        found = [
            o
            for o in opens
            if o["alert"]["detector"] == incident["expect"]
            and incident["onset"] <= o["alert"]["started_at"] <= incident["end"]
        ]
        assert len(found) == 1, (incident["kind"], [o["alert"]["detector"] for o in opens])
    # Every opened alert is resolved once, and updates keep the id.
    ids = {e["alert"]["id"] for e in opens}
    assert {e["alert"]["id"] for e in events} == ids
    assert sorted(e["alert"]["id"] for e in events if e["type"] == "resolve") == sorted(ids)


async def test_recorder_failure_raises_a_system_alert(analyzer: Analyzer, tmp_path: Path) -> None:
    # The recordings "folder" is a regular file, so every write fails.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    settings = make_settings(
        store={"path": str(tmp_path / "rw.sqlite3")},
        recorder={"dir": str(blocker / "recordings"), "flush_interval_s": 0.1},
    )
    async with Service(settings, analyzer=analyzer, registry=CollectorRegistry()) as svc:
        async with aiohttp.ClientSession() as session:
            # A room-scoped helper can't see alerts; a comms user sees system alerts.
            async with session.ws_connect(f"{svc.url}/ws/alerts?token={TOKENS['comms']}") as ws:
                await ingest(svc, [{"room": "r", "text": "主播好", "id": "1", "ts": 1.0}])
                alert = None
                for _ in range(50):
                    msg = json.loads((await asyncio.wait_for(ws.receive(), 10)).data)
                    if msg.get("type") == "open":
                        alert = msg["alert"]
                        break
        assert alert is not None
        assert alert["detector"] == "system" and alert["severity"] == "critical"
        assert "recorder" in alert["summary"]
        # The pipeline kept going and counted the failure. (The alert can come
        # first: /ingest answers after the recorder's write, which failed.)
        await wait_for(lambda: svc.pipeline.processed, 10, what="the record to be processed")
        assert svc.pipeline.processed == 1
        errors = svc.metrics.registry.get_sample_value(
            "roomwatch_component_errors_total",
            {"component_kind": "sink", "component_id": "recorder", "error_type": "io"},
        ) or svc.metrics.registry.get_sample_value(
            "roomwatch_component_errors_total",
            {"component_kind": "sink", "component_id": "recorder", "error_type": "permission"},
        )
        assert errors and errors >= 1
