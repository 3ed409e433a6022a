"""A service with a room-limited ingest token and tight limits, for the hardening tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from roomwatch.config import settings_from_dict
from roomwatch.core.analyze import Analyzer
from roomwatch.service import Service
from tests.conftest import TOKENS

INGEST_A = "ingest-token-room-a"


@asynccontextmanager
async def limited_service(
    analyzer: Analyzer, tmp_path: Path, *, recorder: bool = False, **limits: Any
) -> AsyncIterator[Service]:
    raw: dict[str, Any] = {
        "server": {"host": "127.0.0.1", "port": 0},
        "store": {"path": str(tmp_path / "rw.sqlite3")},
        "recorder": (
            {"dir": str(tmp_path / "recordings"), "flush_interval_s": 0.05}
            if recorder
            else {"enabled": False}
        ),
        "limits": limits,
        "tokens": [
            {"role": role, "token": token, "name": f"{role}-1"} for role, token in TOKENS.items()
        ]
        + [{"role": "ingest", "token": INGEST_A, "name": "ingest-a", "rooms": ["room-a"]}],
    }
    settings = settings_from_dict(raw, environ={}, generate_missing_tokens=False)
    async with Service(settings, analyzer=analyzer, registry=CollectorRegistry()) as svc:
        yield svc
