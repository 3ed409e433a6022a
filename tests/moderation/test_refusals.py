"""``POST /moderation/actions`` refuses in the documented JSON error shape, always.

docs/moderation.md: replies are ``{"type": "error", "ok": false, "action",
"error", ...}``; a client must never have to parse a plain-text body.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp

from roomwatch.core.analyze import Analyzer

from ..conftest import TOKENS
from ..support.wait import wait_for
from .support import dashboard_service

ROOM = "county-apples-1126"


async def send(
    url: str, data: bytes | dict[str, str], headers: dict[str, str]
) -> tuple[int, str, dict[str, Any], dict[str, str]]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{url}/moderation/actions", data=data, headers=headers) as resp,
    ):
        text = await resp.text()
        return resp.status, resp.content_type, json.loads(text), dict(resp.headers)


async def test_every_refusal_is_the_documented_json_error(
    analyzer: Analyzer, tmp_path: Path
) -> None:
    body = json.dumps({"action": "hide", "room": ROOM, "id": "x"}).encode()
    as_json = {"Content-Type": "application/json"}
    moderator = {"Authorization": f"Bearer {TOKENS['moderator']}"}
    cases: list[tuple[str, bytes | dict[str, str], dict[str, str], int, str]] = [
        ("no token", body, as_json, 401, "unauthorized"),
        ("unknown token", body, {**as_json, "Authorization": "Bearer nope"}, 403, "forbidden"),
        (
            "host token",
            body,
            {**as_json, "Authorization": f"Bearer {TOKENS['host']}"},
            403,
            "forbidden",
        ),
        (
            "foreign origin",
            body,
            {**as_json, **moderator, "Origin": "https://evil.example"},
            403,
            "forbidden",
        ),
        ("form post", {"action": "hide"}, moderator, 415, "unsupported_media_type"),
        ("too large", b"{" + b" " * (70 * 1024) + b"}", {**as_json, **moderator}, 413, "too_large"),
        ("bad JSON", b"{nope", {**as_json, **moderator}, 400, "bad_request"),
        ("not an object", b"[1]", {**as_json, **moderator}, 400, "bad_request"),
    ]
    async with dashboard_service(analyzer, tmp_path, None) as (svc, _):
        for name, data, headers, status, error in cases:
            got_status, content_type, reply, got_headers = await send(svc.url, data, headers)
            assert got_status == status, name
            assert content_type == "application/json", name
            assert reply["type"] == "error" and reply["ok"] is False, (name, reply)
            assert reply["error"] == error and "action" in reply, (name, reply)
            assert isinstance(reply["detail"], str) and reply["detail"], (name, reply)
            if status == 401:
                assert got_headers.get("WWW-Authenticate") == "Bearer"


async def test_a_refused_decision_is_audited_under_the_name_an_allowed_one_has(
    analyzer: Analyzer, tmp_path: Path
) -> None:
    # Allowed rows say moderation.hide; refused ones said hide, so a filter on
    # the audit log for one action missed its refusals.
    body = json.dumps({"action": "hide", "room": ROOM, "id": "x"}).encode()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKENS['moderator']}"}
    async with dashboard_service(analyzer, tmp_path, None, actions_per_minute=1) as (svc, _):
        first = await send(svc.url, body, headers)
        second = await send(svc.url, body, headers)
        assert (first[0], second[0]) == (404, 429), (first, second)
        assert svc.store is not None
        audits = await wait_for(lambda: _refused_rows(svc), 10, what="the refusal's audit row")
    assert [a.action for a in audits] == ["moderation.hide"]
    assert audits[0].error == "rate_limited"


async def _refused_rows(svc: Any) -> list[Any] | None:
    rows = [a for a in await svc.store.audits(room=ROOM) if not a.ok and a.error == "rate_limited"]
    return rows or None
