"""The soak bench runs end to end (briefly), and /metrics has what it samples."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from roomwatch.service import Service

ROOT = Path(__file__).resolve().parents[1]


async def test_metrics_expose_fds_rss_and_tasks(service: Service) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{service.url}/metrics") as r:
            text = await r.text()
    values = {
        line.split(" ")[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(("roomwatch_process_", "roomwatch_asyncio_tasks"))
    }
    assert values["roomwatch_process_open_fds"] > 0
    assert values["roomwatch_process_resident_memory_bytes"] > 1e6
    assert values["roomwatch_asyncio_tasks"] >= 1


@pytest.mark.slow
def test_soak_smoke_run_completes_with_samples(tmp_path: Path) -> None:
    out = tmp_path / "soak.json"
    args = ["--duration", "20", "--rate", "100", "--rooms", "50", "--clients", "6"]
    args += ["--reconnecting", "2", "--sample", "2", "--window", "6", "--json", str(out)]
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "soak.py"), *args],
        capture_output=True,
        check=False,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout.decode()[-2000:] + result.stderr.decode()[-2000:]
    report = json.loads(out.read_text())
    samples = report["samples"]
    assert len(samples) >= 3
    for s in samples:
        assert s["rss_mb"] > 0 and s["fds"] > 0 and s["tasks"] >= 1
    assert samples[-1]["processed"] > 0
    assert report["connects"] > report["clients"]  # the reconnecting clients reconnected
    assert report["exit_code"] == 0  # and the service stopped cleanly afterwards
    assert set(report["metrics"]) == {"rss_mb", "fds", "tasks", "lat_p50_ms", "lat_p99_ms"}
