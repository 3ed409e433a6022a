"""POST /ingest: room scope, content types, per-record and per-request limits (issue #12)."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

from roomwatch.cli import main
from roomwatch.core.analyze import Analyzer
from roomwatch.core.record import MAX_RECORD_BYTES
from tests.conftest import TOKENS, read_recording
from tests.hardening.support import INGEST_A, limited_service

BEARER = {"Authorization": f"Bearer {TOKENS['ingest']}"}


def rec(room: str, i: int) -> dict[str, object]:
    return {"room": room, "text": f"多少钱 {i}", "id": f"{room}-{i}", "ts": 1764115200.0 + i}


async def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=io.BytesIO(body), headers=headers) as resp:
            text = await resp.text()
            try:
                return resp.status, json.loads(text)
            except ValueError:
                return resp.status, {"text": text}


async def test_a_room_limited_token_posts_only_into_its_rooms(
    analyzer: Analyzer, tmp_path: Path
) -> None:
    async with limited_service(analyzer, tmp_path) as svc:
        body = "\n".join(
            json.dumps(r) for r in [rec("room-a", 1), rec("room-z", 2), rec("room-a", 3)]
        )
        status, result = await post(
            f"{svc.url}/ingest", body.encode(), {"Authorization": f"Bearer {INGEST_A}"}
        )
        assert status == 200
        assert result["accepted"] == 2 and result["rejected"] == 1
        assert result["errors"] == [
            {
                "index": 1,
                "reason": "room_not_allowed",
                "error": "this token may not post into room 'room-z'",
                "field": "room",
            }
        ]
        status, result = await post(
            f"{svc.url}/ingest",
            json.dumps(rec("new-room", 4)).encode(),
            {"Authorization": f"Bearer {INGEST_A}"},
        )
        assert status == 403 and result["accepted"] == 0
        rejects = svc.metrics.registry.get_sample_value(
            "roomwatch_component_discarded_events_total",
            {"component_kind": "source", "component_id": "http", "reason": "room_not_allowed"},
        )
        assert rejects == 2


async def test_text_plain_with_a_query_token_is_refused(analyzer: Analyzer, tmp_path: Path) -> None:
    # What a cross-site <form> or fetch(no-cors) can send: no preflight.
    async with limited_service(analyzer, tmp_path) as svc:
        url = f"{svc.url}/ingest?token={TOKENS['ingest']}"
        body = json.dumps(rec("r", 1)).encode()
        for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
            status, refused = await post(url, body, {"Content-Type": ctype})
            assert status == 415, ctype
            # Refusals are JSON, like the per-record results and /moderation/actions.
            assert refused["ok"] is False and refused["error"] == "unsupported_media_type"
            assert "application/json" in refused["detail"]
        status, refused = await post(
            f"{svc.url}/ingest", body, {"Content-Type": "application/json"}
        )
        assert status == 401 and refused["error"] == "unauthorized"
        status, result = await post(url, body, {"Content-Type": "application/json"})
        assert status == 200 and result["accepted"] == 1
        # A header token can't come cross-site without a preflight: any type.
        status, result = await post(
            f"{svc.url}/ingest",
            json.dumps(rec("r", 2)).encode(),
            {**BEARER, "Content-Type": "text/plain"},
        )
        assert status == 200 and result["accepted"] == 1
        status, refused = await post(
            f"{svc.url}/ingest",
            body,
            {**BEARER, "Content-Type": "application/json", "Origin": "https://evil.example"},
        )
        assert status == 403 and refused["error"] == "forbidden"


async def test_array_elements_are_held_to_the_record_limit_and_replay_agrees(
    analyzer: Analyzer, tmp_path: Path
) -> None:
    rows = [rec("r", i) for i in range(12)]
    rows[5] = {**rows[5], "pad": "x" * (10 * 1024 * 1024)}  # 10 MiB in one record
    async with limited_service(analyzer, tmp_path, recorder=True) as svc:
        status, result = await post(f"{svc.url}/ingest", json.dumps(rows).encode(), BEARER)
        assert status == 200
        assert result["accepted"] == 11 and result["rejected"] == 1
        assert result["errors"][0]["index"] == 5 and result["errors"][0]["reason"] == "too_large"
    recorded = sorted((tmp_path / "recordings").rglob("*.jsonl*"))
    lines = [r for path in recorded for r in read_recording(path)]
    assert len(lines) == 11
    assert all(len(json.dumps(r).encode()) <= MAX_RECORD_BYTES for r in lines)
    out = tmp_path / "out.jsonl"
    args = ["replay", *map(str, recorded), "--out", str(out)]
    assert await asyncio.to_thread(main, args) in (0, None)
    replayed = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert len(replayed) == 11 and not any("skipped" in r for r in replayed)


async def test_too_many_records_in_one_request_is_413(analyzer: Analyzer, tmp_path: Path) -> None:
    async with limited_service(analyzer, tmp_path, max_records_per_request=10) as svc:
        body = "\n".join(json.dumps(rec("r", i)) for i in range(11)).encode()
        status, _ = await post(f"{svc.url}/ingest", body, BEARER)
        assert status == 413
        assert svc.pipeline.processed == 0
        assert (
            svc.metrics.registry.get_sample_value(
                "roomwatch_limit_exceeded_total", {"limit": "records_per_request"}
            )
            == 1
        )


async def _chunks(size: int) -> AsyncIterator[bytes]:
    sent = 0
    while sent < size:
        yield b" " * 16384
        sent += 16384
        await asyncio.sleep(0)


async def test_chunked_bodies_are_capped_on_every_route(analyzer: Analyzer, tmp_path: Path) -> None:
    async with limited_service(analyzer, tmp_path) as svc:
        async with aiohttp.ClientSession() as session:
            # No Content-Length: aiohttp sends an async generator chunked.
            async with session.post(
                f"{svc.url}/moderation/actions",
                data=_chunks(1024 * 1024),
                headers={
                    "Authorization": f"Bearer {TOKENS['moderator']}",
                    "Content-Type": "application/json",
                },
            ) as resp:
                assert resp.status == 413
            async with session.post(
                f"{svc.url}/ingest",
                data=_chunks(svc.settings.server.max_body_bytes + 65536),
                headers={**BEARER, "Content-Type": "application/x-ndjson"},
            ) as resp:
                assert resp.status == 413
        assert (
            svc.metrics.registry.get_sample_value(
                "roomwatch_limit_exceeded_total", {"limit": "body_bytes"}
            )
            >= 1
        )


async def test_a_flooding_user_is_shed_counted_and_still_recorded(
    analyzer: Analyzer, tmp_path: Path
) -> None:
    rows = [
        {"room": "r", "text": f"刷屏 {i}", "id": f"f{i}", "ts": 1764115200.0, "user": {"id": "u1"}}
        for i in range(10)
    ] + [{"room": "r", "text": "正常", "id": "n1", "ts": 1764115200.0, "user": {"id": "u2"}}]
    async with limited_service(
        analyzer, tmp_path, recorder=True, user_comments_per_s=0.5, user_comments_burst=4
    ) as svc:
        body = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()
        status, result = await post(f"{svc.url}/ingest", body, BEARER)
        assert status == 200
        assert result["accepted"] == 5 and result["shed"] == 6
        assert (
            svc.metrics.registry.get_sample_value(
                "roomwatch_limit_exceeded_total", {"limit": "user_comments_per_s"}
            )
            == 6
        )
    recorded = [r for p in (tmp_path / "recordings").rglob("*.jsonl*") for r in read_recording(p)]
    assert len(recorded) == 11  # kept as received; a replay sheds the same
