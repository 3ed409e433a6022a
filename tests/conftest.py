"""Shared fixtures: the real shipped model, and a real service on a free port."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator
from pathlib import Path

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


def read_recording(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_truth(path: Path) -> dict[str, str]:
    return {row["id"]: row["label"] for row in read_recording(path)}
