"""What the recorder does to files on disk: names, locks, compression, crash leftovers.

These run in worker threads and hold no recorder state.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import re
import shutil
import time
from pathlib import Path
from typing import Final

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

__all__ = ["compress_file", "find_leftovers", "held_by_other", "lock_fd", "room_slug"]

_SLUG_CHARS: Final = re.compile(r"[^A-Za-z0-9_-]+")
_SLUG_MAX: Final = 40
_STALE_TMP_S: Final = 3600.0
_COPY_CHUNK: Final = 1024 * 1024


def room_slug(room: str) -> str:
    """A filesystem-safe, collision-free folder and file prefix for ``room``."""
    digest = hashlib.sha256(room.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    readable = _SLUG_CHARS.sub("_", room).strip("_-")[:_SLUG_MAX].rstrip("_-")
    return f"{readable or 'room'}-{digest}"


def lock_fd(fd: int) -> None:
    """Take the recording's ``flock`` so another recorder leaves the file alone."""
    if fcntl is not None:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def find_leftovers(directory: Path) -> list[Path]:
    """Plain recordings a crash left in ``directory``'s room folders; stale temp files go."""
    found: list[Path] = []
    try:
        folders = [p for p in directory.iterdir() if p.is_dir()]
    except OSError:
        return found
    now = time.time()
    for folder in folders:
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        for path in entries:
            name = path.name
            if name.endswith(".jsonl.gz.tmp"):
                with contextlib.suppress(OSError):
                    if now - path.stat().st_mtime > _STALE_TMP_S:
                        path.unlink()
            elif name.endswith(".jsonl") and not held_by_other(path):
                found.append(path)
    return found


def compress_file(path: Path, *, fsync: bool) -> None:
    """Gzip ``path`` to ``path.gz`` (through a temp file), then remove ``path``."""
    target = path.with_name(path.name + ".gz")
    tmp = path.with_name(path.name + ".gz.tmp")
    try:
        with open(path, "rb") as src, open(tmp, "wb") as raw:
            with gzip.GzipFile(filename=path.name, fileobj=raw, mode="wb", mtime=0) as gz:
                shutil.copyfileobj(src, gz, _COPY_CHUNK)
            if fsync:
                raw.flush()
                os.fsync(raw.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    path.unlink()


def held_by_other(path: Path) -> bool:
    """True if another live process holds the recording's ``flock``."""
    if fcntl is None:
        return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)
