"""One lifespan: a start that fails part-way closes what it opened.

The port is taken for real (a socket bound and listening first); the
service must say so clearly and leave no task, HTTP session, SQLite
connection or recording file open behind it.
"""

from __future__ import annotations

import asyncio
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from roomwatch.core.analyze import Analyzer
from roomwatch.service import Service, StartError

from .conftest import make_settings


@pytest.fixture
def taken_port() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    try:
        yield sock
    finally:
        sock.close()


async def test_a_taken_port_is_a_clear_error_and_nothing_stays_open(
    analyzer: Analyzer, tmp_path: Path, taken_port: socket.socket
) -> None:
    port = taken_port.getsockname()[1]
    settings = make_settings(
        server={"host": "127.0.0.1", "port": port},
        store={"path": str(tmp_path / "rw.sqlite3")},
        recorder={"dir": str(tmp_path / "recordings"), "flush_interval_s": 0.2},
        webhooks=[{"name": "ops", "url": "http://127.0.0.1:9/never"}],
    )
    svc = Service(settings, analyzer=analyzer, registry=CollectorRegistry())
    before = asyncio.all_tasks()
    with pytest.raises(StartError, match=rf"cannot listen on 127\.0\.0\.1:{port}"):
        async with svc:
            pytest.fail("the service started on a taken port")
    # Opened before the port was tried, closed again on the way out:
    assert svc.store is not None and svc.store.closed
    with pytest.raises(sqlite3.ProgrammingError):
        svc.store._conn.execute("SELECT 1")
    assert svc.webhooks._session is None
    assert svc.recorder is not None and svc.recorder._closed.is_set()
    assert asyncio.all_tasks() - before == set()
    # Closing again (or after the failed start) is harmless.
    await svc.close()


async def test_a_service_closes_what_it_opened(analyzer: Analyzer, tmp_path: Path) -> None:
    settings = make_settings(store={"path": str(tmp_path / "rw.sqlite3")})
    before = asyncio.all_tasks()
    async with Service(settings, analyzer=analyzer, registry=CollectorRegistry()) as svc:
        assert asyncio.all_tasks() - before  # the ticker, the pipeline, the store's flusher
    assert svc.store is not None and svc.store.closed
    assert asyncio.all_tasks() - before == set()
