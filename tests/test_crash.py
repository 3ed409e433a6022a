"""Crash safety of a real `roomwatch serve` subprocess: `kill -9`, restart, check.

What was acknowledged must survive: records an ``/ingest`` answer accepted
are in the recording, actions that got an ``ack`` are in SQLite; the store
passes its integrity check and the recordings replay.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from _load import (  # noqa: E402
    TOKENS,
    Poster,
    audit_rows,
    free_port,
    integrity,
    recorded_ids,
    start_serve,
    wait_healthy,
    write_config,
)

pytestmark = pytest.mark.slow


async def _first(ws: aiohttp.ClientWebSocketResponse, want: str) -> dict[str, object]:
    while True:
        msg = await ws.receive(timeout=30)
        assert msg.type == aiohttp.WSMsgType.TEXT, msg
        data = json.loads(msg.data)
        if want == "added" and data.get("type") == "added":
            return data
        if want == "review" and (data.get("review") or {}).get("added"):
            return data
        if want == "reply" and data.get("ref") == "r1":
            return data


async def test_kill_9_right_after_an_ack_loses_nothing_acknowledged(tmp_path: Path) -> None:
    # Long flush intervals: only a write made before the answer can save the
    # acknowledged rows from a kill that follows the answer at once.
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cfg = write_config(tmp_path, port, recorder_flush_s=30.0)
    log = tmp_path / "serve.log"
    with log.open("ab") as err:
        proc = start_serve(cfg, stderr=err, log_level="INFO")
    try:
        async with aiohttp.ClientSession() as session:
            await wait_healthy(session, url, proc)
            host = await session.ws_connect(f"{url}/ws/host?token={TOKENS['helper']}")
            stream = await session.ws_connect(f"{url}/ws/stream?token={TOKENS['moderator']}")
            poster = Poster(url, ["room-k"], batch=24)
            headers = {"Authorization": f"Bearer {TOKENS['ingest']}"}

            async def post() -> list[str]:
                rows = poster.records()
                body = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()
                async with session.post(f"{url}/ingest", data=body, headers=headers) as r:
                    assert r.status == 200
                    assert (await r.json())["accepted"] == len(rows)
                return [str(r["id"]) for r in rows]

            acked = await post()
            added = await _first(host, "added")
            item = added["item"]
            assert isinstance(item, dict)
            await host.send_json(
                {"action": "claim", "room": "room-k", "id": item["id"], "ref": "r1"}
            )
            claim = await _first(host, "reply")
            review = await _first(stream, "review")
            target = review["review"]["added"][0]["id"]  # type: ignore[index]
            await stream.send_json(
                {"action": "ignore", "room": "room-k", "ids": [target], "ref": "r1"}
            )
            ignore = await _first(stream, "reply")
            assert claim["type"] == "ack" and ignore["type"] == "ack"
            acked += await post()
            proc.send_signal(signal.SIGKILL)  # at once after the last answer
            proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    ids, _ = recorded_ids(tmp_path / "recordings")
    assert set(acked) <= ids
    db = tmp_path / "rw.sqlite3"
    assert integrity(db) == "ok"
    rows = audit_rows(db)
    assert ("claim", "room-k", item["id"]) in rows
    assert ("moderation.ignore", "room-k", target) in rows

    # The service comes back on the same folder, and the recordings replay.
    port = free_port()
    cfg = write_config(tmp_path, port)
    with log.open("ab") as err:
        proc = start_serve(cfg, stderr=err, log_level="INFO")
    try:
        async with aiohttp.ClientSession() as session:
            await wait_healthy(session, f"http://127.0.0.1:{port}", proc)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    files = sorted(str(p) for p in (tmp_path / "recordings").rglob("*.jsonl*"))
    out = tmp_path / "replay.jsonl"
    replay = subprocess.run(
        [sys.executable, "-m", "roomwatch", "replay", *files, "--out", str(out)],
        capture_output=True,
        check=False,
        timeout=300,
    )
    assert replay.returncode == 0, replay.stderr.decode()[-2000:]
    replayed = {json.loads(line).get("id") for line in out.read_text().splitlines()}
    assert set(acked) <= replayed


def test_crash_repeat_script_passes_two_runs(tmp_path: Path) -> None:
    out = tmp_path / "crash.json"
    state_args = ["--state", str(tmp_path / "state"), "--json", str(out)]
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "crash_repeat.py"), "--runs", "2", *state_args],
        capture_output=True,
        check=False,
        timeout=600,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()[-2000:]
    rows = json.loads(out.read_text())["rows"]
    assert len(rows) == 2
    for row in rows:
        assert row["ok"] == "yes", row
        assert row["integrity"] == "ok"
        assert row["host_ack"] + row["mod_ack"] > 0  # something was acknowledged
        assert row["acked_rec"] > 0
