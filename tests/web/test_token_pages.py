"""A refused or missing token says so and asks for one; a comms token on the
moderator page sees its alerts, not panels stuck "connecting…" (#12.9)."""

from __future__ import annotations

from typing import Any

import pytest

from roomwatch.service import Service

from ..conftest import TOKENS

pytestmark = pytest.mark.browser


async def _page(browser: Any, errors: list[str]) -> Any:
    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page


@pytest.mark.parametrize("path", ["/host", "/moderator"])
async def test_a_wrong_token_is_refused_and_a_right_one_can_be_entered(
    service: Service, browser: Any, path: str
) -> None:
    errors: list[str] = []
    page = await _page(browser, errors)
    await page.goto(f"{service.url}{path}#token=not-a-real-token")
    status = page.locator("#status")
    await status.filter(has_text="token refused").wait_for(timeout=15000)
    form = page.locator("#rw-login")
    await form.wait_for(timeout=5000)
    assert "token refused" in await form.inner_text()
    right = TOKENS["host"] if path == "/host" else TOKENS["moderator"]
    await page.fill("#rw-token", right)
    await page.click("#rw-login button")
    await page.locator('#status[data-state="open"]').wait_for(timeout=15000)
    assert await page.locator("#rw-login").count() == 0
    assert not errors, errors


async def test_no_token_asks_for_one(service: Service, browser: Any) -> None:
    errors: list[str] = []
    page = await _page(browser, errors)
    await page.goto(f"{service.url}/host")
    await page.locator("#rw-login").filter(has_text="token is required").wait_for(timeout=15000)
    assert await page.locator('#status[data-state="refused"]').count() == 1
    assert not errors, errors


async def test_a_comms_token_on_the_moderator_page_sees_only_alerts(
    service: Service, browser: Any
) -> None:
    errors: list[str] = []
    page = await _page(browser, errors)
    await page.goto(f"{service.url}/moderator#token={TOKENS['comms']}")
    await page.locator('#status[data-state="open"]').wait_for(timeout=15000)
    assert await page.locator(".alerts-panel").is_visible()
    for panel in (".stream-panel", ".queue-panel", ".mood-panel", ".audit-panel"):
        assert await page.locator(panel).is_hidden(), panel
    assert "connecting" not in (await page.locator("body").inner_text())
    assert not errors, errors

    # A token for neither channel says so instead of hanging.
    other = await _page(browser, errors)
    await other.goto(f"{service.url}/moderator#token={TOKENS['host']}")
    await other.locator("#status").filter(has_text="can't use this page").wait_for(timeout=15000)
    assert not errors, errors
