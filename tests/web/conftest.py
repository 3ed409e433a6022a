"""A real headless Chromium (Debian's package) driven by Playwright."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("ROOMWATCH_CHROMIUM", "/usr/bin/chromium")
DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/test installs Debian's chromium")
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        b = await p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield b
        finally:
            await b.close()


def keep_screenshot(data: bytes, name: str, tmp_path: Path) -> None:
    """Save a screenshot in tmp_path, and in docs/ when ROOMWATCH_UPDATE_DOCS=1."""
    (tmp_path / name).write_bytes(data)
    if os.environ.get("ROOMWATCH_UPDATE_DOCS") == "1":
        (DOCS / name).write_bytes(data)
