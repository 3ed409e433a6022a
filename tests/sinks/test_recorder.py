"""The recorder sink, on a real filesystem (and a real SIGKILL)."""

from __future__ import annotations

import array
import contextlib
import fcntl
import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from roomwatch.recordings import iter_lines
from roomwatch.sinks.recorder import Recorder, room_slug

SRC = Path(__file__).resolve().parents[2] / "src"


def _record(room: str, i: int, pad: int = 0) -> str:
    return json.dumps(
        {"room": room, "text": f"评论{i}" + "啊" * pad, "ts": 1764158400 + i, "id": f"m{i}"},
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _value(registry: CollectorRegistry, name: str, **labels: str) -> float:
    value = registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


#: The recorder's component labels (see roomwatch.metrics).
_RECORDER = {"component_kind": "sink", "component_id": "recorder"}


def _files(folder: Path, pattern: str = "*") -> list[Path]:
    return sorted(p for p in folder.glob(pattern) if p.is_file())


def _read_all(paths: list[Path]) -> list[str]:
    return [line.decode() for path in paths for _, line in iter_lines(path)]


class FakeClock:
    def __init__(self, now: float = 1764158400.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_room_slug_is_safe_and_collision_free() -> None:
    slugs = {room_slug(r) for r in ["a/b", "a_b", "a b", "a:b", "..", "", "县长助农", "a" * 500]}
    assert len(slugs) == 8
    for slug in slugs:
        assert slug.isascii() and "/" not in slug and not slug.startswith(".")
        assert 11 < len(slug) <= 51
    assert room_slug("county-apples").startswith("county-apples-")
    assert room_slug("县长助农").startswith("room-")


async def test_writes_raw_records_to_one_file_per_room(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    clock = FakeClock(1764158400.25)
    async with Recorder(tmp_path, registry=registry, clock=clock, compress=False) as rec:
        raw_a = ['{"room":"a","text":"你好"}', '{ "room" : "a", "text" : "spaced  as sent" }']
        for raw in raw_a:
            rec.write("a", raw)
        rec.write("b/../evil", b'{"room":"b/../evil","text":"x"}\n')
        rec.write("a", '{"room":"a",\n"text":"pretty"}')  # a raw newline is whitespace
        rec.write("a", "   ")  # nothing to record
        await rec.flush()
        assert rec.records_written == 4
        folder_a = tmp_path / room_slug("a")
        files_a = _files(folder_a)
        assert [p.name for p in files_a] == [f"{room_slug('a')}-20251126T120000.250Z.jsonl"]
        assert files_a[0].read_text(encoding="utf-8").splitlines() == [
            *raw_a,
            '{"room":"a", "text":"pretty"}',
        ]
        files_b = _files(tmp_path / room_slug("b/../evil"))
        assert files_b[0].read_bytes() == b'{"room":"b/../evil","text":"x"}\n'
    assert _value(registry, "roomwatch_component_sent_events_total", **_RECORDER) == 4
    assert _value(registry, "roomwatch_recorder_bytes_total") == sum(
        p.stat().st_size for p in [*files_a, *files_b]
    )


async def test_background_task_flushes_without_being_asked(tmp_path: Path) -> None:
    import asyncio

    async with Recorder(tmp_path, flush_interval_s=0.02, compress=False) as rec:
        rec.write("a", '{"room":"a","text":"x"}')
        for _ in range(200):
            await asyncio.sleep(0.01)
            if rec.records_written:
                break
        assert rec.records_written == 1
        assert _read_all(_files(tmp_path / room_slug("a"))) == ['{"room":"a","text":"x"}']


async def test_rotates_by_size_and_compresses_closed_files(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    records = [_record("a", i) for i in range(40)]
    async with Recorder(tmp_path, registry=registry, max_bytes=300) as rec:
        for i, raw in enumerate(records):
            rec.write("a", raw)
            if i % 7 == 0:
                await rec.flush()
        await rec.flush()
        await rec.wait_compressed()
        folder = tmp_path / room_slug("a")
        closed = _files(folder, "*.jsonl.gz")
        assert len(closed) >= 5
        open_now = _files(folder, "*.jsonl")
        assert len(open_now) == 1
        for path in closed:  # every closed file is within the limit and whole lines
            data = gzip.decompress(path.read_bytes())
            assert 0 < len(data) <= 300 and data.endswith(b"\n")
    # After close, only compressed files remain, and they hold every record in order.
    files = _files(tmp_path / room_slug("a"))
    assert files and all(p.name.endswith(".jsonl.gz") for p in files)
    assert _read_all(files) == records
    assert _value(registry, "roomwatch_recorder_rotations_total") == len(files)


async def test_a_record_bigger_than_max_bytes_gets_a_file_of_its_own(tmp_path: Path) -> None:
    big = _record("a", 1, pad=200)
    async with Recorder(tmp_path, max_bytes=100) as rec:
        rec.write("a", _record("a", 0))
        rec.write("a", big)
        rec.write("a", _record("a", 2))
    files = _files(tmp_path / room_slug("a"))
    assert [len(_read_all([p])) for p in files] == [1, 1, 1]
    assert _read_all(files) == [_record("a", 0), big, _record("a", 2)]


async def test_rotates_by_age_even_without_new_records(tmp_path: Path) -> None:
    clock = FakeClock(1764158400.0)
    async with Recorder(tmp_path, clock=clock, max_age_s=60) as rec:
        rec.write("a", _record("a", 0))
        await rec.flush()
        clock.now += 59
        await rec.flush()
        folder = tmp_path / room_slug("a")
        assert [p.suffix for p in _files(folder)] == [".jsonl"]  # not yet due
        clock.now += 1
        await rec.flush()  # nothing buffered: the age check alone closes it
        await rec.wait_compressed()
        assert [p.name[-len("120000.000Z.jsonl.gz") :] for p in _files(folder)] == [
            "120000.000Z.jsonl.gz"
        ]
        rec.write("a", _record("a", 1))
        await rec.flush()
        names = [p.name for p in _files(folder)]
        assert len(names) == 2 and names[1].endswith("120100.000Z.jsonl")
    assert _read_all(_files(tmp_path / room_slug("a"))) == [_record("a", 0), _record("a", 1)]


async def test_same_millisecond_files_get_ordered_names(tmp_path: Path) -> None:
    clock = FakeClock()
    async with Recorder(tmp_path, clock=clock, max_bytes=10) as rec:
        for i in range(12):
            rec.write("a", _record("a", i))
        await rec.flush()
    files = _files(tmp_path / room_slug("a"))
    assert len(files) == 12
    assert files[1].name.endswith("_0001.jsonl.gz")
    assert _read_all(files) == [_record("a", i) for i in range(12)]


async def test_leftover_plain_files_are_compressed_on_start(tmp_path: Path) -> None:
    folder = tmp_path / room_slug("a")
    folder.mkdir()
    leftover = folder / f"{room_slug('a')}-20251126T110000.000Z.jsonl"
    leftover.write_bytes(_record("a", 0).encode() + b'\n{"room":"a","te')  # torn last line
    async with Recorder(tmp_path) as rec:
        await rec.wait_compressed()
        assert not leftover.exists()
        packed = leftover.with_name(leftover.name + ".gz")
        warnings: list[str] = []
        assert [line for _, line in iter_lines(packed, on_warning=warnings.append)] == [
            _record("a", 0).encode()
        ]
        assert len(warnings) == 1 and "line 2 is incomplete" in warnings[0]


async def test_close_is_idempotent_and_later_writes_are_counted(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    rec = Recorder(tmp_path, registry=registry)
    async with rec:
        rec.write("a", _record("a", 0))
    await rec.aclose()
    await rec.close()
    rec.write("a", _record("a", 1))
    assert (
        _value(registry, "roomwatch_component_discarded_events_total", **_RECORDER, reason="closed")
        == 1
    )
    assert _read_all(_files(tmp_path / room_slug("a"))) == [_record("a", 0)]


async def test_buffer_is_bounded(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    errors: list[str] = []
    async with Recorder(
        tmp_path, registry=registry, max_buffer_bytes=1000, on_error=errors.append
    ) as rec:
        for i in range(100):
            rec.write("a", _record("a", i))
        assert rec.buffered_bytes <= 1000
        kept = rec.buffered_bytes
    dropped = _value(
        registry, "roomwatch_component_discarded_events_total", **_RECORDER, reason="buffer_full"
    )
    assert dropped > 50
    assert len(_read_all(_files(tmp_path / room_slug("a")))) == 100 - dropped
    assert kept > 0
    assert len(errors) == 1 and "buffer is full" in errors[0]  # reported once, not 90 times


# --------------------------------------------------------------------------- I/O errors

_FS_IOC_GETFLAGS = 0x80086601
_FS_IOC_SETFLAGS = 0x40086602
_FS_IMMUTABLE_FL = 0x10


def _set_immutable(path: Path, on: bool) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        flags = array.array("l", [0])
        fcntl.ioctl(fd, _FS_IOC_GETFLAGS, flags, True)
        flags[0] = flags[0] | _FS_IMMUTABLE_FL if on else flags[0] & ~_FS_IMMUTABLE_FL
        fcntl.ioctl(fd, _FS_IOC_SETFLAGS, flags, True)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _read_only_dir(path: Path) -> Iterator[Path]:
    """A directory nobody can create files in: mode 0555, or immutable for root."""
    path.mkdir()
    if os.geteuid() != 0:
        path.chmod(0o555)
        try:
            yield path
        finally:
            path.chmod(0o755)
        return
    try:  # root ignores mode bits, but not the immutable attribute
        _set_immutable(path, True)
    except OSError as exc:
        pytest.skip(f"cannot make a read-only directory as root here: {exc}")
    try:
        yield path
    finally:
        _set_immutable(path, False)


async def test_permission_errors_are_counted_not_raised(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    errors: list[str] = []
    with _read_only_dir(tmp_path / "ro") as ro:
        async with Recorder(ro, registry=registry, on_error=errors.append) as rec:
            for i in range(3):
                rec.write("a", _record("a", i))
            await rec.flush()
            rec.write("b", _record("b", 0))
            await rec.flush()
        assert list(ro.iterdir()) == []
    assert (
        _value(registry, "roomwatch_component_errors_total", **_RECORDER, error_type="permission")
        == 2
    )
    assert (
        _value(
            registry,
            "roomwatch_component_discarded_events_total",
            **_RECORDER,
            reason="write_failed",
        )
        == 4
    )
    assert _value(registry, "roomwatch_component_sent_events_total", **_RECORDER) == 0
    # Reported once, then rate-limited (the second error falls within the interval).
    assert len(errors) == 1 and "cannot open a recording for 'a'" in errors[0]


@contextlib.contextmanager
def _tiny_filesystem(path: Path, size: str) -> Iterator[Path]:
    path.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


async def test_disk_full_drops_and_counts_and_keeps_whole_lines(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    errors: list[str] = []
    with _tiny_filesystem(tmp_path / "small", "64k") as small:
        async with Recorder(
            small, registry=registry, on_error=errors.append, error_report_interval_s=0
        ) as rec:
            for batch in range(10):
                for i in range(10):
                    rec.write("a", _record("a", batch * 10 + i, pad=500))
                await rec.flush()
        full = _value(
            registry, "roomwatch_component_errors_total", **_RECORDER, error_type="disk_full"
        )
        assert full >= 1
        assert any("No space left" in e for e in errors)
        written = _value(registry, "roomwatch_component_sent_events_total", **_RECORDER)
        dropped = _value(
            registry,
            "roomwatch_component_discarded_events_total",
            **_RECORDER,
            reason="write_failed",
        )
        assert written + dropped == 100 and written > 0
        # What did reach the disk is whole lines (a torn write was taken back).
        lines = _read_all(_files(small / room_slug("a")))
        assert len(lines) == written
        assert all(json.loads(line)["room"] == "a" for line in lines)


# --------------------------------------------------------------------------- kill -9

_CHILD = r"""
import asyncio, json, sys
from prometheus_client import CollectorRegistry
from roomwatch.sinks.recorder import Recorder

async def main() -> None:
    rec = Recorder(sys.argv[1], registry=CollectorRegistry(), flush_interval_s=0.01)
    async with rec:
        i = 0
        while True:
            for _ in range(100):
                rec.write("killed", json.dumps({"room": "killed", "text": "x" * 2000, "id": i}))
                i += 1
            await asyncio.sleep(0.001)
            print(rec.records_written, flush=True)

asyncio.run(main())
"""


def test_kill_9_leaves_a_readable_file(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(tmp_path)],
        stdout=subprocess.PIPE,
        env=env,
    )
    assert child.stdout is not None
    acknowledged = 0
    deadline = time.monotonic() + 30
    try:
        while acknowledged < 3000 and time.monotonic() < deadline:
            line = child.stdout.readline()
            assert line, "the child exited early"
            acknowledged = int(line)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    assert acknowledged >= 3000

    files = _files(tmp_path / room_slug("killed"))
    assert len(files) == 1 and files[0].suffix == ".jsonl"  # never closed, so not compressed
    data = files[0].read_bytes()
    lines = data.split(b"\n")
    tail = lines.pop()  # b"" when the file ends with a newline
    ids = [json.loads(line)["id"] for line in lines]  # every complete line parses
    assert ids == list(range(len(ids)))  # in order, none missing
    assert len(ids) >= acknowledged  # nothing that was reported flushed is lost

    warnings: list[str] = []
    read = [line for _, line in iter_lines(files[0], on_warning=warnings.append)]
    assert read == lines
    if tail:  # the kill landed inside a write
        assert len(warnings) == 1 and f"line {len(lines) + 1} is incomplete" in warnings[0]
    else:
        assert warnings == []
        # Tear the last line as a kill inside the write would, and read again.
        torn = tmp_path / "torn.jsonl"
        torn.write_bytes(data[: len(data) - 700])
        read = [line for _, line in iter_lines(torn, on_warning=warnings.append)]
        assert read == lines[:-1]
        assert len(warnings) == 1 and f"line {len(lines)} is incomplete" in warnings[0]


async def test_pending_covers_a_flush_still_writing(tmp_path: Path) -> None:
    """``/ingest`` answers once ``pending`` is false: records buffered, or
    already taken by a background flush that is still writing, are pending."""
    async with Recorder(tmp_path, flush_interval_s=3600, compress=False) as rec:
        assert not rec.pending
        rec.write("room-a", '{"room": "room-a", "text": "hi", "ts": 1}')
        assert rec.pending
        await rec.flush()
        assert not rec.pending and rec.buffered_bytes == 0
        # A flush in progress holds the lock after it took the buffers: an
        # answer must wait for it even though nothing is buffered any more.
        async with rec._lock:
            assert rec.buffered_bytes == 0
            assert rec.pending
        assert not rec.pending
