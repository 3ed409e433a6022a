"""The documentation's claims, checked: the HMAC verification snippet in
docs/webhooks.md verifies a real signed delivery (and refuses forgeries), and
the other docs say what the code does."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from multidict import CIMultiDict
from prometheus_client import CollectorRegistry

from roomwatch.sinks.webhook import WebhookTarget
from tests.sinks.test_webhook import NOW, delivered, make_event, sink_for
from tests.support.wait import wait_for

ROOT = Path(__file__).resolve().parents[2]
SECRET = "whsec-文档-123"


def doc_snippet() -> Callable[..., bool]:
    """Run the Python block that follows the verify-snippet marker; return its function."""
    text = (ROOT / "docs" / "webhooks.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- verify-snippet:.*?-->\s*```python\n(.*?)```", text, re.S)
    assert match, "docs/webhooks.md lost its verification snippet"
    namespace: dict[str, Any] = {}
    exec(compile(match.group(1), "docs/webhooks.md", "exec"), namespace)
    verify: Callable[..., bool] = namespace["verify_roomwatch"]
    return verify


@pytest.fixture
async def capture() -> AsyncIterator[tuple[list[tuple[CIMultiDict[str], bytes]], TestServer]]:
    got: list[tuple[CIMultiDict[str], bytes]] = []

    async def hook(request: web.Request) -> web.StreamResponse:
        got.append((CIMultiDict(request.headers), await request.read()))
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/hook", hook)
    server = TestServer(app)
    await server.start_server()
    try:
        yield got, server
    finally:
        await server.close()


async def test_the_documented_snippet_verifies_a_real_delivery(
    capture: tuple[list[tuple[CIMultiDict[str], bytes]], TestServer],
) -> None:
    got, server = capture
    verify = doc_snippet()
    registry = CollectorRegistry()
    target = WebhookTarget("signed", str(server.make_url("/hook")), "json", secret=SECRET)
    async with sink_for([target], registry) as sink:
        sink.enqueue(make_event())
        await wait_for(lambda: delivered(registry, "signed") == 1)
    [(headers, body)] = got

    assert verify(SECRET, headers, body, now=NOW)
    # Forgeries and replays fail.
    assert not verify("another secret", headers, body, now=NOW)
    assert not verify(SECRET, headers, body.replace(b"al-0001", b"al-0002"), now=NOW)
    assert not verify(SECRET, headers, body, now=NOW + 3600)
    moved = CIMultiDict(headers)  # a timestamp changed in transit
    moved["X-Roomwatch-Timestamp"] = str(int(NOW) - 1)
    assert not verify(SECRET, moved, body, now=NOW)
    assert not verify(SECRET, CIMultiDict(), body, now=NOW)


def test_moderation_docs_no_longer_call_install_idempotent() -> None:
    text = (ROOT / "docs" / "moderation.md").read_text(encoding="utf-8")
    assert "idempotent" not in text.split("## The page")[0]
    assert "service.moderation" in text


def test_readme_states_how_long_a_full_train_takes() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Command line")[1].split("\n## ")[0]
    assert re.search(r"`roomwatch train`[^.]*takes about \d+(\.\d+)? minutes", section), section
    assert "--extra" in section and "adds" in section
