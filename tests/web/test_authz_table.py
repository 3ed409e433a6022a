"""Walk roomwatch.authz.TABLE over a running service.

For every HTTP route, WebSocket channel and action: no token, a wrong token,
every wrong role and a wrong room are refused, and the right role in the
right room gets through. A rule nobody walks fails the test, so a new route
can't be added without saying who may use it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client import CollectorRegistry

from roomwatch import authz
from roomwatch.authz import TABLE, Rule
from roomwatch.config import ROLES, settings_from_dict
from roomwatch.core.alerts import Alert, Evidence
from roomwatch.core.analyze import Analyzer
from roomwatch.moderation.decision import Decision
from roomwatch.service import Service

from ..support.wait import wait_for

#: Every role, allowed everywhere ("*") and only in room-b.
ALL = {role: f"{role}-token-all-rooms" for role in ROLES}
ONLY_B = {role: f"{role}-token-room-b" for role in ROLES}
WRONG = "not-a-configured-token"
T0 = 1764115200.0
#: Replies that mean "refused by the table".
REFUSED = {"forbidden", "no_room", "missing_token", "unknown_token"}


def _settings(tmp_path: Path, **server: object) -> Any:
    tokens = [{"role": r, "token": t, "name": f"{r}-all"} for r, t in ALL.items()] + [
        {"role": r, "token": t, "name": f"{r}-b", "rooms": ["room-b"]} for r, t in ONLY_B.items()
    ]
    return settings_from_dict(
        {
            "server": {"host": "127.0.0.1", "port": 0, **server},
            "recorder": {"enabled": False},
            "store": {"path": str(tmp_path / "rw.sqlite3")},
            "tokens": tokens,
        },
        environ={},
        generate_missing_tokens=False,
    )


@pytest.fixture
async def svc(analyzer: Analyzer, tmp_path: Path) -> AsyncIterator[Service]:
    # Metrics closed too, so /metrics and /healthz are walked like the rest.
    settings = _settings(tmp_path, open_metrics=False)
    async with Service(settings, analyzer=analyzer, registry=CollectorRegistry()) as service:
        yield service


def _headers(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


async def _http(
    session: aiohttp.ClientSession, svc: Service, rule: Rule, token: str | None, room: str
) -> tuple[int, str]:
    method, path = rule.name.split(" ", 1)
    url = svc.url + path.replace("{path}", "rw.js")
    if method == "GET":
        params = {"room": room} if rule.scope == "filtered" else {}
        async with session.get(url, params=params, headers=_headers(token)) as resp:
            return resp.status, await resp.text()
    if method in ("PUT", "DELETE"):  # /admin/rooms/{room}: an empty section, or none
        url = svc.url + path.replace("{room}", room)
        body = {"json": {}} if method == "PUT" else {}
        async with session.request(method, url, headers=_headers(token), **body) as resp:
            return resp.status, await resp.text()
    if path == "/ingest":
        body = json.dumps({"room": room, "text": "3号链接多少钱", "ts": T0, "id": f"i-{room}"})
        async with session.post(url, data=body.encode(), headers=_headers(token)) as resp:
            return resp.status, await resp.text()
    message = {"action": "ignore", "room": room, "ids": ["no-such-item"]}
    async with session.post(url, json=message, headers=_headers(token)) as resp:
        return resp.status, await resp.text()


async def _ws(
    session: aiohttp.ClientSession, svc: Service, channel: str, token: str | None, room: str | None
) -> aiohttp.ClientWebSocketResponse | int:
    url = svc.url.replace("http", "ws") + f"/ws/{channel}"
    params = {"token": token} if token else {}
    if room is not None:
        params["rooms"] = room
    try:
        ws = await session.ws_connect(url, params=params)
    except aiohttp.WSServerHandshakeError as exc:
        return exc.status
    hello = json.loads((await ws.receive(timeout=10)).data)
    assert hello["type"] == "hello"
    return ws


async def _act(ws: aiohttp.ClientWebSocketResponse, message: dict[str, Any]) -> dict[str, Any]:
    await ws.send_json({**message, "ref": "walk"})
    while True:
        reply = json.loads((await ws.receive(timeout=10)).data)
        if reply.get("ref") == "walk":
            return reply


def _message(rule: Rule, room: str, alerts: dict[str, str], decisions: dict[str, str]) -> dict:
    family, action = rule.name.split(".", 1)
    if family == "host":
        return {"action": action, "room": room, "id": "q-no-such-item"}
    if family == "alerts":
        return {"action": "ack", "id": alerts[room]}
    if action == "undo":
        return {"action": "undo", "decision": decisions[room]}
    if action == "history":
        return {"action": "history", "room": room, "user": "u1"}
    return {"action": action, "room": room, "ids": ["no-such-item"]}


_CHANNEL_OF = {"host": "host", "alerts": "alerts", "moderation": "stream"}


async def _prepare(svc: Service) -> tuple[dict[str, str], dict[str, str]]:
    """A question queue in both rooms, an open alert and a decision in each."""
    rows = [
        {"room": room, "text": "3号链接多少钱", "ts": T0, "id": f"q-{room}", "user": {"id": "u1"}}
        for room in ("room-a", "room-b")
    ]
    async with aiohttp.ClientSession() as session:
        body = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()
        async with session.post(
            f"{svc.url}/ingest", data=body, headers=_headers(ALL["ingest"])
        ) as resp:
            assert resp.status == 200
    await wait_for(
        lambda: {"room-a", "room-b"} <= set(svc.triage.rooms),
        10,
        what="both rooms' questions to reach triage",
        show=lambda: svc.triage.rooms,
    )
    assert {"room-a", "room-b"} <= set(svc.triage.rooms)
    alerts = {}
    decisions = {}
    for room in ("room-a", "room-b"):
        alert = Alert(
            f"a-{room}", room, "volume_drop", "", "warning", "open", T0, T0, "walk", Evidence()
        )
        svc.alerts.restore([alert])
        alerts[room] = alert.id
        decision = Decision(f"d-{room}", "ignore", room, "admin-all", "admin", T0, items=[])
        svc.moderation.decisions[decision.id] = decision
        decisions[room] = decision.id
    return alerts, decisions


def _refused_http(status: int) -> bool:
    return status in (401, 403)


async def test_the_table_is_enforced_everywhere(svc: Service) -> None:
    alerts, decisions = await _prepare(svc)
    walked: set[str] = set()
    failures: list[str] = []

    def expect(ok: bool, what: str) -> None:
        if not ok:
            failures.append(what)

    async with aiohttp.ClientSession() as session:
        # DELETE /admin/rooms/{room} drops room-b's queue and alerts: walk it last.
        for rule in sorted(TABLE, key=lambda r: r.name.startswith("DELETE ")):
            allowed = sorted(rule.roles)
            wrong_roles = sorted(set(ROLES) - rule.roles)
            if rule.kind == "route":
                if not rule.roles:
                    status, _ = await _http(session, svc, rule, None, "room-b")
                    expect(status == 200, f"{rule.name}: open route answered {status}")
                    walked.add(rule.name)
                    continue
                for token, what in ((None, "no token"), (WRONG, "a wrong token")):
                    status, _ = await _http(session, svc, rule, token, "room-b")
                    expect(_refused_http(status), f"{rule.name} with {what}: {status}")
                for role in wrong_roles:
                    status, _ = await _http(session, svc, rule, ALL[role], "room-b")
                    expect(status == 403, f"{rule.name} as {role}: {status}")
                for role in allowed:
                    status, text = await _http(session, svc, rule, ONLY_B[role], "room-b")
                    # 404: an action on an item that isn't there got through.
                    expect(status in (200, 404), f"{rule.name} as {role}: {status} {text[:80]}")
                    if rule.scope != "none" and rule.name != "POST /ingest":
                        status, _ = await _http(session, svc, rule, ONLY_B[role], "room-a")
                        expect(status == 403, f"{rule.name} as {role} in another room: {status}")
            elif rule.kind == "channel":
                for token, what in ((None, "no token"), (WRONG, "a wrong token")):
                    got = await _ws(session, svc, rule.name, token, None)
                    expect(got in (401, 403), f"channel {rule.name} with {what}: {got}")
                for role in wrong_roles:
                    got = await _ws(session, svc, rule.name, ALL[role], None)
                    expect(got == 403, f"channel {rule.name} as {role}: {got}")
                for role in allowed:
                    got = await _ws(session, svc, rule.name, ONLY_B[role], "room-a")
                    expect(got == 403, f"channel {rule.name} as {role} asking for room-a: {got}")
                    got = await _ws(session, svc, rule.name, ONLY_B[role], "room-b")
                    expect(not isinstance(got, int), f"channel {rule.name} as {role}: {got}")
                    if not isinstance(got, int):
                        await got.close()
            else:
                channel = _CHANNEL_OF[rule.name.split(".", 1)[0]]
                channel_roles = authz.rule(channel).roles
                for token in (None, WRONG):
                    got = await _ws(session, svc, channel, token, None)
                    expect(got in (401, 403), f"{rule.name}: channel open without a token")
                for role in wrong_roles:
                    got = await _ws(session, svc, channel, ALL[role], None)
                    if role not in channel_roles:
                        expect(got == 403, f"{rule.name} as {role}: channel {got}")
                        continue
                    assert not isinstance(got, int)
                    reply = await _act(got, _message(rule, "room-b", alerts, decisions))
                    await got.close()
                    expect(reply.get("error") == "forbidden", f"{rule.name} as {role}: {reply}")
                for role in allowed:
                    got = await _ws(session, svc, channel, ONLY_B[role], None)
                    assert not isinstance(got, int), f"{rule.name}: {role} can't connect"
                    wrong_room = await _act(got, _message(rule, "room-a", alerts, decisions))
                    right_room = await _act(got, _message(rule, "room-b", alerts, decisions))
                    await got.close()
                    # Another room's alert is "not found": its id tells nothing.
                    expect(
                        wrong_room.get("error") in REFUSED | {"not_found"}
                        and not wrong_room.get("ok")
                        and wrong_room.get("type") == "error",
                        f"{rule.name} as {role} in another room: {wrong_room}",
                    )
                    expect(
                        right_room.get("error") not in REFUSED | {"rate_limited"},
                        f"{rule.name} as {role}: {right_room}",
                    )
            walked.add(rule.name)
    assert walked == {r.name for r in TABLE}
    assert not failures, "\n".join(failures)


async def test_an_ingest_token_posts_only_into_its_rooms(svc: Service) -> None:
    async with aiohttp.ClientSession() as session:
        status, text = await _http(session, svc, authz.rule("POST /ingest"), ONLY_B["ingest"], "x")
    assert status in (400, 403) and '"accepted": 0' in text.replace('"accepted":0', '"accepted": 0')


async def test_metrics_and_health_are_open_by_default_and_closable(
    analyzer: Analyzer, tmp_path: Path
) -> None:
    for open_metrics, status in ((True, 200), (False, 401)):
        settings = _settings(tmp_path / str(open_metrics), open_metrics=open_metrics)
        async with (
            Service(settings, analyzer=analyzer, registry=CollectorRegistry()) as service,
            aiohttp.ClientSession() as session,
        ):
            for path in ("/metrics", "/healthz"):
                async with session.get(service.url + path) as resp:
                    assert resp.status == status, (path, open_metrics)
                async with session.get(service.url + path, headers=_headers(ALL["comms"])) as resp:
                    assert resp.status == 200


def test_the_doc_is_generated_from_the_table() -> None:
    doc = Path(__file__).resolve().parents[2] / "docs" / "authorisation.md"
    assert doc.read_text(encoding="utf-8") == authz.render_markdown(), (
        "docs/authorisation.md is stale: run python tools/gen_authz_doc.py"
    )
