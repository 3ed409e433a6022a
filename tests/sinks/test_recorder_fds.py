"""Many rooms under a low descriptor limit (issue 12.3): the recorder keeps a
bounded number of files open, the server keeps accepting, nothing is lost."""

from __future__ import annotations

import asyncio
import errno
import gzip
import json
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
from prometheus_client import CollectorRegistry

from roomwatch.fdlimit import AcceptErrorHandler, fd_budget
from roomwatch.recordings import iter_records
from roomwatch.sinks.recorder import Recorder
from tests.support.wait import wait_for

ROOMS = 420
LIMIT = 256
INGEST = "ingest-token-fds"


def read_all(directory: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for path in sorted(directory.rglob("*.jsonl*")):
        if path.name.endswith(".tmp"):
            continue
        for _, raw in iter_records(path):
            rows.append(json.loads(raw) if isinstance(raw, bytes) else dict(raw))
    return rows


async def test_recorder_keeps_at_most_max_open_files_and_loses_nothing(tmp_path: Path) -> None:
    rec = Recorder(tmp_path, registry=CollectorRegistry(), max_open_files=8, flush_interval_s=60)
    async with rec:
        for rnd in range(3):
            for room in range(40):
                rec.write(f"room-{room}", json.dumps({"room": f"room-{room}", "n": rnd}))
            await rec.flush()
            assert rec.open_files <= 8
    files = sorted(tmp_path.rglob("*.jsonl.gz"))
    # One file per room (parked files are opened again, not rotated), all complete.
    assert len(files) == 40
    rows = read_all(tmp_path)
    assert len(rows) == 120
    for room in range(40):
        assert [r["n"] for r in rows if r["room"] == f"room-{room}"] == [0, 1, 2]


def test_fd_budget_fits_the_recorder_under_the_limit() -> None:
    low = fd_budget(256, getrlimit=lambda _: (256, 4096))
    assert low.soft == 256 and low.recorder_files == 64 and low.lowered
    high = fd_budget(256, getrlimit=lambda _: (65536, 65536))
    assert high.recorder_files == 256 and not high.lowered


async def test_out_of_descriptors_is_counted_and_logged_once_per_interval(caplog) -> None:  # type: ignore[no-untyped-def]
    registry = CollectorRegistry()
    now = [0.0]
    handler = AcceptErrorHandler(registry, interval_s=60.0, monotonic=lambda: now[0])
    loop = asyncio.get_running_loop()
    handler.install(loop)
    try:
        for _ in range(500):
            loop.call_exception_handler(
                {
                    "message": "socket.accept() out of system resource",
                    "exception": OSError(errno.EMFILE, "Too many open files"),
                }
            )
        now[0] = 61.0
        loop.call_exception_handler(
            {"message": "x", "exception": OSError(errno.EMFILE, "Too many open files")}
        )
    finally:
        handler.uninstall()
    assert registry.get_sample_value("roomwatch_server_accept_errors_total") == 501
    lines = [r for r in caplog.records if "cannot accept connections" in r.getMessage()]
    assert len(lines) == 2 and "499 more" in lines[1].getMessage()


def _lower_fd_limit() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (LIMIT, LIMIT))


async def test_420_rooms_under_256_descriptors_server_keeps_accepting(tmp_path: Path) -> None:
    recordings = tmp_path / "recordings"
    config = tmp_path / "roomwatch.toml"
    config.write_text(
        f"""
[server]
host = "127.0.0.1"
port = 0

[store]
path = "{tmp_path / "rw.sqlite3"}"

[recorder]
dir = "{recordings}"
flush_interval_s = 0.2

[[tokens]]
role = "ingest"
token = "{INGEST}"
""",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "roomwatch", "serve", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_lower_fd_limit,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), 120)
        match = re.search(rb"http://127\.0\.0\.1:(\d+)", line)
        assert match, line
        url = f"http://127.0.0.1:{int(match.group(1))}"
        now = time.time()
        rows = [
            {"room": f"room-{i:03d}", "text": "主播好", "ts": now, "id": f"m{i}"}
            for i in range(ROOMS)
        ]
        body = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()
        headers = {"Authorization": f"Bearer {INGEST}"}
        timeout = aiohttp.ClientTimeout(total=60)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.post(f"{url}/ingest", data=body, headers=headers) as resp:
                assert resp.status == 200
                assert (await resp.json())["accepted"] == ROOMS
            sent = (
                'roomwatch_component_sent_events_total{component_id="recorder",'
                f'component_kind="sink"}} {float(ROOMS)}'
            )

            async def all_written() -> bool:
                async with session.get(f"{url}/metrics") as resp:
                    return sent in await resp.text()

            # Every room's file opened and written, most of them parked again.
            await wait_for(all_written, 60, what=f"the recorder to write {ROOMS} records")
            # Still accepting: fresh connections, one after another.
            for _ in range(20):
                async with (
                    aiohttp.ClientSession(timeout=timeout) as fresh,
                    fresh.get(f"{url}/healthz") as r,
                ):
                    assert r.status == 200
            async with session.get(f"{url}/metrics") as resp:
                metrics = await resp.text()
        recorder = 'component_id="recorder",component_kind="sink"'
        assert f'roomwatch_component_errors_total{{{recorder},error_type="io"}} 0.0' in metrics
        for reason in ("write_failed", "buffer_full", "closed"):
            assert (
                f'roomwatch_component_discarded_events_total{{{recorder},reason="{reason}"}} 0.0'
                in metrics
            )
    finally:
        proc.terminate()
        try:
            _, err = await asyncio.wait_for(asyncio.to_thread(proc.communicate), 60)
        except TimeoutError:
            proc.kill()
            _, err = proc.communicate()
    log = err.decode("utf-8", "replace")
    assert "file descriptors: limit 256" in log, log[-2000:]
    assert len(log) < 50_000, log[-2000:]
    # Every record is in the recordings, in its room's folder.
    rows_back = read_all(recordings)
    assert sorted(str(r["id"]) for r in rows_back) == sorted(f"m{i}" for i in range(ROOMS))
    assert len({p.parent for p in recordings.rglob("*.jsonl*")}) == ROOMS
    assert all(p.name.endswith(".jsonl.gz") for p in recordings.rglob("*.jsonl*"))
    gz = next(recordings.rglob("*.jsonl.gz"))
    with gzip.open(gz, "rt", encoding="utf-8") as f:
        assert json.loads(f.readline())["text"] == "主播好"
