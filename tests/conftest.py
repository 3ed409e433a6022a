"""Shared fixtures: the real shipped model, and a real service on a free port."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client import CollectorRegistry

from roomwatch.assets import asset_dir
from roomwatch.config import Settings, settings_from_dict
from roomwatch.core.analyze import Analyzer
from roomwatch.service import Service

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"

TOKENS = {
    "host": "host-token-0001",
    "helper": "helper-token-0001",
    "moderator": "moderator-token-0001",
    "comms": "comms-token-0001",
    "admin": "admin-token-0001",
    "ingest": "ingest-token-0001",
}
#: A second helper, and one allowed only in room-b.
HELPER2 = "helper-token-0002"
HELPER_B = "helper-token-room-b"


@pytest.fixture(scope="session")
def analyzer() -> Analyzer:
    return Analyzer.load(asset_dir("models"), asset_dir("lexicons"))


def make_settings(**sections: object) -> Settings:
    raw: dict[str, object] = {
        "server": {"host": "127.0.0.1", "port": 0},
        # Tests that don't name a recorder folder don't record.
        "recorder": {"enabled": False},
    }
    raw.update(sections)
    raw["tokens"] = [
        {"role": role, "token": token, "name": f"{role}-1"} for role, token in TOKENS.items()
    ] + [
        {"role": "helper", "token": HELPER2, "name": "helper-2"},
        {"role": "helper", "token": HELPER_B, "name": "helper-b", "rooms": ["room-b"]},
    ]
    return settings_from_dict(raw, environ={}, generate_missing_tokens=False)


@pytest.fixture
async def service(analyzer: Analyzer, tmp_path: Path) -> AsyncIterator[Service]:
    settings = make_settings(
        store={"path": str(tmp_path / "rw.sqlite3")},
        recorder={"dir": str(tmp_path / "recordings"), "flush_interval_s": 0.2},
    )
    async with Service(settings, analyzer=analyzer, registry=CollectorRegistry()) as svc:
        yield svc


async def ingest(svc: Service, rows: list[dict[str, Any]], *, chunk: int = 1000) -> None:
    """POST records to the service's HTTP source as NDJSON, ``chunk`` at a time."""
    async with aiohttp.ClientSession() as session:
        for i in range(0, len(rows), chunk):
            body = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows[i : i + chunk])
            async with session.post(
                f"{svc.url}/ingest",
                data=io.BytesIO(body.encode()),
                headers={"Authorization": f"Bearer {TOKENS['ingest']}"},
            ) as resp:
                assert resp.status == 200, await resp.text()


def queue_state(messages: list[dict[str, Any]], room: str) -> dict[str, dict[str, Any]]:
    """Rebuild a room's host queue from snapshot + deltas, as a client would."""
    items: dict[str, dict[str, Any]] = {}
    for m in messages:
        if m.get("room") != room:
            continue
        if m["type"] == "snapshot":
            items = {i["id"]: i for i in m["items"]}
        elif m["type"] in ("added", "updated"):
            items[m["item"]["id"]] = m["item"]
        elif m["type"] == "removed":
            items.pop(m["id"], None)
    return items


def read_recording(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_truth(path: Path) -> dict[str, str]:
    return {row["id"]: row["label"] for row in read_recording(path)}


# Fuzzing (tests/fuzz): CI runs each surface's budget of examples; a long run
# is `pytest tests/fuzz --hypothesis-profile=long` (20 times as many).
# Registered here, in the root conftest, so the option finds them.
from hypothesis import HealthCheck  # noqa: E402
from hypothesis import settings as _hsettings  # noqa: E402

_hsettings.register_profile(
    "ci", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
_hsettings.register_profile(
    "long", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
_hsettings.load_profile("ci")
