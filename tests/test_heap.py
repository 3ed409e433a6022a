"""`roomwatch.heap.trim_heap`: free pages inside the C heap go back to the OS."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from roomwatch.heap import trim_heap

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc; glibc")


def _rss() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096


def test_trim_heap_returns_the_holes_a_steady_load_leaves() -> None:
    # Chunks of 8-16 KiB come from glibc's heap (under its mmap threshold).
    # Freeing every other one leaves holes between live chunks that glibc
    # can't give back from the top; the process keeps them resident.
    chunks: list[bytes | None] = [bytes(8192 + (i % 64) * 128) for i in range(8000)]
    for i in range(0, len(chunks), 2):
        chunks[i] = None
    holes = sum(8192 + (i % 64) * 128 for i in range(0, len(chunks), 2))
    before = _rss()
    assert trim_heap() is True
    released = before - _rss()
    # Most of each hole is whole pages; at least a third of the holes' bytes
    # must leave the resident set (typically ~85%).
    assert released > holes // 3, (released, holes)
    del chunks


def test_a_failed_start_leaves_the_collector_on(tmp_path: Path) -> None:
    # classify starts with the cyclic collector off; settle_heap turns it on,
    # and so must a start that fails before it (an in-process caller would
    # lose cycle collection for good).
    import gc

    from roomwatch.cli import main

    bad = tmp_path / "bad.toml"
    bad.write_text("[pipeline]\nno_such_key = 1\n")
    assert gc.isenabled()
    assert main(["classify", "--config", str(bad)]) != 0
    assert gc.isenabled()
