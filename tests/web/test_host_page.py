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
