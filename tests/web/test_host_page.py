"""The host and helper pages in headless Chromium against the real service."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from roomwatch.service import Service

from ..conftest import TOKENS
from .conftest import keep_screenshot

pytestmark = pytest.mark.browser

ROOM = "county-apples-1126"
T0 = 1764115200.0


async def ingest(svc: Service, texts: list[str], start: float, prefix: str) -> None:
    rows = [
        {
            "room": ROOM,
            "text": t,
            "ts": start + i * 0.2,
            "id": f"{prefix}-{i}",
            "user": {"id": f"{prefix}-u{i}", "name": f"观众{i}", "level": 3},
        }
        for i, t in enumerate(texts)
    ]
    body = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{svc.url}/ingest", data=body, headers={"Authorization": f"Bearer {TOKENS['ingest']}"}
        ) as resp:
            assert resp.status == 200


PRICE = ["2号链接多少钱", "二号多少钱？", "2号价格", "2号链接怎么卖", "2号多少钱呀"]
SHELF = ["保质期多久", "保质期多长时间", "保质期是多久啊"]


async def test_host_page_folds_updates_in_place_and_helper_answers(
    service: Service, browser: Any, tmp_path: Path
) -> None:
    errors: list[str] = []
    host = await browser.new_page(viewport={"width": 1280, "height": 800})
    helper = await browser.new_page(viewport={"width": 1280, "height": 800})
    for page in (host, helper):
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    await host.goto(f"{service.url}/host#token={TOKENS['host']}")
    await helper.goto(f"{service.url}/host#token={TOKENS['helper']}")
    # The token is taken out of the address bar once read.
    assert "token" not in host.url

    await ingest(service, PRICE + SHELF, T0, "a")
    price = host.locator(".item", has_text="链接: 2")
    await price.locator(".count").filter(has_text=str(len(PRICE))).wait_for(timeout=15000)
    shelf = host.locator(".item", has=host.locator(".ask", has_text="保质期"))
    await shelf.wait_for(timeout=15000)
    assert await host.locator(".item").count() == 2
    # No action buttons for the read-only host.
    assert await host.locator(".item button").count() == 0

    # More asks update the same DOM node in place (no re-render flicker).
    await price.evaluate("node => { node.dataset.marker = 'same-node'; }")
    await ingest(service, ["2号多少钱", "二号链接价格", "2号啥价"], T0 + 5, "b")
    await price.locator(".count").filter(has_text=str(len(PRICE) + 3)).wait_for(timeout=15000)
    assert await price.get_attribute("data-marker") == "same-node"
    keep_screenshot(await host.screenshot(), "host-view.png", tmp_path)

    # The helper sees buttons; "已回答" removes the item from the host view.
    helper_item = helper.locator(".item", has_text="链接: 2")
    await helper_item.wait_for(timeout=15000)
    keep_screenshot(await helper.screenshot(), "helper-view.png", tmp_path)
    await helper_item.get_by_role("button", name="已回答").click()
    await price.wait_for(state="detached", timeout=15000)
    assert await host.locator(".item").count() == 1
    # The helper's page gets the same update on its own connection: wait for it.
    await helper_item.wait_for(state="detached", timeout=15000)
    assert await helper.locator(".item", has_text="链接: 2").count() == 0
    assert errors == []


# Keeps every WebSocket the page opens, so a test can drop one like a network blip.
_KEEP_SOCKETS = """
(() => {
  const Real = window.WebSocket;
  window.__sockets = [];
  window.WebSocket = class extends Real {
    constructor(...args) { super(...args); window.__sockets.push(this); }
  };
})();
"""


async def test_a_reconnect_keeps_the_queue_and_keys_need_a_selection(
    service: Service, browser: Any
) -> None:
    errors: list[str] = []
    helper = await browser.new_page(viewport={"width": 1280, "height": 800})
    helper.on("pageerror", lambda e: errors.append(str(e)))
    await helper.add_init_script(_KEEP_SOCKETS)
    await helper.goto(f"{service.url}/host#token={TOKENS['helper']}")
    await ingest(service, PRICE + SHELF, T0, "c")
    items = helper.locator(".item")
    await helper.locator(".item", has_text="保质期").wait_for(timeout=15000)
    await helper.locator(".item", has_text="链接: 2").wait_for(timeout=15000)
    assert await items.count() == 2

    # A network blip: the page resumes with ?since= and must keep what it had
    # (it once cleared the queue on the resumed hello, and got no snapshot).
    opened = await helper.evaluate("() => window.__sockets.length")
    await helper.evaluate("() => window.__sockets.at(-1).close()")
    # (Polled from here: the page's CSP forbids wait_for_function's eval.)
    for _ in range(150):
        await helper.wait_for_timeout(100)
        state = await helper.evaluate(
            "() => [window.__sockets.length, window.__sockets.at(-1).readyState]"
        )
        if state[0] > opened and state[1] == 1:
            break
    else:
        raise AssertionError(f"the page did not reconnect: {state}")
    await helper.wait_for_timeout(500)  # the resumed hello and backlog have arrived
    assert await items.count() == 2

    # Keys act only on a selected item, and never with Ctrl held (copy).
    await helper.keyboard.press("c")
    await helper.keyboard.press("j")
    await helper.keyboard.press("Control+c")
    await helper.wait_for_timeout(500)
    assert await helper.locator(".item .claim-by", has_text="已认领").count() == 0
    await helper.keyboard.press("c")
    selected = helper.locator(".item.selected")
    await selected.locator(".claim-by", has_text="已认领").wait_for(timeout=15000)
    assert await helper.locator(".item .claim-by", has_text="已认领").count() == 1
    assert errors == []


async def test_a_phone_gives_the_question_the_width(service: Service, browser: Any) -> None:
    # A walkthrough at 390 px saw the helper's question squeezed to a character
    # a line between the count and the buttons.
    helper = await browser.new_page(viewport={"width": 390, "height": 844})
    await helper.goto(f"{service.url}/host#token={TOKENS['helper']}")
    await ingest(service, SHELF, T0, "p")
    ask = helper.locator(".item .ask").first
    await ask.wait_for(timeout=15000)
    box = await ask.bounding_box()
    assert box is not None and box["width"] > 200, box
    buttons = await helper.locator(".item .actions button").first.bounding_box()
    assert buttons is not None and buttons["height"] >= 40, buttons  # a thumb's target
