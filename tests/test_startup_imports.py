"""Start-up is lazy: a command imports only what it runs.

Read from ``python -X importtime`` (every module a process imports, in a real
subprocess): registering the commands imports none of their code, and
``classify`` never loads the web stack, the store, the moderation dashboard,
the report or zhconv's pkg_resources-importing module.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"

#: Never needed to classify comments from stdin.
NOT_FOR_CLASSIFY = (
    "aiohttp",
    "websockets",
    "sqlite3",
    "roomwatch.store",
    "roomwatch.web",
    "roomwatch.service",
    "roomwatch.moderation.runtime",
    "roomwatch.moderation.outbound",
    "roomwatch.report.cli",
    "roomwatch.report.build",
    "roomwatch.training.train",
    "sklearn",
    "zhconv.zhconv",
    "pkg_resources",
)


def _imported(*args: str) -> set[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    return {
        line.rsplit("|", 1)[1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def test_building_the_parser_imports_no_command() -> None:
    code = "from roomwatch.cli import build_parser; build_parser()"
    modules = _imported("-c", code)
    assert "roomwatch.cli" in modules
    heavy = {"numpy", "asyncio", "roomwatch.config", "roomwatch.offline", "roomwatch.compose"}
    assert sorted(m for m in modules if m in heavy or m.startswith(NOT_FOR_CLASSIFY)) == []


def test_classify_imports_only_what_it_uses() -> None:
    modules = _imported("-m", "roomwatch", "classify")
    assert {"roomwatch.offline", "roomwatch.core.analyze", "numpy"} <= modules
    assert sorted(m for m in modules if m.startswith(NOT_FOR_CLASSIFY)) == []
